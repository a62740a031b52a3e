"""Building message records the way Slack stores them (ids filled in, bot identity attached).

Slack gives every block without a `block_id` a random one and every interactive element without
an `action_id` a random one; the bot sees those ids in later payloads, so the sandbox does the same.
"""

from __future__ import annotations

import copy
import secrets

from sandbox.people import APP_ID, BOT_ID, BOT_USER_ID, TEAM


def _random_id() -> str:
    return secrets.token_hex(3)


def with_ids(blocks: list | None) -> list | None:
    """A copy of `blocks` with Slack's generated block_id/action_id where they were left out."""
    if blocks is None:
        return None
    filled = copy.deepcopy(blocks)
    for block in filled:
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", _random_id())
        for element in _interactive_elements(block):
            if element.get("type") not in ("image", "plain_text", "mrkdwn"):
                element.setdefault("action_id", _random_id())
    return filled


def _interactive_elements(block: dict) -> list[dict]:
    if block.get("type") == "actions":
        return [e for e in block.get("elements", []) if isinstance(e, dict)]
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            return [block[key]]
    return []


def bot_message(text: str | None, blocks: list | None, *, thread_ts: str | None = None) -> dict:
    """A message record posted by the tutor's bot user."""
    record = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": TEAM["id"],
        "text": text or "",
        "bot_profile": {"id": BOT_ID, "app_id": APP_ID, "name": "tutor", "team_id": TEAM["id"]},
    }
    if blocks is not None:
        record["blocks"] = with_ids(blocks)
    if thread_ts:
        record["thread_ts"] = thread_ts
    return record


def user_message(user_id: str, text: str, *, files: list | None = None) -> dict:
    """A message typed (or a file shared) by a person."""
    record = {"type": "message", "user": user_id, "team": TEAM["id"], "text": text}
    if files:
        record["files"] = files
        record["subtype"] = "file_share"
        record["upload"] = True
    return record


def find_element(blocks: list, action_id: str | None = None, block_id: str | None = None) -> tuple[dict, dict] | None:
    """The first (block, element) whose ids match; either id may be left out, not both."""
    for block in blocks or []:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        for element in _interactive_elements(block):
            if action_id is None or element.get("action_id") == action_id:
                return block, element
    return None
