"""Daily lessons at each learner's local time.

The tick reads `next_due_at <= now` (an indexed column), claims each delivery by inserting its
(team, user, local date) row under a unique constraint, and hands the send to a paced sender, so the
tick itself stays short however slow Slack is. Two ticks or two replicas racing both try the insert;
only one wins, so a lesson is never sent twice.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, time as dtime, timedelta, timezone
from typing import Iterator

from slack_sdk import WebClient
from sqlalchemy import or_, select, update

from bot.clock import Clock, as_utc
from bot.config import Settings
from bot.services.users import zone
from bot.slack import find_posted, open_dm
from bot.store import Database
from bot.store.db import insert_once_key
from bot.store.models import DripDelivery, DripSubscription

log = logging.getLogger(__name__)

PERMANENT_ERRORS = {"channel_not_found", "user_not_found", "user_disabled", "account_inactive",
                    "cannot_dm_bot", "is_archived", "not_in_channel", "invalid_auth"}
DRIP_EVENT = "tutor_drip"  # message metadata that marks a drip's messages with their delivery id
PAUSE_AFTER_IGNORED = 3
TRANSIENT_RETRIES = 3
# Learners claimed per transaction: enough to save most commits, few enough that the write lock (on
# SQLite, the whole file's) is held for milliseconds, so an ack's stored answer never waits long for it.
CLAIM_CHUNK = 20
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class DripSettingError(ValueError):
    """A time or option a learner typed that we cannot use; the message says what to type."""


def parse_local_time(text: str) -> str:
    match = _TIME.match(text.strip())
    if not match:
        raise DripSettingError(f"`{text}` is not a time like `09:00` or `17:30` (24-hour clock).")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def next_occurrence(local_time: str, tz: str, after: datetime, weekdays_only: bool) -> datetime:
    """The first moment strictly after `after` when it is `local_time` in `tz` on an allowed day (UTC).

    Wall-clock arithmetic in the learner's zone, so 09:00 stays 09:00 across daylight-saving changes;
    a time that does not exist that day (spring forward) resolves to the moment after the gap.
    """
    zone_info = zone(tz)
    hour, minute = map(int, local_time.split(":"))
    after_utc = after.astimezone(timezone.utc)
    day = after_utc.astimezone(zone_info).date()
    for _ in range(9):
        # fold=0: a repeated (fall-back) time means its first occurrence; a missing one lands after the gap
        candidate = datetime.combine(day, dtime(hour, minute), tzinfo=zone_info).astimezone(timezone.utc)
        # compared in UTC: two datetimes sharing a zone compare by wall clock, wrong in the repeated hour
        if candidate > after_utc and (not weekdays_only or candidate.astimezone(zone_info).weekday() < 5):
            return candidate
        day += timedelta(days=1)
    raise AssertionError("no occurrence within 9 days")  # unreachable: a week always has a weekday


@dataclass
class Claim:
    delivery_id: int
    team_id: str
    user_id: str
    local_date: str
    claimed_at: datetime | None = None


def due_query(now: datetime, limit: int):
    """The tick's SELECT of the subscriptions due at `now` (indexed on `next_due_at`; bench.drips times it)."""
    return (select(DripSubscription.team_id, DripSubscription.user_id, DripSubscription.next_due_at,
                   DripSubscription.local_time, DripSubscription.tz, DripSubscription.weekdays_only)
            .where(DripSubscription.next_due_at <= now, DripSubscription.enabled.is_(True),
                   DripSubscription.paused.is_(False))
            # a total order: two replicas claiming at once lock rows in the same order (no deadlock)
            .order_by(DripSubscription.next_due_at, DripSubscription.team_id, DripSubscription.user_id)
            .limit(limit))


