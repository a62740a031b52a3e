"""The in-process harness: the real Bolt app (`build_app(settings, build_services(...))`) with request
verification on, its Web API client pointed at a sandbox `Workspace`, and no bot HTTP server.

The sandbox still builds every request the way Slack does (a slash command from a channel, a click on
a posted message's button, a modal submission, an event) and signs it; instead of an HTTP post, the
signed body goes to `app.dispatch(BoltRequest(...))`, and the ack comes back to the sandbox as it would
over the wire (ephemeral replies, `response_action`s). Deliveries are journaled as usual.

The ack half of a listener runs on the dispatching thread and the listener itself after it, on the
app's after-ack executor (`handlers.common.after_ack`, `process_before_response=True`), so tests either wait on the journal / a DB row for an effect, or call `settle()`, which returns once every
listener started so far has finished: the way to prove that a request did *nothing*.

    def test_progress(tutor_inproc):
        t = tutor_inproc
        t.ws.slash(LIN, "/progress")
        reply = t.wait(lambda: ephemerals(t.ws, user=LIN))
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from tests.helpers import SECRET, TOKEN, TrackingExecutor, bolt_request, dm, track_listeners, wait_for

INPROCESS_URL = "inprocess://bolt/slack/events"  # a placeholder: the sandbox needs a bot_url to deliver


@dataclass
class InProcessTutor:
    ws: Any  # sandbox.driver.Workspace
    app: Any  # slack_bolt.App
    services: Any  # bot.services.Services
    settings: Any
    clock: Any
    tracker: TrackingExecutor
    dispatched: list = field(default_factory=list)  # (kind, status) of every request the app answered

    def settle(self, timeout: float = 15.0) -> None:
        """Wait until every listener started so far (commands, clicks, events) has finished."""
        self.tracker.wait_idle(timeout)

    def wait(self, predicate: Callable[[], Any], timeout: float = 10.0, message: str = ""):
        return wait_for(predicate, timeout, message=message)

    def dm(self, user: str, *, ephemeral: bool = False) -> list[dict]:
        return dm(self.ws, user, ephemeral=ephemeral)

    def dispatch(self, body: bytes | str, content_type: str, **signing: Any):
        """Hand Bolt one signed request body directly (no sandbox bookkeeping); returns the BoltResponse."""
        return self.app.dispatch(bolt_request(body, content_type, SECRET, **signing))


def _dispatcher(app, dispatched: list):
    """Stands in for the sandbox deliverer's HTTP post: the same signed bytes, into `app.dispatch`."""
    from sandbox.delivery import Delivery
    from slack_bolt import BoltRequest

    def post(kind: str, payload: Any, body: bytes, headers: dict) -> Delivery:
        started = time.monotonic()
        request = BoltRequest(body=body.decode("utf-8"), headers={k.lower(): v for k, v in headers.items()})
        response = app.dispatch(request)
        dispatched.append((kind, response.status))
        return Delivery(kind, payload, response.status, response.body or "", time.monotonic() - started)

    return post


def start_inprocess(tmp_path: Path, *, database_url: str | None = None, redis_url: str | None = None,
                    env: dict | None = None, clock=None) -> InProcessTutor:
    from bot.app import build_app
    from bot.clock import MovableClock
    from bot.config import load_settings
    from bot.composition import build_services
    from sandbox.driver import Workspace

    ws = Workspace(signing_secret=SECRET, bot_token=TOKEN).start()  # the Web API side, on a loopback port
    settings = load_settings({
        "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": ws.api_url,
        "TUTOR_DATA_DIR": str(tmp_path / "data"), **({"DATABASE_URL": database_url} if database_url else {}),
        **({"REDIS_URL": redis_url} if redis_url else {}), **(env or {})})
    clock = clock or MovableClock(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))  # a Monday
    services = build_services(settings, clock=clock)
    services.db.upgrade()
    app = build_app(settings, services)
    tracker = track_listeners(app)
    tutor = InProcessTutor(ws, app, services, settings, clock, tracker)
    ws.bot_url = INPROCESS_URL
    # The sandbox has no public transport hook; its deliverer's one HTTP step is replaced here only.
    ws._server.deliverer._post = _dispatcher(app, tutor.dispatched)
    return tutor


def stop_inprocess(tutor: InProcessTutor) -> None:
    try:
        tutor.settle(timeout=30)
    finally:
        tutor.services.db.dispose()
        tutor.ws.stop()


# ----- which listener each in-process test drives (tests/handlers/test_handlers_coverage.py checks it) --
COVERED: set[str] = set()


def covers(*listeners: str):
    """Mark a test as driving these listeners (`module.function`, as `helpers.listener_names` lists them)."""
    def mark(test):
        COVERED.update(listeners)
        test.covers = listeners
        return test

    return mark
