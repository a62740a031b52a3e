"""Small helpers shared by the surfaces: who is acting, and reading our JSON button values."""

from __future__ import annotations

import json


def team_and_user(body: dict) -> tuple[str, str]:
    """(team_id, user_id) of whoever sent this command, click or submission."""
    if "user" in body and isinstance(body["user"], dict):
        user = body["user"]
        team = user.get("team_id") or (body.get("team") or {}).get("id") or body.get("team_id")
        return team, user["id"]
    return body.get("team_id") or (body.get("team") or {}).get("id"), body["user_id"]


def action_value(action: dict) -> dict:
    try:
        value = json.loads(action.get("value") or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def not_yours(client, body: dict, what: str = "quiz") -> None:
    """Someone clicked a button of another learner's message (shared or forwarded)."""
    text = (f"This {what} belongs to someone else, so your click changed nothing. "
            "Type `/lesson` to get your own.")
    if body.get("response_url"):  # answers the clicker wherever the message was shared
        from bot.slackhosts import send_to_response_url

        if send_to_response_url(body["response_url"], client.base_url, text):
            return
    _team_id, user_id = team_and_user(body)
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    client.chat_postEphemeral(channel=channel, user=user_id, text=text)


def without_actions(blocks: list[dict], note: str) -> list[dict]:
    """The clicked message with its buttons replaced by a short note (no second click possible)."""
    kept = [block for block in blocks if block.get("type") != "actions"]
    kept.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return kept


def own_click(body: dict, action: dict, client, what: str) -> tuple[str, str, dict] | None:
    """(team_id, user_id, value) when the clicker owns the button's message; otherwise tell the
    clicker it is someone else's and return None. Our button values carry the owner as `u`."""
    team_id, user_id = team_and_user(body)
    value = action_value(action)
    if value.get("u") != user_id:
        not_yours(client, body, what)
        return None
    return team_id, user_id, value


def retire_buttons(client, body: dict, note: str) -> None:
    """Replace the clicked message's buttons with a note, so it reads as done."""
    message = body.get("message") or {}
    if message.get("ts"):
        client.chat_update(channel=body["channel"]["id"], ts=message["ts"], text=message.get("text", ""),
                           blocks=without_actions(message.get("blocks", []), note))
