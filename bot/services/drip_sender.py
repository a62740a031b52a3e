"""Sending claimed drips: paced to Slack's limits, retried on transient errors, and marked so an
interrupted send can be looked up later instead of guessed at."""

from __future__ import annotations

import logging
import queue as queue_module
import threading
import time
from dataclasses import dataclass
from typing import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.drips import DRIP_EVENT, PERMANENT_ERRORS, TRANSIENT_RETRIES, Claim, DripService

log = logging.getLogger(__name__)


class Pacer:
    """Spaces sends to a workspace-wide budget (Slack allows about one message a second per channel,
    and each DM is its own channel, so the workspace budget is what binds)."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            self._next = slot + self.interval
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)


class DripSender:
    """Sends claimed deliveries from a queue on background threads, paced; records each outcome."""

    def __init__(self, service: DripService, deliver: Callable, client: WebClient, per_second: float = 20.0,
                 threads: int = 4, client_for_team: Callable[[str], WebClient] | None = None):
        """`deliver(client, claim) -> (channel, ts, lesson_id | None, status)` posts one drip (see
        `DripLessons`); `client_for_team` (e.g. `Clients.for_team`) picks each workspace's token in OAuth
        mode; without it every delivery uses `client`."""
        self.service, self.deliver, self.client = service, deliver, client
        self.client_for_team = client_for_team
        self.pacer = Pacer(per_second)
        self.queue: queue_module.Queue[Claim | None] = queue_module.Queue()
        self._threads = [threading.Thread(target=self._run, name=f"drip-sender-{i}", daemon=True)
                         for i in range(threads)]
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            for thread in self._threads:
                thread.start()
            for claim in self.service.pending_claims():
                self.queue.put(claim)

    def stop(self) -> None:
        for _ in self._threads:
            self.queue.put(None)

    def submit(self, claims: list[Claim]) -> None:
        for claim in claims:
            self.queue.put(claim)

    def submit_verifications(self, claims: list[Claim]) -> None:
        for claim in claims:
            self.queue.put(_Verify(claim))

    def idle(self) -> bool:
        return self.queue.unfinished_tasks == 0

    def _run(self) -> None:
        while True:
            claim = self.queue.get()
            try:
                if claim is None:
                    return
                if isinstance(claim, _Verify):
                    self.verify(claim.claim)
                    continue
                self.send(claim)
            except Exception:
                log.exception("drip delivery %s failed unexpectedly", claim.delivery_id if claim else None)
            finally:
                self.queue.task_done()

    def send(self, claim: Claim) -> None:
        """Attempt one delivery; transient errors retry the whole delivery only while nothing of it has
        reached the learner, so a retry never repeats a lesson page they already have."""
        self.pacer.wait()  # before `sending`: that state must only cover the Web API calls themselves
        if not self.service.mark_sending(claim):
            return
        for attempt in range(TRANSIENT_RETRIES + 1):
            if attempt:
                self.pacer.wait()
            client = None
            try:
                client = PostRecorder(self._client(claim.team_id), claim.delivery_id)
                channel, ts, lesson_id, status = self.deliver(client, claim)
                self.service.finish(claim, status, lesson_id=lesson_id, channel=channel, ts=ts)
                return
            except SlackApiError as error:
                code = str(error.response.get("error") or "unknown_error")
                posted = bool(client and client.posted)
                if code in PERMANENT_ERRORS or attempt == TRANSIENT_RETRIES or posted:
                    self._record_failure(claim, code + (" (after a partial send)" if posted else ""))
                    return
            except Exception as error:  # a bug or a dropped connection: recorded, never left "sending"
                log.exception("drip delivery %s failed unexpectedly", claim.delivery_id)
                self._record_failure(claim, f"{type(error).__name__}: {error}"[:200])
                return
            time.sleep(min(30.0, 0.5 * 2 ** attempt))

    def verify(self, claim: Claim) -> None:
        try:
            again = self.service.verify(self._client(claim.team_id), claim)
        except SlackApiError as error:
            self._record_failure(claim, f"unverifiable: {error.response.get('error')}")
            return
        if again:
            self.send(claim)

    def _client(self, team_id: str) -> WebClient:
        return self.client_for_team(team_id) if self.client_for_team else self.client

    def _record_failure(self, claim: Claim, error: str) -> None:
        self.service.finish(claim, "failed", error=error)
        log.warning("drip to %s failed: %s", claim.user_id, error)


@dataclass
class _Verify:
    claim: Claim


class PostRecorder:
    """The Web API client for one delivery attempt, noting whether any message went out."""

    def __init__(self, client: WebClient, delivery_id: int):
        self._client = client
        self.posted = False
        self.metadata = {"event_type": DRIP_EVENT, "event_payload": {"delivery_id": delivery_id}}

    def chat_postMessage(self, **kwargs):  # noqa: N802 (slack_sdk's name)
        """Every message of a drip carries its delivery id, so a restart can tell whether it went out."""
        kwargs.setdefault("metadata", self.metadata)
        response = self._client.chat_postMessage(**kwargs)
        self.posted = True
        return response

    def __getattr__(self, name: str):
        return getattr(self._client, name)
