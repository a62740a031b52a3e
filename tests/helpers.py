"""Helpers shared by every test lane: the sandbox's people, reading what the bot posted, signed Slack
request bodies, waiting on conditions (never sleeping), Bolt's after-ack work, and worker processes.

Import from here instead of redefining `dm`, `spawn_worker` or a signing helper in a test module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any, Callable, TypeVar

from sandbox.driver import wait_for as sandbox_wait_for

ROOT = Path(__file__).resolve().parents[1]
TEAM = "T0SANDBOX"
ADA, LIN, KOFI, PRIYA = "U0ADA", "U0LIN", "U0KOF", "U0PRI"  # Ada is the sandbox's admin; the others are not
TOKEN, SECRET = "xoxb-test-token", "test-secret"
GENERAL = "C0GENERAL"

T = TypeVar("T")


def lesson_count() -> int:
    """How many lessons the real course has (content/course.yaml): the course grows, so tests that
    check texts such as "Lesson 1 of N" ask for N instead of writing it down."""
    from bot.course.loader import load_course

    return len(load_course())


# ----- waiting ------------------------------------------------------------------------------------
def wait_for(predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.02, message: str = "") -> T:
    """Poll `predicate()` until it is truthy and return its value; AssertionError on timeout. Tests wait
    on a journal entry, a message or a row, never on the clock (the loop itself is the sandbox's)."""
    return sandbox_wait_for(predicate, timeout, interval, message)


def poll_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.05) -> bool:
    """Like `wait_for`, but returns False on timeout: for soak tests that report what they found."""
    try:
        sandbox_wait_for(predicate, timeout, interval)
    except AssertionError:
        return False
    return True


# ----- reading the sandbox ------------------------------------------------------------------------
def text_of(message: dict) -> str:
    return message.get("text", "") + json.dumps(message.get("blocks", []), ensure_ascii=False)


def buttons(message: dict, prefix: str) -> list[dict]:
    return [e for b in message.get("blocks", []) if b.get("type") == "actions"
            for e in b.get("elements", []) if e.get("action_id", "").startswith(prefix)]


def dm(ws, user: str, *, ephemeral: bool = False) -> list[dict]:
    """The bot's messages in `user`'s DM (without ephemeral ones unless asked), in time order."""
    return [m for m in ws.messages(ws.dm_channel(user)) if ephemeral or not m.get("is_ephemeral")]


def wait_dm(ws, user: str, predicate: Callable[[dict], bool], timeout: float = 10.0) -> list[dict]:
    return wait_for(lambda: [m for m in dm(ws, user) if predicate(m)], timeout,
                    message=f"a DM to {user} matching {predicate}")


def ephemerals(ws, channel: str = GENERAL, user: str | None = None) -> list[dict]:
    return [m for m in ws.messages(channel) if m.get("is_ephemeral") and (user is None or m.get("visible_to") == user)]


def wait_journal(ws, method: str | None = None, *, kind: str | None = None, where: Callable[[dict], bool] | None = None,
                 count: int = 1, timeout: float = 10.0) -> list[dict]:
    """Wait until the sandbox's journal holds `count` matching entries (Web API calls by default)."""
    kind = kind or ("api" if method else None)

    def found():
        entries = [e for e in ws.journal(method, kind) if where is None or where(e)]
        return entries if len(entries) >= count else None

    return wait_for(found, timeout, message=f"{count} journal entries {method or kind}")


def api_calls(ws, method: str | None = None) -> list[dict]:
    """Web API calls the bot made, without Bolt's own `auth.test` (it looks up the bot's identity)."""
    return [e for e in ws.journal(method, "api") if e.get("method") != "auth.test"]


def rejected_api_calls(ws) -> list[dict]:
    return [e for e in ws.journal(kind="api") if not (e.get("response") or {}).get("ok", True)]


# ----- Slack's signed request bodies (for `app.dispatch` or a raw HTTP post) ----------------------
def signed_headers(body: bytes | str, secret: str = SECRET, content_type: str | None = None,
                   timestamp: int | str | None = None) -> dict:
    from sandbox.signing import signed_headers as sign

    headers = {key.lower(): value for key, value in sign(secret, body, timestamp).items()}
    if content_type:
        headers["content-type"] = content_type
    return headers


