"""Load: LEARNERS learners answer quizzes concurrently against one bot process (its own process) for
TUTOR_LOAD_SECONDS (a minute), on a SQLite file and on Postgres: no error, every acknowledged answer stored
once. The p99 ack is printed, not asserted: on a shared 2-core machine it swings by seconds between
runs, so it is measured in `bench/` instead."""

from __future__ import annotations

import copy
import json
import os
import random
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from sandbox.delivery import FORM
from sandbox.driver import Workspace
from sandbox.payloads import payload_body
from tests.helpers import poll_until
from tests.reliability.conftest import SECRET, TOKEN, spawn_bot
from tests.reliability.test_reliability_crash import quiz_clicks, template_click

pytestmark = [pytest.mark.slow, pytest.mark.reliability]  # a kill loop or a load run: a minute or more

LEARNERS = int(os.environ.get("TUTOR_LOAD_LEARNERS", "200"))
SECONDS = float(os.environ.get("TUTOR_LOAD_SECONDS", "60"))
# a learner reads each question before clicking: 5-15 s gives 200 learners ~20 clicks/s (TUTOR_LOAD_THINK=2,6: ~35/s)
THINK_SECONDS = tuple(float(x) for x in os.environ.get("TUTOR_LOAD_THINK", "5,15").split(","))


def click_as(template: dict, user: str, value: dict) -> bytes:
    payload = copy.deepcopy(template)
    payload["user"].update(id=user, username=user.lower(), name=user.lower())
    payload["actions"][0].update(action_id="quiz_answer_0", value=json.dumps({**value, "u": user}))
    return payload_body(payload)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def test_learners_answer_quizzes_concurrently(tmp_path, database_url):
    """On SQLite and on Postgres (the `database_url` fixture of tests/conftest.py)."""
    ws = Workspace(signing_secret=SECRET, bot_token=TOKEN).start()
    bot = spawn_bot(tmp_path / "data", ws, database_url)
    try:
        template = template_click(ws)
        questions = quiz_clicks()
        learners = [f"U6{i:05d}" for i in range(LEARNERS)]
        for user in learners:
            ws.add_user(user, user.lower(), tz="UTC")
        acked: dict[str, set] = {user: set() for user in learners}
        latencies: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + SECONDS

        def learner(user: str, seed: int) -> None:
            rng = random.Random(seed)
            time.sleep(rng.uniform(0, THINK_SECONDS[1]))  # learners arrive spread out, not in one burst
            for value in questions:
                if time.monotonic() >= stop_at:
                    return
                started = time.monotonic()
                delivery = ws.deliver("block_actions", None, click_as(template, user, value), FORM)
                elapsed = time.monotonic() - started
                with lock:
                    latencies.append(elapsed)
                    if delivery.status == 200:
                        acked[user].add((value["l"], value["q"]))
                    else:
                        failures.append(f"{user}: {delivery.status} {delivery.error}")
                time.sleep(max(0.0, min(rng.uniform(*THINK_SECONDS), stop_at - time.monotonic())))

        threads = [threading.Thread(target=learner, args=(user, i)) for i, user in enumerate(learners)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 60)
        # the work after the last acks: one message update per acknowledged first answer
        total_acked = sum(len(keys) for keys in acked.values())
        poll_until(lambda: len(ws.journal("chat.update")) >= total_acked, timeout=30, interval=0.2)
        engine = create_engine(database_url)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT user_id, lesson_id, question_id, COUNT(*) FROM quiz_answers "
                                           "GROUP BY user_id, lesson_id, question_id")).all()
        engine.dispose()
        api_errors = [e for e in ws.journal(kind="api") if e.get("ok") is False]
    finally:
        bot.kill()
        bot.wait(timeout=10)
        ws.stop()
    stored = {(r[0], r[1], r[2]): r[3] for r in rows}
    expected = {(user, lesson, question) for user, keys in acked.items() for lesson, question in keys}
    lost = expected - set(stored)
    doubled = [key for key, n in stored.items() if n > 1]
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    print(f"load backend={database_url.split(':')[0]} learners={LEARNERS} seconds={SECONDS} clicks={len(latencies)} acked={len(expected)} "
          f"failures={len(failures)} api_errors={len(api_errors)} lost={len(lost)} doubled={len(doubled)} "
          f"p50={p50:.3f}s p99={p99:.3f}s max={max(latencies):.3f}s")
    assert len(latencies) >= LEARNERS, "too few clicks: the test did not load anything"
    assert not failures, failures[:5]
    assert not api_errors, api_errors[:3]
    assert not lost, sorted(lost)[:5]
    assert not doubled  # latency is printed above and measured in bench/, never asserted on a shared machine
