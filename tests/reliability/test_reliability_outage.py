"""Dependencies down: every statement to the database fails (a `before_cursor_execute` hook raises
OperationalError while a flag is set) → the learner is told "try again shortly", nothing is half-written;
the flag cleared → the same click works with no restart."""

from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from bot.app import BUSY
from tests.reliability.conftest import all_bot_text, stored_rows
from sandbox.delivery import FORM
from tests.reliability.test_reliability_crash import aimed, quiz_clicks, template_click


class Outage:
    """While `down` is set, the engine refuses every statement, as a database that went away does."""

    def __init__(self, engine):
        self.down = threading.Event()
        event.listen(engine, "before_cursor_execute", self._refuse)

    def _refuse(self, *_args, **_kwargs):
        if self.down.is_set():
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database unavailable (simulated)"))


def answer_click(ws, template: dict):
    """Lin answers the first question of lesson 1.1 (a genuine, signed block_actions delivery)."""
    return ws.deliver("block_actions", None, aimed(template, quiz_clicks()[0]), FORM)


def test_database_down_then_back(backend_tutor):
    ws = backend_tutor.ws
    template = template_click(ws)  # Lin opens lesson 1.1; her real click payload is re-aimed at its quiz
    outage = Outage(backend_tutor.services.db.engine)
    before = stored_rows(backend_tutor)

    outage.down.set()
    refused = answer_click(ws, template)
    ws.wait_for(lambda: BUSY in all_bot_text(backend_tutor), message="the 'try again shortly' reply")
    outage.down.clear()
    assert stored_rows(backend_tutor) == before  # nothing half-written

    assert answer_click(ws, template).status == 200
    ws.wait_for(lambda: stored_rows(backend_tutor)["quiz_answers"] == before["quiz_answers"] + 1,
                message="the answer stored once the database is back")
    print(f"db-outage: click during outage answered HTTP {refused.status}, BUSY told, rows unchanged; "
          "after recovery stored once")
    assert "Traceback" not in all_bot_text(backend_tutor)


def test_queue_down_fails_the_job_with_a_message(tmp_path):
    """Redis (the queue) refuses connections: the request is answered, the job ends failed, nothing waits."""
    from tests.conftest import start_tutor, stop_tutor

    tutor = start_tutor(tmp_path, redis_url="redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        tutor.ws.slash("U0LIN", "/finetune", "data=support_tickets model=tiny", channel="C0GENERAL")
        reply = tutor.ws.wait_for(lambda: [m for m in tutor.ws.messages("C0GENERAL") if m.get("is_ephemeral")], timeout=30)
        assert "try again shortly" in reply[0]["text"]
        jobs = tutor.services.jobs.for_user("T0SANDBOX", "U0LIN")
        assert [j.state for j in jobs] == ["failed"] and jobs[0].error_code == "queue_unavailable"
    finally:
        stop_tutor(tutor)
