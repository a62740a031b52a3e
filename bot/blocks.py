"""The one set of Block Kit constructors: every message, modal and Home tab is built from these.

One place builds each literal, so every surface has the same, valid shape. Text passed to `section`
and `context` must already be mrkdwn (escaped); plain_text is shown as is. Buttons take their value as
a string: `bot.actions` encodes it, so a handler reads back exactly what a renderer wrote.
"""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]
MAX_TEXT = 3000  # Slack's limit for a section's or a context element's text


def header(text: str) -> Block:
    return {"type": "header", "text": plain(clip(text, 150))}


def section(mrkdwn_text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(mrkdwn_text, MAX_TEXT)}}


def fields(*mrkdwn_texts: str) -> Block:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": clip(text, 2000)} for text in mrkdwn_texts]}


def context(*mrkdwn_texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, MAX_TEXT)} for text in mrkdwn_texts]}


def divider() -> Block:
    return {"type": "divider"}


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def button(text: str, action_id: str, value: str = "", style: str | None = None) -> Block:
    """A button; `value` is the string its handler reads back (see `bot.actions`)."""
    element: Block = {"type": "button", "action_id": action_id, "text": plain(clip(text, 75)), "value": value}
    if style:
        element["style"] = style
    return element


def plain(text: str) -> Block:
    return {"type": "plain_text", "text": text, "emoji": True}


def message(text: str, blocks: list[Block]) -> dict:
    """A message's arguments for chat.postMessage/chat.update: the notification text and the blocks."""
    return {"text": text, "blocks": blocks}


def clip(text: str, limit: int) -> str:
    """Text cut to a Slack limit with an ellipsis; validation keeps authored text inside limits."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
