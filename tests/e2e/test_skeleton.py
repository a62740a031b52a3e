"""The walking skeleton end to end: signed requests over real HTTP, answers in the sandbox journal."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests


def test_lesson_help_round_trip(tutor):
    delivery = tutor.ws.slash("U0ADA", "/lesson", "help")
    assert delivery.status == 200
    assert delivery.latency < 3
    replies = tutor.ws.wait_for(lambda: [m for m in tutor.ws.messages("C0GENERAL") if "/lesson 2.1" in m.get("text", "") + str(m.get("blocks"))])
    assert replies, tutor.ws.journal()


def test_wrong_signature_is_refused(tutor):
    delivery = tutor.ws.slash("U0ADA", "/lesson", "help", signing_secret="not-the-secret")
    assert delivery.status == 401
    assert not tutor.ws.messages("C0GENERAL")


def test_stale_timestamp_is_refused(tutor):
    delivery = tutor.ws.slash("U0ADA", "/lesson", "help", timestamp=int(time.time()) - 6 * 60)
    assert delivery.status == 401


def test_health_endpoint(tutor):
    response = requests.get(f"{tutor.server.url}/healthz", timeout=5)
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_oversized_body_is_refused(tutor):
    response = requests.post(f"{tutor.server.url}/slack/events", data=b"x" * (1024 * 1024 + 10), timeout=10)
    assert response.status_code in (400, 413)


HEAVY = ("torch", "transformers", "datasets", "peft", "sklearn", "accelerate", "matplotlib")

# A fresh Python process: start the tutor, run BODY (which leaves a `report` dict), settle, then print
# the report and which of the packages named in argv[2] that process imported.
BOT_PROCESS = """
import json, pathlib, sys
from tests.conftest import start_tutor, stop_tutor
from tests.helpers import LIN, dm, wait_for
tutor = start_tutor(pathlib.Path(sys.argv[1]))
ws = tutor.ws
{body}
tutor.settle()
report["loaded"] = sorted({{m.split(".")[0] for m in sys.modules}} & set(sys.argv[2].split(",")))
stop_tutor(tutor)
print(json.dumps(report))
"""


def modules_after(body: str, tmp_path, packages: tuple[str, ...]) -> dict:
    """Run `body` in a fresh bot process (see BOT_PROCESS); its report, with `loaded`: which of
    `packages` it imported. The packages must be installed, or the check would prove nothing."""
    import importlib.util
    import json

    from tests.helpers import ROOT

    missing = [name for name in packages if not importlib.util.find_spec(name)]
    assert not missing, f"the check needs {missing} installed"
    out = subprocess.run([sys.executable, "-c", BOT_PROCESS.format(body=body), str(tmp_path), ",".join(packages)],
                         cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


EVERY_SURFACE = """
# every surface once, the /finetune ones (the closest to training) in every form
ws.slash(LIN, "/lesson", "")
ws.slash(LIN, "/progress", "")
ws.open_home(LIN)
for text in ("help", "status", "check data=support_tickets", "", "data=support_tickets model=tiny epochs=1"):
    ws.slash(LIN, "/finetune", text)
ws.upload_file(LIN, "mine.csv", b"text,label\\n" + b"refund me,billing\\nlogin broken,account\\n" * 20)
wait_for(lambda: ws.open_views(LIN) and tutor.services.jobs.for_user("T0SANDBOX", LIN), timeout=60)
offer = wait_for(lambda: [m for m in dm(ws, LIN) if "finetune_upload_check" in json.dumps(m.get("blocks", []))], 60)
ws.click(LIN, offer[0], "finetune_upload_check")
wait_for(lambda: len([m for m in dm(ws, LIN) if "Data report" in m.get("text", "")]) >= 2, 60)
ws.send_dm(LIN, "what learning rate should I use?")
wait_for(lambda: [m for m in dm(ws, LIN) if m.get("thread_ts") and "Lesson 3.2" in json.dumps(m)], 60)
tutor.settle()
report = {"lesson": any("Lesson 1.1" in m.get("text", "") for m in dm(ws, LIN)), "home": bool(ws.home_view(LIN)),
          "modal": bool(ws.open_views(LIN)), "jobs": len(tutor.services.jobs.for_user("T0SANDBOX", LIN)),
          "reports": len([m for m in dm(ws, LIN) if "Data report" in m.get("text", "")])}
"""


@pytest.mark.slow  # boots the bot in a fresh process
def test_bot_process_never_imports_torch(tmp_path):
    """Start the bot as `tutor run --http` would, in a fresh process, serve a request on every surface
    (/finetune in every form), then read that process's sys.modules."""
    report = modules_after(EVERY_SURFACE, tmp_path, HEAVY)
    heavy = report.pop("loaded")
    assert report == {"lesson": True, "home": True, "modal": True, "jobs": 1, "reports": 2}, report
    assert heavy == [], f"the bot process imported {heavy}"


TEACH_ANSWER_TICK = """
ws.slash(LIN, "/lesson", "")
ws.slash(LIN, "/progress", "")
ws.open_home(LIN)
ws.send_dm(LIN, "what learning rate should I use?")
wait_for(lambda: [m for m in dm(ws, LIN) if m.get("thread_ts") and "Lesson 3.2" in json.dumps(m)], 60)
tutor.runtime.tick()  # the periodic tick: drips, lost queue entries, reaped jobs, challenges
report = {"lesson": any("Lesson 1.1" in m.get("text", "") for m in dm(ws, LIN))}
"""


@pytest.mark.slow  # boots the bot in a fresh process
def test_a_sqlite_bot_without_fine_tunes_never_imports_the_queue_or_other_backends(tmp_path):
    """RSS (goal 5): huey imports redis and psycopg (and they opentelemetry, cryptography) whenever they
    are installed, +18 MB; a bot on SQLite that teaches, answers and ticks but queues no fine-tune needs
    none of them (`bot.queue` opens its Hueys on first use)."""
    report = modules_after(TEACH_ANSWER_TICK, tmp_path, ("huey", "redis", "psycopg"))
    assert report == {"loaded": [], "lesson": True}, report
