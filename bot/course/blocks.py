"""Small constructors for the Block Kit pieces the course renderer uses.

One place builds each literal, so every page and quiz message has the same, valid shape.
Text passed to `section` and `context` must already be mrkdwn (escaped); plain_text is shown as is.
"""

from __future__ import annotations

import json
from typing import Any

Block = dict[str, Any]


def header(text: str) -> Block:
    return {"type": "header", "text": plain(clip(text, 150))}


def section(mrkdwn_text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn_text}}


def context(*mrkdwn_texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text} for text in mrkdwn_texts]}


def divider() -> Block:
    return {"type": "divider"}


def actions(*buttons: Block) -> Block:
    return {"type": "actions", "elements": list(buttons)}


def button(text: str, action_id: str, value: dict[str, Any], style: str | None = None) -> Block:
    """A button whose value is compact JSON, the payload its handler reads back."""
    element: Block = {
        "type": "button",
        "action_id": action_id,
        "text": plain(clip(text, 75)),
        "value": json.dumps(value, separators=(",", ":"), ensure_ascii=False),
    }
    if style:
        element["style"] = style
    return element


def plain(text: str) -> Block:
    return {"type": "plain_text", "text": text, "emoji": True}


def clip(text: str, limit: int) -> str:
    """Text cut to a Slack limit with an ellipsis; validation keeps authored text inside limits."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
