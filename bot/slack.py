"""Slack Web API helpers: a client that retries on 429 and connection errors, and the DM helper."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

log = logging.getLogger(__name__)


def retry_handlers(max_retries: int = 5) -> list:
    """Honour `Retry-After` on 429, and retry dropped connections with backoff."""
    return [
        RateLimitErrorRetryHandler(max_retry_count=max_retries),
        ConnectionErrorRetryHandler(max_retry_count=3),
    ]


def make_client(api_url: str, token: str | None = None) -> WebClient:
    client = WebClient(token=token, base_url=api_url, timeout=15)
    for handler in retry_handlers():
        client.retry_handlers.append(handler)
    return client


def open_dm(client: WebClient, user_id: str) -> str:
    """The id of the learner's DM with the bot (`conversations.open` is idempotent on Slack's side)."""
    response = client.conversations_open(users=user_id)
    return response["channel"]["id"]


def find_posted(client: WebClient, channel: str, event_type: str, key: str, value, since,
                max_pages: int = 10) -> dict | None:
    """The message in `channel`, posted after `since` (a datetime, less a minute for clock skew), whose
    metadata says `event_type` with `key` = `value`: how a restart tells whether a post went out before a crash.
    Pages back (newest first) by moving `latest` to the oldest message seen, up to `max_pages` × 200."""
    oldest, latest = f"{since.timestamp() - 60:.6f}", None
    for _ in range(max_pages):
        page = client.conversations_history(channel=channel, oldest=oldest, limit=200, include_all_metadata=True,
                                            **({"latest": latest} if latest else {}))
        messages = page.get("messages", [])
        for message in messages:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == event_type and (metadata.get("event_payload") or {}).get(key) == value:
                return message
        if not page.get("has_more") or not messages:
            return None
        latest = messages[-1]["ts"]
    return None


def team_and_user(body: dict) -> tuple[str, str]:
    """(team_id, user_id) of whoever sent this command, click or submission."""
    if "user" in body and isinstance(body["user"], dict):
        user = body["user"]
        team = user.get("team_id") or (body.get("team") or {}).get("id") or body.get("team_id")
        return team, user["id"]
    return body.get("team_id") or (body.get("team") or {}).get("id"), body["user_id"]


def escape(text: str) -> str:
    """Escape user text for Slack mrkdwn so nobody can ping @channel or inject links through it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Clients:
    """Web API clients per workspace: the one bot token, or in OAuth mode the token that workspace's
    installation stored. Background work (drips, the worker, the reaper) has no Bolt context to
    give it a client, so it asks here by team id."""

    def __init__(self, api_url: str, token: str | None = None, installation_store=None):
        self.api_url, self.token, self.installation_store = api_url, token, installation_store
        self._default = make_client(api_url, token)
        self._by_team: dict[str, WebClient] = {}

    @property
    def default(self) -> WebClient:
        return self._default

    def for_team(self, team_id: str | None) -> WebClient:
        if self.installation_store is None or not team_id:
            return self._default
        if team_id not in self._by_team:
            bot = self.installation_store.find_bot(enterprise_id=None, team_id=team_id)
            if bot is None:
                raise LookupError(f"no installation for team {team_id}")
            self._by_team[team_id] = make_client(self.api_url, bot.bot_token)
        return self._by_team[team_id]

    def forget(self, team_id: str | None) -> None:
        """Drop a workspace's cached client once its token is revoked or the app uninstalled."""
        self._by_team.pop(team_id or "", None)


def installation_store_for(settings, engine):
    """The SQLAlchemy installation store in the app's own database (OAuth mode), else None."""
    if not settings.oauth:
        return None
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    store = SQLAlchemyInstallationStore(client_id=settings.client_id, engine=engine)
    store.metadata.create_all(engine)
    return store
