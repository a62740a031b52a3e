"""`response_url` endpoints: where the bot answers a command or a click after its ack.

Like Slack's, each URL works 5 times within 30 minutes. A JSON body posts an ephemeral (default) or
in-channel message, or with `replace_original` / `delete_original` edits the message that was
clicked. Errors answer HTTP 404 with `{"ok": false, "error": "expired_url" | "used_url"}`.
"""

from __future__ import annotations

import secrets
import time

from sandbox.blockkit import check_blocks
from sandbox.messages import bot_message
from sandbox.people import BOT_USER_ID
from sandbox.state import WorkspaceState

LIFETIME_S = 30 * 60
MAX_USES = 5


def new_response_url(state: WorkspaceState, channel_id: str, user_id: str, message_ts: str | None = None) -> str:
    token = secrets.token_urlsafe(12)
    with state.lock:
        state.response_urls[token] = {"channel": channel_id, "user": user_id, "message_ts": message_ts,
                                      "created": time.monotonic(), "uses": 0}
    return f"{state.hooks_url or state.base_url}response/{token}"


def _is_true(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def respond(state: WorkspaceState, token: str, body: dict) -> tuple[int, dict]:
    """Apply a response_url POST; returns (HTTP status, JSON body)."""
    status, answer = _apply(state, token, body)
    state.record({"kind": "response_url", "token": token, "body": body, "status": status,
                  "response": answer, "ok": answer.get("ok")})
    return status, answer


def _apply(state: WorkspaceState, token: str, body: dict) -> tuple[int, dict]:
    with state.lock:
        target = state.response_urls.get(token)
        if target is None or time.monotonic() - target["created"] > LIFETIME_S:
            return 404, {"ok": False, "error": "expired_url"}
        if target["uses"] >= MAX_USES:
            return 404, {"ok": False, "error": "used_url"}
        target["uses"] += 1
        target = dict(target)
    channel_id, original_ts = target["channel"], target["message_ts"]
    if _is_true(body.get("delete_original")):
        if not original_ts or not state.delete_message(channel_id, original_ts):
            return 404, {"ok": False, "error": "message_not_found"}
        return 200, {"ok": True}
    blocks = body.get("blocks")
    if blocks is not None:
        problems = check_blocks(blocks)
        if problems:
            return 400, {"ok": False, "error": "invalid_blocks", "response_metadata": {"messages": problems}}
    text = body.get("text") or ""
    if not text and not blocks:
        return 400, {"ok": False, "error": "no_text"}
    if _is_true(body.get("replace_original")):
        if not original_ts:
            return 404, {"ok": False, "error": "message_not_found"}
        record = bot_message(text, blocks)
        changes = {"text": record["text"], "blocks": record.get("blocks", [])}
        if state.update_message(channel_id, original_ts, changes, BOT_USER_ID) is None:
            return 404, {"ok": False, "error": "message_not_found"}
        return 200, {"ok": True}
    record = bot_message(text, blocks, thread_ts=body.get("thread_ts"))
    if body.get("response_type") != "in_channel":
        record.update({"is_ephemeral": True, "visible_to": target["user"]})
    state.add_message(channel_id, record)
    return 200, {"ok": True}
