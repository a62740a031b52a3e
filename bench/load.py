"""Load (issue 14): LEARNERS learners answer every quiz question of the course, one click every 5-15 s
each, for SECONDS, against the bot (`tutor run --http --no-worker`) on SQLite and on Postgres, and the
same clicks against the bare Bolt app (`bench/bare_bolt.py`), back to back, RUNS times.

Latency is signed POST to ack, measured by the learners in a process of their own (the sandbox, which
answers the bot's Web API calls, runs in this one).
Each run ends with its own targets: p99 ack at most 2x the bare app's p99 of the same run and at most
1 s; throughput (acknowledged clicks per second) at least 0.8x the bare app's; no click lost (acked but
not stored) and none stored twice. After the last run, the bot's RSS (goal 5).

    .venv/bin/python -m bench.load [--runs 5] [--seconds 60] [--learners 200] [--backends sqlite,postgres]
                                   [--postgres URL] [--profile DIR]

Postgres: `--postgres`, else TUTOR_BENCH_POSTGRES_URL, else TUTOR_TEST_POSTGRES_URL. Each run gets a
database of its own on that server, created empty and dropped after (the URL's own database is left as
it is), so every run starts where SQLite's fresh data directory starts: one database shared by all runs
grew, and later runs were slower (p50 10 -> 17 ms at 35,000 answers).

`--profile DIR` records the bot of every run with py-spy (`pip install py-spy`; not a project
dependency) into DIR as collapsed stacks, idle time included.
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.bot import SECRET, TOKEN, start_bare, start_bot
from bench.targets import finish, percentile
from bot.processes import stop_process
from sandbox.delivery import FORM
from sandbox.driver import Workspace
from sandbox.payloads import payload_body
from sandbox.signing import signed_headers

THINK_SECONDS = (5.0, 15.0)  # a learner reads each question before clicking: 200 learners, ~20 clicks/s
TEMPLATE_USER = "U0LOADTPL"
DELIVERY_TIMEOUT_S = 10.0  # the sandbox deliverer's; Slack itself gives up at 3 s


def quiz_values() -> list[dict]:
    """Every question of every lesson, as the value (less the user) a quiz button carries."""
    from bot.services.course import CourseService

    course = CourseService()
    lessons = [course.lesson(lesson_id) for module in course.course.modules for lesson_id in module.lessons]
    return [{"l": lesson.id, "q": q.id, "c": 0} for lesson in lessons for q in lesson.quiz]


def template_click(ws: Workspace) -> dict:
    """A real block_actions payload from the bot's first lesson message, re-aimed at each question."""
    ws.slash(TEMPLATE_USER, "/lesson", "1.1")
    message = ws.wait_for(lambda: [m for m in ws.messages(ws.dm_channel(TEMPLATE_USER), include_ephemeral=False)
                                   if "lesson_continue" in json.dumps(m.get("blocks", []))], timeout=60)[0]
    return ws.click(TEMPLATE_USER, message, "lesson_continue").payload


def click_as(template: dict, user: str, value: dict) -> bytes:
    payload = copy.deepcopy(template)
    payload["user"].update(id=user, username=user.lower(), name=user.lower())
    payload["actions"][0].update(action_id="quiz_answer_0", value=json.dumps({**value, "u": user}))
    return payload_body(payload)


