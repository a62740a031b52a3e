"""The sandbox's team and people, and Slack's user object shape (with live time-zone offsets).

Slack reports `tz_offset` in seconds for the user's zone *now* (daylight saving included) and a
long `tz_label`; the drip scheduler depends on both, so they are computed, not hard-coded.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

TEAM = {"id": "T0SANDBOX", "name": "Sandbox Co", "domain": "sandbox"}
APP_ID = "A0SANDBOX"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
BOT_NAME = "tutor"
GENERAL_CHANNEL = {"id": "C0GENERAL", "name": "general"}

# (user id, handle, real name, tz, is_admin, is_owner)
DEFAULT_PEOPLE = [
    ("U0ADA", "ada", "Ada Lovelace", "Europe/London", True, True),
    ("U0LIN", "lin", "Lin Chen", "America/Los_Angeles", False, False),
    ("U0KOF", "kofi", "Kofi Mensah", "Africa/Accra", False, False),
    ("U0PRI", "priya", "Priya Raman", "Asia/Kolkata", False, False),
]

_LONG_TZ_NAMES = {
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "IST": "India Standard Time",
    "JST": "Japan Standard Time",
    "UTC": "Coordinated Universal Time",
}


def tz_fields(tz: str, at: dt.datetime | None = None) -> dict:
    """Slack's `tz`, `tz_label` and `tz_offset` for a zone at a moment (default: now)."""
    zone = ZoneInfo(tz)
    moment = (at or dt.datetime.now(dt.timezone.utc)).astimezone(zone)
    abbreviation = moment.tzname() or tz
    offset = moment.utcoffset() or dt.timedelta(0)
    return {
        "tz": tz,
        "tz_label": _LONG_TZ_NAMES.get(abbreviation, abbreviation),
        "tz_offset": int(offset.total_seconds()),
    }


def new_person(user_id: str, name: str, real_name: str, tz: str = "UTC", *, is_admin: bool = False,
               is_owner: bool = False, is_bot: bool = False) -> dict:
    """The stored record of a person; `user_object` turns it into what `users.info` returns."""
    ZoneInfo(tz)  # fail early on an unknown zone, as a typo here would only show up in drips
    return {
        "id": user_id,
        "name": name,
        "real_name": real_name,
        "tz": tz,
        "is_admin": is_admin,
        "is_owner": is_owner,
        "is_bot": is_bot,
        "deleted": False,
        "updated": int(time.time()),
    }


def user_object(person: dict) -> dict:
    """Slack's user object for `users.info` and `user_change` events."""
    user = {
        "id": person["id"],
        "team_id": TEAM["id"],
        "name": person["name"],
        "deleted": person["deleted"],
        "real_name": person["real_name"],
        **tz_fields(person["tz"]),
        "is_admin": person["is_admin"],
        "is_owner": person["is_owner"],
        "is_primary_owner": person["is_owner"],
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": person["is_bot"],
        "is_app_user": False,
        "updated": person["updated"],
        "profile": {
            "real_name": person["real_name"],
            "real_name_normalized": person["real_name"],
            "display_name": person["name"],
            "display_name_normalized": person["name"],
            "team": TEAM["id"],
        },
    }
    if person["is_bot"]:
        user["profile"]["bot_id"] = BOT_ID
    return user


def default_people() -> list[dict]:
    people = [new_person(BOT_USER_ID, BOT_NAME, "Finetune Tutor", "UTC", is_bot=True)]
    for user_id, name, real_name, tz, is_admin, is_owner in DEFAULT_PEOPLE:
        people.append(new_person(user_id, name, real_name, tz, is_admin=is_admin, is_owner=is_owner))
    return people
