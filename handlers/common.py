"""Small helpers shared by the surfaces: reading a click with its owner check, and telling a clicker
that a message is someone else's."""

from __future__ import annotations

from bot.actions import C, ClickRead, read_click
from bot.slack import team_and_user
from bot.views import without_actions

__all__ = ["own_click", "not_yours", "retire_buttons", "team_and_user", "read_click"]


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


def own_click(kind: type[C], body: dict, action: dict, client, what: str) -> ClickRead | None:
    """The click when the clicker may act on it; a foreign click gets told so; a forged value, nothing."""
    read = read_click(kind, body, action)
    if read.foreign:
        not_yours(client, body, what)
    return read if read.mine else None


def retire_buttons(client, body: dict, note: str) -> None:
    """Replace the clicked message's buttons with a note, so it reads as done."""
    message = body.get("message") or {}
    if message.get("ts"):
        client.chat_update(channel=body["channel"]["id"], ts=message["ts"], text=message.get("text", ""),
                           blocks=without_actions(message.get("blocks", []), note))