def post(url: str, body: bytes) -> tuple[int | None, str]:
    """One signed delivery, as Slack posts it (the sandbox's deliverer does the same); (status, error)."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": FORM, **signed_headers(SECRET, body)})
    try:
        with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_S) as response:
            response.read()
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (urllib.error.URLError, OSError) as error:
        return None, str(getattr(error, "reason", error))


def drive(url: str, template: dict, learners: list[str], seconds: float, seed: int) -> dict:
    """Every learner clicks through the course's questions until `seconds` are up (after a spread-out
    arrival); returns latencies, acknowledged [user, lesson, question] keys and failures."""
    questions = quiz_values()
    latencies: list[float] = []
    acked: list[list[str]] = []
    failures: list[str] = []
    lock = threading.Lock()
    started = time.monotonic()
    stop_at = started + seconds

    def learner(user: str, rng: random.Random) -> None:
        time.sleep(rng.uniform(0, THINK_SECONDS[1]))
        for value in questions:
            if time.monotonic() >= stop_at:
                return
            body = click_as(template, user, value)
            t0 = time.monotonic()
            status, error = post(url, body)
            elapsed = time.monotonic() - t0
            with lock:
                latencies.append(elapsed)
                if status == 200:
                    acked.append([user, value["l"], value["q"]])
                else:
                    failures.append(f"{user}: {status} {error}")
            time.sleep(max(0.0, min(rng.uniform(*THINK_SECONDS), stop_at - time.monotonic())))

    threads = [threading.Thread(target=learner, args=(user, random.Random(seed * 100_000 + i)), daemon=True)
               for i, user in enumerate(learners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return {"latencies": latencies, "acked": acked, "failures": failures, "seconds": time.monotonic() - started}


def _drive_to_file(out: str, *args) -> None:
    Path(out).write_text(json.dumps(drive(*args)))


def drive_apart(url: str, template: dict, learners: list[str], seconds: float, seed: int) -> dict:
    """`drive` in a process of its own: the learners' clocks do not share a GIL with the sandbox, which
    answers the bot's Web API calls in this process (the bare app makes none)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "drive.json")
        child = multiprocessing.get_context("spawn").Process(
            target=_drive_to_file, args=(out, url, template, learners, seconds, seed))
        child.start()
        child.join(seconds + 120)
        if child.is_alive():
            child.kill()
            raise RuntimeError("the load process did not finish")
        result = json.loads(Path(out).read_text())
    result["acked"] = {tuple(key) for key in result["acked"]}
    return result


def stored_answers(database_url: str, learners: list[str]) -> dict[tuple, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT user_id, lesson_id, question_id, COUNT(*) FROM quiz_answers "
                                           "WHERE user_id LIKE :prefix GROUP BY user_id, lesson_id, question_id"),
                                      {"prefix": learners[0][:-4] + "%"}).all()
    finally:
        engine.dispose()
    return {(r[0], r[1], r[2]): r[3] for r in rows}