def bolt_request(body: bytes | str, content_type: str, secret: str = SECRET, **signing: Any):
    """A Bolt request for `body`, signed as Slack signs it, so the app's verification stays on."""
    from slack_bolt import BoltRequest

    raw = body.decode("utf-8") if isinstance(body, bytes) else body
    return BoltRequest(body=raw, headers=signed_headers(raw, secret, content_type, **signing))


def slash_body(ws, user: str, command: str, text: str = "", channel: str = GENERAL) -> bytes:
    """The form body of `/command text` typed by `user` in `channel`, with a live response_url and trigger."""
    from sandbox import payloads
    from sandbox.responseurls import new_response_url

    channel_id = ws.state.resolve_channel(channel)
    fields = payloads.slash_command(ws.state, user, command, text, channel_id,
                                    new_response_url(ws.state, channel_id, user), payloads.new_trigger(ws.state, user))
    return payloads.form_body(fields)


def click_body(ws, user: str, message: dict, action_id: str) -> bytes:
    """The block_actions body of `user` pressing the button `action_id` of a posted message."""
    from sandbox import payloads
    from sandbox.messages import find_element
    from sandbox.responseurls import new_response_url

    stored = ws.state.find_message(message["channel"], message["ts"])
    block, element = find_element(stored.get("blocks") or [], action_id, None)
    payload = payloads.block_actions(ws.state, user, payloads.action_entry(block, element),
                                     trigger_id=payloads.new_trigger(ws.state, user), message=stored,
                                     response_url=new_response_url(ws.state, stored["channel"], user, stored["ts"]))
    return payloads.payload_body(payload)


def view_submission_body(ws, user: str, view: dict) -> bytes:
    from sandbox import payloads

    payload = payloads.view_submission(ws.state, user, view, payloads.new_trigger(ws.state, user))
    return payloads.payload_body(payload)


def event_body(ws, event: dict) -> bytes:
    """An Events API `event_callback` envelope (JSON) around `event`."""
    from sandbox import payloads

    return json.dumps(payloads.event_callback(ws.state, event)).encode()


# ----- Bolt's work after the ack ------------------------------------------------------------------
class TrackingExecutor(Executor):
    """Wraps Bolt's listener executor and counts the work in flight, so a test can wait until every
    listener that was started has finished (`wait_idle`) instead of sleeping "long enough"."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self._pending = 0
        self._started = 0
        self._idle = threading.Condition()
        self.errors: list[BaseException] = []

    def submit(self, fn, /, *args, **kwargs) -> Future:
        with self._idle:
            self._pending += 1
            self._started += 1

        def run():
            try:
                return fn(*args, **kwargs)
            except BaseException as error:  # Bolt's runner handles listener errors; this is its own
                self.errors.append(error)
                raise
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

        try:
            return self.inner.submit(run)
        except BaseException:  # refused (bot.afterack.Busy): nothing is in flight
            with self._idle:
                self._pending -= 1
                self._started -= 1
                self._idle.notify_all()
            raise

    @property
    def started(self) -> int:
        return self._started

    def close(self, grace_s: float = 5.0) -> int:
        return self.inner.close(grace_s)  # the runtime's stop, as on the AfterAck it wraps

    def wait_idle(self, timeout: float = 15.0) -> None:
        with self._idle:
            if not self._idle.wait_for(lambda: self._pending == 0, timeout):
                raise AssertionError(f"{self._pending} listener(s) still running after {timeout}s")

    def shutdown(self, wait: bool = True, **kwargs) -> None:
        self.inner.shutdown(wait=wait, **kwargs)


def track_listeners(app) -> TrackingExecutor:
    """Count the after-ack work of a Bolt `App` (its listener and lazy-listener executor).
    `handlers.common.after_ack` puts a listener on that executor before the ack goes out, so once a
    request has been answered its work is counted. (Bolt keeps the executor on its listener runner;
    there is no public hook for it.)"""
    runner = app.listener_runner
    if isinstance(runner.listener_executor, TrackingExecutor):
        return runner.listener_executor
    tracker = TrackingExecutor(runner.listener_executor)
    runner.listener_executor = tracker
    runner.lazy_listener_runner.executor = tracker
    return tracker


def listener_names(app) -> set[str]:
    """`module.function` of every listener registered on a Bolt app (commands, actions, views, events...)."""
    return {f"{listener.ack_function.__module__}.{listener.ack_function.__name__}" for listener in app._listeners}


# ----- worker processes ---------------------------------------------------------------------------
def worker_env(settings, api_url: str, **extra: str) -> dict:
    """The environment `python -m bot worker` needs to join a bot with these settings."""
    env = dict(os.environ, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api_url,
               TUTOR_DATA_DIR=str(settings.data_dir), TUTOR_LOG_LEVEL="WARNING")
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    env.update(extra)
    return env


def latest_job(tutor, user: str = LIN):
    """The learner's newest fine-tune job (None before the first)."""
    jobs = tutor.services.jobs.for_user("T0SANDBOX", user)
    return jobs[0] if jobs else None


