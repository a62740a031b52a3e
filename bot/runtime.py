"""Running the bot: the Bolt app, the periodic tick (drips and the job reaper), and the drip sender.
Everything it runs is built by the composition root (`bot.composition.build_services`); this module only
starts, ticks and stops it.

Used by `tutor run`, `tutor sandbox` and the end-to-end tests, so all three start the same thing.
"""

from __future__ import annotations

import gc
import logging
import threading

from slack_bolt import App

from bot.app import build_app
from bot.config import Settings
from bot.composition import build_services

log = logging.getLogger(__name__)


class BotRuntime:
    """The bot process's moving parts, started and stopped together."""

    def __init__(self, settings: Settings, *, clock=None, start_scheduler: bool = True,
                 sends_per_second: float = 20.0):
        self.settings = settings
        self.services = build_services(settings, clock=clock, drip_sends_per_second=sends_per_second)
        self.services.db.upgrade()
        self.app: App = build_app(settings, self.services)
        self.sender = self.services.drip_sender
        self._scheduler = None
        self._start_scheduler = start_scheduler
        self._tick_lock = threading.Lock()
        self._warming: threading.Thread | None = None

    def tick(self) -> int:
        """One scheduler tick: claim due drips and hand them to the sender; reap dead jobs."""
        if not self._tick_lock.acquire(blocking=False):
            return 0  # the previous tick is still running in this process
        try:
            claimed = 0
            for claims in self.services.drips.claim_due_chunks():
                self.sender.submit(claims)  # the sender starts on these while the next are claimed
                claimed += len(claims)
            self.sender.submit_verifications(self.services.drips.claim_stale_sending())
            self.services.finetune.notify_reaped()
            self._announce_challenges()
            return claimed
        finally:
            self._tick_lock.release()

    def _announce_challenges(self) -> None:
        try:  # a Slack or database error waits for the next tick; the drips above are not held up by it
            self.services.challenges.tick(self.services.clients.for_team)
        except Exception:
            log.exception("challenge announcements failed; the next tick tries again")

    def start(self) -> "BotRuntime":
        self.sender.start()
        self._warming = self.services.tutor.warm()  # the index opens in the background: the first question is fast
        if self._start_scheduler:
            from apscheduler.schedulers.background import BackgroundScheduler

            self._scheduler = BackgroundScheduler(timezone="UTC")
            self._scheduler.add_job(self._safe_tick, "interval", seconds=self.settings.drip_tick_seconds,
                                    max_instances=1, coalesce=True, id="tick")
            self._scheduler.add_job(self._safe_collect_garbage, "interval", hours=24, max_instances=1,
                                    coalesce=True, id="retention")
            self._scheduler.start()
        return self

    def prepare_for_traffic(self) -> threading.Thread:
        """For a process that is one bot for its life (`tutor run`, `tutor sandbox`), in the
        background: the database pool opened in full (`Database.open_pool`), then the objects built at
        start frozen (`freeze_startup_objects`). Returns the thread doing it."""
        def prepare() -> None:
            try:
                self.services.db.open_pool()
            except Exception:  # noqa: BLE001 - the pool then grows as it is used, as it did before
                log.warning("could not open the database pool ahead of traffic", exc_info=True)
            self.freeze_startup_objects().join()

        thread = threading.Thread(target=prepare, name="prepare-for-traffic", daemon=True)
        thread.start()
        return thread

    def freeze_startup_objects(self) -> threading.Thread:
        """Once the tutor's index is open, move what the start built into the garbage collector's
        permanent generation (`gc.freeze`), where full collections no longer walk it.

        Why: the bot holds ~120,000 objects from its start (modules, the course, the index), and every
        full collection walked them all: 50-130 ms during which no request thread could ack (twice a
        minute under `bench.load`). Only for a process that is one bot for its life (`tutor run`,
        `tutor sandbox`): frozen objects that later become cyclic garbage are never freed, so test
        processes that start many bots do not call it."""
        def freeze() -> None:
            if self._warming is not None:
                self._warming.join()
            gc.collect()  # what is garbage now is freed, not frozen
            gc.freeze()
            log.info("froze %s objects built at start", gc.get_freeze_count())

        thread = threading.Thread(target=freeze, name="gc-freeze", daemon=True)
        thread.start()
        return thread

    def collect_garbage(self):
        """What `tutor gc` does, once a day: run folders, uploads and idempotency keys past
        TUTOR_RETENTION_DAYS (idempotent, so each replica may run it)."""
        from bot.services.retention import collect_garbage

        done = collect_garbage(self.settings, self.services.db, self.services.clock)
        log.info("retention: removed %s run folder(s), %s upload(s), %s idempotency key(s)",
                 done.runs, done.uploads, done.requests)
        return done

    def _safe_collect_garbage(self) -> None:
        try:
            self.collect_garbage()
        except Exception:
            log.exception("retention failed; it runs again tomorrow")

    def _safe_tick(self) -> None:
        try:
            self.tick()
        except Exception:
            log.exception("scheduler tick failed; the next one will try again")

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        self.sender.stop()
        self.app.listener_runner.listener_executor.close()  # the after-ack work needs the database
        self.services.db.dispose()


def health(runtime: BotRuntime):
    def check() -> dict:
        from sqlalchemy import text

        with runtime.services.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"ok": True}

    return check
