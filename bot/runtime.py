"""Running the bot: the Bolt app, the periodic tick (drips and the job reaper), and the drip sender.

Used by `tutor run`, `tutor sandbox` and the end-to-end tests, so all three start the same thing.
"""

from __future__ import annotations

import logging
import threading

from slack_bolt import App

from bot import views
from bot.app import build_app
from bot.config import Settings
from bot.services import Services, build_services
from bot.services.drip_sender import DripSender
from bot.services.drips import Claim

log = logging.getLogger(__name__)


def make_deliver(services: Services):
    """What a daily drip sends: the next lesson, a pause notice, or the end-of-course summary."""

    def deliver(client, claim: Claim):
        team_id, user_id = claim.team_id, claim.user_id
        user = services.users.ensure(team_id, user_id, client, weekly=True)
        sub = services.drips.subscription(team_id, user_id)
        if sub is not None and sub.tz != user.tz:
            services.drips.refresh_tz(team_id, user_id, user.tz)
        channel = services.lessons.dm(client, team_id, user_id)
        if services.drips.should_pause(team_id, user_id):
            services.drips.set_paused(team_id, user_id, True)
            response = client.chat_postMessage(channel=channel, **views.drip_paused_message(user_id))
            return channel, response["ts"], None, "skipped"
        lesson_id = services.learning.next_lesson_id(team_id, user_id)
        if lesson_id is None:
            services.drips.unsubscribe(team_id, user_id)
            response = client.chat_postMessage(channel=channel, **views.course_finished_message(
                services.learning.summary(team_id, user_id)))
            return channel, response["ts"], None, "sent"
        channel, ts = services.lessons.send_lesson(client, team_id, user_id, lesson_id)
        reviews = [r for r in services.learning.due_reviews(team_id, user_id) if r.stage > 0]
        if reviews:
            client.chat_postMessage(channel=channel, **views.review_message(services.course, reviews, user_id))
        return channel, ts, lesson_id, "sent"

    return deliver


class BotRuntime:
    """The bot process's moving parts, started and stopped together."""

    def __init__(self, settings: Settings, *, clock=None, start_scheduler: bool = True,
                 sends_per_second: float = 20.0):
        self.settings = settings
        self.services = build_services(settings, clock=clock)
        self.services.db.upgrade()
        self.app: App = build_app(settings, self.services)
        self.services.drips.deliver = make_deliver(self.services)
        self.sender = DripSender(self.services.drips, self.services.client, per_second=sends_per_second,
                                 client_for_team=self.services.clients.for_team)
        self._scheduler = None
        self._start_scheduler = start_scheduler
        self._tick_lock = threading.Lock()

    def tick(self) -> int:
        """One scheduler tick: claim due drips and hand them to the sender; reap dead jobs."""
        if not self._tick_lock.acquire(blocking=False):
            return 0  # the previous tick is still running in this process
        try:
            claims = self.services.drips.due_claims()
            self.sender.submit(claims)
            self.sender.submit_verifications(self.services.drips.claim_stale_sending())
            if self.services.finetune is not None:
                self.services.finetune.notify_reaped()
            return len(claims)
        finally:
            self._tick_lock.release()

    def start(self) -> "BotRuntime":
        self.sender.start()
        if self._start_scheduler:
            from apscheduler.schedulers.background import BackgroundScheduler

            self._scheduler = BackgroundScheduler(timezone="UTC")
            self._scheduler.add_job(self._safe_tick, "interval", seconds=self.settings.drip_tick_seconds,
                                    max_instances=1, coalesce=True, id="tick")
            self._scheduler.start()
        return self

    def _safe_tick(self) -> None:
        try:
            self.tick()
        except Exception:
            log.exception("scheduler tick failed; the next one will try again")

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        self.sender.stop()
        self.services.db.dispose()


def health(runtime: BotRuntime):
    def check() -> dict:
        from sqlalchemy import text

        with runtime.services.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"ok": True}

    return check