def spawn_worker(tutor, *, quiet: bool = False, **env: str) -> subprocess.Popen:
    """A real `python -m bot worker` process for a running tutor (same data dir, database and queue)."""
    output = subprocess.DEVNULL if quiet else None
    return subprocess.Popen([sys.executable, "-m", "bot", "worker"], cwd=ROOT,
                            env=worker_env(tutor.settings, tutor.ws.api_url, **env), stdout=output, stderr=output)


# ----- learning flows (work with the in-process harness and with the HTTP `tutor`) ------------------
def read_whole_lesson(tutor, user: str, lesson_id: str) -> list[dict]:
    """Click Continue until the quiz arrives; returns the question messages of `lesson_id`."""
    ws, course = tutor.ws, tutor.services.course
    for page in range(1, course.page_count(lesson_id)):
        message = wait_dm(ws, user, lambda m: any(json.loads(b["value"]).get("p") == page
                                                  and json.loads(b["value"]).get("l") == lesson_id
                                                  for b in buttons(m, "lesson_continue")))[-1]
        assert ws.click(user, message, "lesson_continue").status == 200
    questions = len(course.lesson(lesson_id).quiz)
    return wait_for(lambda: (lambda qs: qs if len(qs) >= questions else None)(
        [m for m in dm(ws, user) if buttons(m, "quiz_answer_")
         and json.loads(buttons(m, "quiz_answer_")[0]["value"])["l"] == lesson_id]),
        message=f"the {questions} questions of lesson {lesson_id}")


def answer(tutor, user: str, question_message: dict, right: bool):
    """`user` clicks the right (or a wrong) choice of a quiz question message; returns the Delivery."""
    value = json.loads(buttons(question_message, "quiz_answer_")[0]["value"])
    question = next(q for q in tutor.services.course.lesson(value["l"]).quiz if q.id == value["q"])
    index = question.choices.index(question.answer)
    if not right:
        index = (index + 1) % len(question.choices)
    return tutor.ws.click(user, question_message, f"quiz_answer_{index}")


def make_worker(settings, jobs):
    """A `bot.worker.Worker` over these settings and this job service (the composition root's parts)."""
    from bot.course.loader import default_content_dir
    from bot.finetune_request import sample_datasets
    from bot.services.finetune_data import DataResolver
    from bot.services.job_messages import JobMessages
    from bot.services.run_questions import RunQuestionService
    from bot.slack import Clients
    from bot.worker import Worker

    clients = Clients(settings.api_url, settings.bot_token or "xoxb-x", None)
    messages = JobMessages(jobs, clients, RunQuestionService(jobs.db, jobs.clock))
    from bot.composition import build_challenges

    samples = sample_datasets(default_content_dir())
    return Worker(settings=settings, jobs=jobs, clients=clients, messages=messages,
                  resolver=DataResolver(samples, settings.uploads_dir),
                  challenges=build_challenges(settings, jobs.db, jobs.clock, samples))


def sample_request(text: str = "data=support_tickets", hub_online: bool = False) -> dict:
    """A parsed `/finetune` request over the project's sample sets, as a job row stores it."""
    from bot.course.loader import default_content_dir
    from bot.finetune_request import RequestParser, sample_datasets

    return RequestParser(sample_datasets(default_content_dir()), lambda: hub_online).parse(text).to_dict()
