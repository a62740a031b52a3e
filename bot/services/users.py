"""Learners: who they are, their time zone, and whether they may see team data."""

from __future__ import annotations

import logging
import zlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot.admins import Admins
from bot.clock import Clock, as_utc
from bot.store import Database
from bot.store.models import User

log = logging.getLogger(__name__)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


PROFILE_MAX_AGE = timedelta(days=8)


def profile_due(user_id: str, info_at: datetime | None, now: datetime) -> bool:
    """Whether to re-read the learner's Slack profile (`users.info`) before a drip or an App Home visit.

    `user_change` events keep the time zone current; this weekly re-read only catches a lost event.
    Each learner has one refresh day of the week, picked from their id, so a big morning re-reads about a
    seventh of its learners (users.info allows ~100 calls a minute) whatever day they all subscribed;
    a profile older than 8 days (a refresh day that fell on a skipped weekend) is re-read anyway.
    """
    if info_at is None:
        return True
    age = now - as_utc(info_at)
    if age >= PROFILE_MAX_AGE:
        return True
    return age >= timedelta(hours=20) and (now.date().toordinal() + zlib.crc32(user_id.encode())) % 7 == 0


class UserService:
    def __init__(self, db: Database, clock: Clock, admins: Admins | None = None):
        self.db, self.clock, self.admins = db, clock, admins or Admins()

    def get(self, team_id: str, user_id: str) -> User | None:
        with self.db.session() as session:
            return session.get(User, (team_id, user_id))

    def ensure(self, team_id: str, user_id: str, client: WebClient | None = None, refresh: bool = False,
               *, weekly: bool = False) -> User:
        """The stored learner, created on first sight. Asks Slack (`users.info`) for tz and admin rights on
        first sight, when `refresh`, or, with `weekly`, when `profile_due` says the profile is due."""
        user = self.get(team_id, user_id)
        if user is not None and not refresh and not (weekly and profile_due(user_id, user.info_at, self.clock.now())):
            return user
        info = self._slack_info(client, user_id) if client else {}
        with self.db.session() as session:
            row = session.get(User, (team_id, user_id))
            if row is None:
                row = User(team_id=team_id, user_id=user_id, created_at=self.clock.now(), preferences={})
                session.add(row)
            if info:
                self._apply_profile(row, info)
            row.tz = row.tz or "UTC"
            row.last_seen_at = self.clock.now()
            try:
                session.flush()
            except IntegrityError:  # created by a concurrent request: use theirs
                session.rollback()
                return self.get(team_id, user_id)
            session.expunge(row)
            return row

    def profile_changed(self, team_id: str, info: dict) -> User | None:
        """A `user_change` event carries the whole profile: keep it, and count it as a fresh read."""
        with self.db.session() as session:
            row = session.get(User, (team_id, info.get("id")))
            if row is None:
                return None
            self._apply_profile(row, info)
            session.flush()
            session.expunge(row)
            return row

    def _apply_profile(self, row: User, info: dict) -> None:
        row.tz = info.get("tz") or row.tz or "UTC"
        row.name = (info.get("profile") or {}).get("real_name") or info.get("real_name") or info.get("name")
        row.is_admin = bool(info.get("is_admin") or info.get("is_owner"))
        row.info_at = self.clock.now()

    def remembered_dm(self, team_id: str, user_id: str) -> str | None:
        user = self.get(team_id, user_id)
        return (user.preferences or {}).get("dm") if user else None

    def remember_dm(self, team_id: str, user_id: str, channel: str) -> None:
        """Keep the learner's DM channel id: it never changes, and `conversations.open` is rate-limited
        (Tier 3, about 50 a minute), which would otherwise bound a big morning of drips."""
        with self.db.session() as session:
            row = session.get(User, (team_id, user_id))
            if row is not None:
                row.preferences = {**(row.preferences or {}), "dm": channel}

    def is_admin(self, team_id: str, user_id: str) -> bool:
        if self.admins.is_admin(team_id, user_id):
            return True
        user = self.get(team_id, user_id)
        return bool(user and user.is_admin)

    def zone_of(self, team_id: str, user_id: str, session=None) -> ZoneInfo:
        """The learner's time zone; inside `session` when given (one transaction fewer on an ack's path)."""
        user = session.get(User, (team_id, user_id)) if session is not None else self.get(team_id, user_id)
        return zone(user.tz if user else None)

    @staticmethod
    def _slack_info(client: WebClient, user_id: str) -> dict:
        try:
            return client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            log.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
            return {}
