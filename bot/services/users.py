"""Learners: who they are, their time zone, and whether they may see team data."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.store import Database
from bot.store.models import User

log = logging.getLogger(__name__)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class UserService:
    def __init__(self, db: Database, clock: Clock, admins: frozenset[str] = frozenset()):
        self.db, self.clock, self.admins = db, clock, admins

    def get(self, team_id: str, user_id: str) -> User | None:
        with self.db.session() as session:
            return session.get(User, (team_id, user_id))

    def ensure(self, team_id: str, user_id: str, client: WebClient | None = None, refresh: bool = False) -> User:
        """The stored learner, created on first sight; asks Slack (`users.info`) for tz and admin rights."""
        user = self.get(team_id, user_id)
        if user is not None and not refresh:
            return user
        info = self._slack_info(client, user_id) if client else {}
        with self.db.session() as session:
            row = session.get(User, (team_id, user_id))
            if row is None:
                row = User(team_id=team_id, user_id=user_id, created_at=self.clock.now(), preferences={})
                session.add(row)
            if info:
                row.tz = info.get("tz") or row.tz or "UTC"
                row.name = (info.get("profile") or {}).get("real_name") or info.get("real_name") or info.get("name")
                row.is_admin = bool(info.get("is_admin") or info.get("is_owner"))
            row.tz = row.tz or "UTC"
            row.last_seen_at = self.clock.now()
            try:
                session.flush()
            except IntegrityError:  # created by a concurrent request: use theirs
                session.rollback()
                return self.get(team_id, user_id)
            session.expunge(row)
            return row

    def set_tz(self, team_id: str, user_id: str, tz: str) -> None:
        with self.db.session() as session:
            row = session.get(User, (team_id, user_id))
            if row is not None:
                row.tz = tz

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
        if user_id in self.admins:
            return True
        user = self.get(team_id, user_id)
        return bool(user and user.is_admin)

    def zone_of(self, team_id: str, user_id: str) -> ZoneInfo:
        user = self.get(team_id, user_id)
        return zone(user.tz if user else None)

    @staticmethod
    def _slack_info(client: WebClient, user_id: str) -> dict:
        try:
            return client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            log.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
            return {}
