"""SIGKILL rounds: the bot is killed at random points while a learner answers quizzes; after each
restart, every answer whose click was acknowledged (HTTP 200) must be stored, and none twice, and
every lesson whose answers are all stored must be completed."""

from __future__ import annotations

import copy
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.services.course import CourseService
from sandbox.delivery import FORM
from sandbox.driver import Workspace
from sandbox.payloads import payload_body
from tests.conftest import ROOT
from tests.helpers import poll_until
from tests.reliability.conftest import LIN, SECRET, TOKEN

pytestmark = [pytest.mark.slow, pytest.mark.reliability]  # a kill loop or a load run: a minute or more

ROUNDS = int(os.environ.get("TUTOR_CRASH_ROUNDS", "20"))


def start_bot(tmp_path: Path, ws: Workspace, database_url: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "tests.reliability.bot_process", str(tmp_path / "data"),
                                ws.api_url, database_url], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()
    assert line.startswith("PORT "), line
    ws.bot_url = f"http://127.0.0.1:{line.split()[1]}/slack/events"
    return process


def quiz_clicks() -> list[dict]:
    """Every question of every lesson, as the value a quiz button carries."""
    course = CourseService()
    lessons = [course.lesson(lesson_id) for module in course.course.modules for lesson_id in module.lessons]
    return [{"u": LIN, "l": lesson.id, "q": q.id, "c": 0} for lesson in lessons for q in lesson.quiz]


def template_click(ws: Workspace) -> dict:
    """A real block_actions payload from the bot's first lesson message, to re-aim at quiz questions."""
    ws.slash(LIN, "/lesson", "1.1")
    message = ws.wait_for(lambda: [m for m in ws.messages(ws.dm_channel(LIN), include_ephemeral=False)
                                   if "lesson_continue" in json.dumps(m.get("blocks", []))])[0]
    return ws.click(LIN, message, "lesson_continue").payload


def aimed(template: dict, value: dict) -> bytes:
    payload = copy.deepcopy(template)
    payload["actions"][0].update(action_id="quiz_answer_0", value=json.dumps(value))
    return payload_body(payload)


def stored_answers(database_url: str) -> dict[tuple, int]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT lesson_id, question_id, COUNT(*) FROM quiz_answers "
                                       "WHERE user_id = :u GROUP BY lesson_id, question_id"), {"u": LIN}).all()
    engine.dispose()
    return {(r[0], r[1]): r[2] for r in rows}


def completed_lessons(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT lesson_id FROM lesson_progress WHERE user_id = :u "
                                       "AND completed_at IS NOT NULL"), {"u": LIN}).all()
    engine.dispose()
    return {r[0] for r in rows}


def fully_answered(stored: dict[tuple, int]) -> set[str]:
    """Lessons every question of which has a stored answer."""
    questions: dict[str, set[str]] = {}
    for value in quiz_clicks():
        questions.setdefault(value["l"], set()).add(value["q"])
    return {lesson for lesson, qs in questions.items() if all((lesson, q) in stored for q in qs)}


def test_bot_killed_while_answering_quizzes(tmp_path, database_url):
    """On SQLite and on Postgres (the `database_url` fixture of tests/conftest.py)."""
    rng = random.Random(9)
    ws = Workspace(signing_secret=SECRET, bot_token=TOKEN).start()
    process = start_bot(tmp_path, ws, database_url)
    try:
        template = template_click(ws)
        pending, acknowledged, kills = quiz_clicks(), set(), 0
        for _round in range(ROUNDS):
            batch, pending = pending[:3], pending[3:]
            killer = threading.Timer(rng.uniform(0.0, 0.25), lambda p=process: p.send_signal(signal.SIGKILL))
            killer.start()
            for value in batch:
                delivery = ws.deliver("block_actions", None, aimed(template, value), FORM)
                if delivery.status == 200:
                    acknowledged.add((value["l"], value["q"]))
                else:
                    pending.append(value)  # not acknowledged: Slack would show an error; the learner clicks again
            killer.join()
            process.wait(timeout=10)
            kills += 1
            process = start_bot(tmp_path, ws, database_url)
        # an answer is stored before its ack; give the live bot's commits a moment to be visible, no more
        poll_until(lambda: acknowledged <= set(stored_answers(database_url)), timeout=10, interval=0.2)
        stored = stored_answers(database_url)
        lost = sorted(acknowledged - set(stored))
        doubled = {k: n for k, n in stored.items() if n > 1}
        answered, done = fully_answered(stored), completed_lessons(database_url)
        print(f"crash-quiz rounds={ROUNDS} kills={kills} acknowledged={len(acknowledged)} "
              f"stored={len(stored)} lost={len(lost)} doubled={len(doubled)} "
              f"lessons fully answered={len(answered)} completed={len(answered & done)}")
        assert answered - done == set(), "every lesson with all its answers stored is completed"
        assert kills >= 20 or ROUNDS < 20
        assert not doubled
        assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged answers lost"
    finally:
        process.kill()
        process.wait(timeout=10)
        ws.stop()