@contextmanager
def fresh_postgres(server_url: str, name: str):
    """A new, empty database `name` on the server of `server_url`, dropped afterwards: yields its URL."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def summary(app: str, backend: str, run: int, result: dict) -> dict:
    lat = result["latencies"]
    return {"run": run, "app": app, "backend": backend, "clicks": len(lat), "acked": len(result["acked"]),
            "failures": len(result["failures"]), "p50": percentile(lat, 0.5), "p99": percentile(lat, 0.99),
            "max": max(lat) if lat else float("nan"), "rate": len(result["acked"]) / result["seconds"],
            "lost": None, "doubled": None}


def profile(pid: int, path: Path) -> subprocess.Popen | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("py-spy not found: no profile (pip install py-spy)")
        return None
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--idle", "--threads", "--format", "raw",
                             "--rate", "20", "--nonblocking", "--output", str(path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def run_bot(ws: Workspace, backend: str, database_url: str | None, run: int, args,
            learners: list[str]) -> tuple[dict, float, dict]:
    """One bot process, fresh data dir: the load, then lost/doubled from its database; (row, RSS MB,
    the click payload it was driven with)."""
    with tempfile.TemporaryDirectory() as data_dir:
        bot, url, _cold = start_bot(ws.api_url, data_dir, database_url)
        spy = None
        try:
            ws.bot_url = f"{url}/slack/events"
            template = template_click(ws)
            if args.profile:
                spy = profile(bot.pid, Path(args.profile) / f"load-run{run}-{backend}.txt")
            result = drive_apart(ws.bot_url, template, learners, args.seconds, seed=run)
            # the work after the last acks: let it finish before counting rows and reading memory
            time.sleep(3.0)
            if spy is not None:
                spy.send_signal(2)  # SIGINT: py-spy writes its file and exits
                spy.wait(timeout=60)
            rss_mb = psutil.Process(bot.pid).memory_info().rss / 1e6
            stored = stored_answers(database_url or f"sqlite:///{data_dir}/tutor.db", learners)
        finally:
            stop_process(bot)
    row = summary("bot", backend, run, result)
    row["lost"] = len(result["acked"] - set(stored))
    row["doubled"] = sum(1 for n in stored.values() if n > 1)
    return row, rss_mb, template


def run_bare(ws: Workspace, template: dict, run: int, args, learners: list[str]) -> dict:
    bare, url = start_bare(ws.api_url)
    try:
        ws.bot_url = f"{url}/slack/events"
        return summary("bare", "-", run, drive_apart(ws.bot_url, template, learners, args.seconds, seed=run))
    finally:
        stop_process(bare)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--postgres", default=os.environ.get("TUTOR_BENCH_POSTGRES_URL")
                        or os.environ.get("TUTOR_TEST_POSTGRES_URL"))
    parser.add_argument("--profile", help="a directory for py-spy profiles of the bot")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    if "postgres" in backends and not args.postgres:
        raise SystemExit("postgres: pass --postgres URL (or set TUTOR_BENCH_POSTGRES_URL), or --backends sqlite")
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    ws = Workspace(signing_secret=SECRET, bot_token=TOKEN).start()
    ws.add_user(TEMPLATE_USER, "loadtemplate", tz="UTC")
    rows, rss_mb = [], float("nan")
    stamp = f"{int(time.time()) % 10_000:04d}"  # learner ids and database names of this invocation
    print(HEADER, flush=True)
    try:
        for run in range(1, args.runs + 1):
            for backend in backends:
                learners = add_learners(ws, f"U7{stamp}{run:02d}{backend[0].upper()}", args.learners)
                if backend == "postgres":
                    with fresh_postgres(args.postgres, f"tutor_bench_load_{stamp}_{run}") as database_url:
                        row, rss_mb, template = run_bot(ws, backend, database_url, run, args, learners)
                else:
                    row, rss_mb, template = run_bot(ws, backend, None, run, args, learners)
                rows.append(row)
                print(line(row), flush=True)
            learners = add_learners(ws, f"U7{stamp}{run:02d}B", args.learners)
            rows.append(run_bare(ws, template, run, args, learners))
            print(line(rows[-1]), flush=True)
    finally:
        ws.stop()
    print()
    print(HEADER)
    for row in rows:
        print(line(row))
    targets = []
    for run in range(1, args.runs + 1):
        bare = next(r for r in rows if r["run"] == run and r["app"] == "bare")
        for row in (r for r in rows if r["run"] == run and r["app"] == "bot"):
            tag = f"run{run}_{row['backend']}"
            vs_bare = row["p99"] / bare["p99"]
            rate = row["rate"] / bare["rate"]
            targets += [
                (f"p99_ack_vs_bare_{tag}", vs_bare, "<= 2x bare p99, same run", vs_bare <= 2),
                (f"p99_ack_s_{tag}", row["p99"], "<= 1 s", row["p99"] <= 1.0),
                (f"throughput_vs_bare_{tag}", rate, ">= 0.8", rate >= 0.8),
                (f"lost_{tag}", row["lost"], "== 0", row["lost"] == 0),
                (f"doubled_{tag}", row["doubled"], "== 0", row["doubled"] == 0),
                (f"failures_{tag}", row["failures"], "== 0", row["failures"] == 0),
            ]
    targets.append(("bot_rss_mb_after_load", rss_mb, "<= 150", rss_mb <= 150))
    print(f"bot RSS after the last load run: {rss_mb:.1f} MB")
    finish(targets)


def add_learners(ws: Workspace, prefix: str, count: int) -> list[str]:
    learners = [f"{prefix}{i:04d}" for i in range(count)]
    for user in learners:
        ws.add_user(user, user.lower(), tz="UTC")
    return learners


HEADER = (f"{'run':>3} {'app':4} {'backend':8} {'clicks':>6} {'acked':>6} {'fail':>4} {'p50 s':>6} {'p99 s':>6} "
          f"{'max s':>6} {'ack/s':>6} {'lost':>4} {'doubled':>7}")


def line(row: dict) -> str:
    dash = lambda v: "-" if v is None else str(v)  # noqa: E731
    return (f"{row['run']:>3} {row['app']:4} {row['backend']:8} {row['clicks']:>6} {row['acked']:>6} "
            f"{row['failures']:>4} {row['p50']:>6.3f} {row['p99']:>6.3f} {row['max']:>6.3f} {row['rate']:>6.1f} "
            f"{dash(row['lost']):>4} {dash(row['doubled']):>7}")


if __name__ == "__main__":
    main()