class DripService:
    def __init__(self, db: Database, clock: Clock, users, settings: Settings):
        self.db, self.clock, self.users = db, clock, users
        self.catchup = timedelta(hours=settings.drip_catchup_hours)
        self.sending_timeout = timedelta(seconds=settings.drip_sending_timeout_seconds)

    # --- settings -----------------------------------------------------------------------------
    def subscription(self, team_id: str, user_id: str) -> DripSubscription | None:
        with self.db.session() as session:
            return session.get(DripSubscription, (team_id, user_id))

    def subscribe(self, team_id: str, user_id: str, local_time: str, weekdays_only: bool, tz: str) -> DripSubscription:
        local_time = parse_local_time(local_time)
        now = self.clock.now()
        with self.db.session() as session:
            sub = session.get(DripSubscription, (team_id, user_id))
            if sub is None:
                sub = DripSubscription(team_id=team_id, user_id=user_id, updated_at=now)
                session.add(sub)
            sub.enabled, sub.paused, sub.ignored_in_a_row = True, False, 0
            sub.local_time, sub.weekdays_only, sub.tz, sub.updated_at = local_time, weekdays_only, tz, now
            sub.next_due_at = next_occurrence(local_time, tz, now, weekdays_only)
            session.flush()
            session.expunge(sub)
            return sub

    def unsubscribe(self, team_id: str, user_id: str) -> None:
        with self.db.session() as session:
            session.execute(update(DripSubscription).where(
                DripSubscription.team_id == team_id, DripSubscription.user_id == user_id)
                .values(enabled=False, next_due_at=None, updated_at=self.clock.now()))

    def set_paused(self, team_id: str, user_id: str, paused: bool) -> DripSubscription | None:
        now = self.clock.now()
        with self.db.session() as session:
            sub = session.get(DripSubscription, (team_id, user_id))
            if sub is None:
                return None
            sub.paused, sub.updated_at = paused, now
            if not paused:
                sub.ignored_in_a_row = 0
                sub.next_due_at = next_occurrence(sub.local_time, sub.tz, now, sub.weekdays_only)
            session.flush()
            session.expunge(sub)
            return sub

    def refresh_tz(self, team_id: str, user_id: str, tz: str) -> None:
        """The learner moved: keep their wall-clock time in the new zone."""
        now = self.clock.now()
        with self.db.session() as session:
            sub = session.get(DripSubscription, (team_id, user_id))
            if sub is None or sub.tz == tz:
                return
            sub.tz, sub.updated_at = tz, now
            if sub.enabled and not sub.paused:
                sub.next_due_at = next_occurrence(sub.local_time, tz, now, sub.weekdays_only)

    def mark_opened(self, team_id: str, user_id: str) -> None:
        """The learner read or answered: their drips are not being ignored. Called on every click, so it
        looks before it writes: most clicks have nothing to mark, and on SQLite even an UPDATE that
        matches no row takes the file's one write lock, which the next learner's ack then waits for."""
        ignoring = select(DripSubscription.user_id).where(
            DripSubscription.team_id == team_id, DripSubscription.user_id == user_id,
            DripSubscription.ignored_in_a_row != 0)
        unopened = select(DripDelivery.id).where(
            DripDelivery.team_id == team_id, DripDelivery.user_id == user_id,
            DripDelivery.status == "sent", DripDelivery.opened.is_(False))
        with self.db.session() as session:  # one statement: one round trip on Postgres
            if not session.scalar(select(or_(ignoring.exists(), unopened.exists()))):
                return
        with self.db.session() as session:
            session.execute(update(DripSubscription).where(
                DripSubscription.team_id == team_id, DripSubscription.user_id == user_id,
                DripSubscription.ignored_in_a_row != 0).values(ignored_in_a_row=0))
            session.execute(update(DripDelivery).where(
                DripDelivery.team_id == team_id, DripDelivery.user_id == user_id,
                DripDelivery.status == "sent", DripDelivery.opened.is_(False)).values(opened=True))

    # --- the tick -----------------------------------------------------------------------------
    def due_claims(self, limit: int = 5000) -> list[Claim]:
        """Claim every delivery due now (catching up at most `catchup`), advancing each schedule."""
        return [claim for chunk in self.claim_due_chunks(limit) for claim in chunk]

    def claim_due_chunks(self, limit: int = 5000, chunk: int = CLAIM_CHUNK) -> Iterator[list[Claim]]:
        """`due_claims`, a committed chunk at a time, so a tick hands the first learners to the sender
        while it claims the rest (10,000 due at once took about 40 s to claim one transaction each)."""
        now = self.clock.now()
        with self.db.session() as session:
            due = session.execute(due_query(now, limit)).all()
        for start in range(0, len(due), chunk):
            claims = []
            # Advancing each schedule and claiming that day's delivery commit together (one transaction
            # for the chunk): a process killed between the two would otherwise skip a lesson for the day.
            started = time.monotonic()
            with self.db.session() as session:
                for row in due[start:start + chunk]:
                    claim = self._claim(session, now, *row)
                    if claim is not None:
                        claims.append(claim)
            held = time.monotonic() - started
            if claims:
                yield claims
            if self.db.backend.one_write_lock:
                # SQLite has one write lock for the whole file, and a writer that finds it taken sleeps
                # and retries (1 to 100 ms). Chunks back to back would leave it almost no moment to
                # find it free: the sender's writes (and acks) failed with "database is locked" after
                # 10 s. Resting as long as the chunk held the lock leaves them half of the time.
                time.sleep(held)

    def _claim(self, session, now, team_id, user_id, raw_due, local_time, tz, weekdays_only) -> Claim | None:
        due_at = as_utc(raw_due)
        following = next_occurrence(local_time, tz, max(due_at, now - self.catchup), weekdays_only)
        if following <= now:  # a whole missed day inside the window: the newest occurrence counts
            due_at, following = following, next_occurrence(local_time, tz, now, weekdays_only)
        moved = session.execute(update(DripSubscription).where(
            DripSubscription.team_id == team_id, DripSubscription.user_id == user_id,
            DripSubscription.next_due_at == raw_due)
            .values(next_due_at=following)).rowcount
        if not moved:
            return None  # another tick advanced it first
        if now - due_at > self.catchup:
            log.info("drip for %s/%s missed at %s: older than the catch-up window, skipped",
                     team_id, user_id, due_at.isoformat())
            return None
        local_date = due_at.astimezone(zone(tz)).date().isoformat()
        delivery_id = insert_once_key(session, DripDelivery, team_id=team_id, user_id=user_id,
                                      local_date=local_date, status="claimed", claimed_at=now, opened=False)
        if delivery_id is None:  # this learner's lesson for that day is claimed already
            return None
        return Claim(delivery_id, team_id, user_id, local_date, now)

    def finish(self, claim: Claim, status: str, *, lesson_id: str | None = None, channel: str | None = None,
               ts: str | None = None, error: str | None = None) -> None:
        with self.db.session() as session:
            session.execute(update(DripDelivery).where(DripDelivery.id == claim.delivery_id).values(
                status=status, lesson_id=lesson_id, channel=channel, message_ts=ts, error=error,
                sent_at=self.clock.now() if status == "sent" else None))
            if status == "sent":
                session.execute(update(DripSubscription).where(
                    DripSubscription.team_id == claim.team_id, DripSubscription.user_id == claim.user_id)
                    .values(ignored_in_a_row=DripSubscription.ignored_in_a_row + 1))

    def should_pause(self, team_id: str, user_id: str) -> bool:
        sub = self.subscription(team_id, user_id)
        return bool(sub and sub.ignored_in_a_row >= PAUSE_AFTER_IGNORED)

    def pending_claims(self) -> list[Claim]:
        """Deliveries claimed but never attempted (the process stopped between claim and send)."""
        with self.db.session() as session:
            rows = session.scalars(select(DripDelivery).where(DripDelivery.status == "claimed")).all()
            return [Claim(r.id, r.team_id, r.user_id, r.local_date, as_utc(r.claimed_at)) for r in rows]

    def claim_stale_sending(self) -> list[Claim]:
        """Deliveries left in `sending` (or `verifying`) longer than any send takes: the process
        stopped mid-send, so nobody knows whether the learner got the lesson. Each is taken
        (→ `verifying`) by one replica, which looks in the learner's DM for the message before
        deciding to send again."""
        now = self.clock.now()
        cutoff = now - self.sending_timeout
        with self.db.session() as session:
            rows = session.scalars(select(DripDelivery).where(
                DripDelivery.status.in_(("sending", "verifying")))).all()
            stale = [(r.status, r.attempt_at, Claim(r.id, r.team_id, r.user_id, r.local_date, as_utc(r.claimed_at)))
                     for r in rows if r.attempt_at is None or as_utc(r.attempt_at) < cutoff]
        taken = []
        for status, attempt_at, claim in stale:
            with self.db.session() as session:
                if session.execute(update(DripDelivery).where(
                        DripDelivery.id == claim.delivery_id, DripDelivery.status == status,
                        DripDelivery.attempt_at.is_(None) if attempt_at is None else DripDelivery.attempt_at == attempt_at)
                        .values(status="verifying", attempt_at=now)).rowcount == 1:
                    taken.append(claim)
        return taken

    def verify(self, client: WebClient, claim: Claim) -> bool:
        """Was this delivery posted? Looks for its metadata in the DM; resolves the row either way.
        Returns True when it must be sent (again)."""
        channel = self.users.remembered_dm(claim.team_id, claim.user_id) or open_dm(client, claim.user_id)
        message = find_posted(client, channel, DRIP_EVENT, "delivery_id", claim.delivery_id,
                              claim.claimed_at or self.clock.now())
        if message is not None:
            self.finish(claim, "sent", channel=channel, ts=message.get("ts"))
            return False
        with self.db.session() as session:
            return session.execute(update(DripDelivery).where(
                DripDelivery.id == claim.delivery_id, DripDelivery.status == "verifying")
                .values(status="claimed")).rowcount == 1

    def mark_sending(self, claim: Claim) -> bool:
        """claimed → sending, once: a send is attempted at most once per delivery."""
        with self.db.session() as session:
            return session.execute(update(DripDelivery).where(
                DripDelivery.id == claim.delivery_id, DripDelivery.status == "claimed")
                .values(status="sending", attempt_at=self.clock.now())).rowcount == 1
