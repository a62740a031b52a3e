"""Steps the drip tests share: move the clock to a learner's local time, tick, and read what was sent."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.store.models import DripDelivery, DripSubscription

TEAM = "T0SANDBOX"
ZONES = {"U0ADA": "Europe/London", "U0LIN": "America/Los_Angeles", "U0KOF": "Africa/Accra",
         "U0PRI": "Asia/Kolkata"}


def local_moment(tz: str, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz))


def tick_at(tutor, moment: datetime) -> int:
    """Move the clock, run one scheduler tick, and wait until the sender has sent everything claimed."""
    tutor.clock.set(moment)
    claimed = tutor.runtime.tick()
    tutor.runtime.sender.queue.join()
    return claimed


def posts_to(ws, user: str) -> list[dict]:
    """Successful chat.postMessage calls into the learner's DM (named by its id or by the learner's),
    oldest first."""
    channel = ws.dm_channel(user)
    return [entry for entry in ws.journal("chat.postMessage", kind="api")
            if entry.get("ok") and ws.state.resolve_channel((entry.get("args") or {}).get("channel") or "") == channel]


def posted_texts(ws, user: str) -> list[str]:
    return [entry["args"].get("text") or "" for entry in posts_to(ws, user)]


def lessons_received(ws, user: str) -> list[str]:
    """Lesson page messages in the DM (their fallback text starts with the book emoji)."""
    return [text for text in posted_texts(ws, user) if text.startswith("📚 Lesson")]


def daily(tutor, user: str, args: str) -> str:
    """Type `/lesson daily <args>` and return the bot's ephemeral reply."""
    ws = tutor.ws
    before = len(_replies(ws, user))
    delivery = ws.slash(user, "/lesson", f"daily {args}".strip())
    assert delivery.status == 200, delivery
    replies = ws.wait_for(lambda: _replies(ws, user)[before:], message=f"a reply to /lesson daily {args}")
    return replies[0]


def _replies(ws, user: str) -> list[str]:
    return [m.get("text") or "" for m in ws.messages("C0GENERAL", user=user) if m.get("is_ephemeral")]


def subscription(tutor, user: str) -> DripSubscription | None:
    return tutor.services.drips.subscription(TEAM, user)


def deliveries(tutor, user: str | None = None) -> list[DripDelivery]:
    with tutor.services.db.session() as session:
        query = select(DripDelivery).order_by(DripDelivery.id)
        if user is not None:
            query = query.where(DripDelivery.user_id == user)
        return list(session.scalars(query).all())
