"""Slack's Block Kit limits for the blocks this package renders, checked before anything is sent.

Slack answers `invalid_blocks` for a message that breaks them, and the learner sees nothing; the
tests run every lesson page and quiz message through `message_problems`.
"""

from __future__ import annotations

from typing import Any

MAX_BLOCKS = 50
MAX_MESSAGE_CHARS = 12_000
MAX_FALLBACK_CHARS = 4_000
MAX_SECTION_TEXT = 3_000
MAX_FIELD_TEXT = 2_000
MAX_FIELDS = 10
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTION_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2_000
MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255


def message_problems(message: dict[str, Any]) -> list[str]:
    """Every limit the message breaks, in words; empty when Slack will accept it."""
    problems: list[str] = []
    blocks = message.get("blocks") or []
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append("the message has no fallback text")
    elif len(text) > MAX_FALLBACK_CHARS:
        problems.append(f"fallback text is {len(text)} characters (at most {MAX_FALLBACK_CHARS})")
    if not blocks:
        problems.append("the message has no blocks")
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks (at most {MAX_BLOCKS})")
    total = sum(_text_length(block) for block in blocks)
    if total > MAX_MESSAGE_CHARS:
        problems.append(f"{total} characters of block text (at most {MAX_MESSAGE_CHARS})")
    block_ids = [block["block_id"] for block in blocks if "block_id" in block]
    if len(block_ids) != len(set(block_ids)):
        problems.append("block_id values repeat")
    for index, block in enumerate(blocks):
        problems += [f"block {index} ({block.get('type')}): {problem}" for problem in block_problems(block)]
    return problems


def block_problems(block: dict[str, Any]) -> list[str]:
    """The limits of one block of the kinds this package uses."""
    kind = block.get("type")
    checks = {
        "header": _header,
        "section": _section,
        "context": _context,
        "actions": _actions,
        "divider": lambda _block: [],
    }
    if kind not in checks:
        return [f"unexpected block type {kind!r}"]
    problems = checks[kind](block)
    if len(block.get("block_id", "")) > MAX_BLOCK_ID:
        problems.append(f"block_id longer than {MAX_BLOCK_ID}")
    return problems


def _header(block: dict[str, Any]) -> list[str]:
    text = block.get("text") or {}
    problems = _text_object(text, "text", MAX_HEADER_TEXT)
    if text.get("type") != "plain_text":
        problems.append("a header's text must be plain_text")
    return problems


def _section(block: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    fields = block.get("fields") or []
    if "text" not in block and not fields:
        problems.append("a section needs text or fields")
    if "text" in block:
        problems += _text_object(block["text"], "text", MAX_SECTION_TEXT)
    if len(fields) > MAX_FIELDS:
        problems.append(f"{len(fields)} fields (at most {MAX_FIELDS})")
    for index, field in enumerate(fields):
        problems += _text_object(field, f"field {index}", MAX_FIELD_TEXT)
    return problems


def _context(block: dict[str, Any]) -> list[str]:
    elements = block.get("elements") or []
    problems = [] if elements else ["a context block needs elements"]
    if len(elements) > MAX_CONTEXT_ELEMENTS:
        problems.append(f"{len(elements)} context elements (at most {MAX_CONTEXT_ELEMENTS})")
    for index, element in enumerate(elements):
        problems += _text_object(element, f"element {index}", MAX_SECTION_TEXT)
    return problems


def _actions(block: dict[str, Any]) -> list[str]:
    elements = block.get("elements") or []
    problems = [] if elements else ["an actions block needs elements"]
    if len(elements) > MAX_ACTION_ELEMENTS:
        problems.append(f"{len(elements)} elements (at most {MAX_ACTION_ELEMENTS})")
    action_ids = [element.get("action_id") for element in elements]
    if len(action_ids) != len(set(action_ids)):
        problems.append("action_id values repeat within the block")
    for index, element in enumerate(elements):
        if element.get("type") != "button":
            problems.append(f"element {index} is not a button")
            continue
        problems += _text_object(element.get("text") or {}, f"button {index} text", MAX_BUTTON_TEXT)
        if len(element.get("value", "")) > MAX_BUTTON_VALUE:
            problems.append(f"button {index} value longer than {MAX_BUTTON_VALUE}")
        if not element.get("action_id") or len(element["action_id"]) > MAX_ACTION_ID:
            problems.append(f"button {index} needs an action_id of at most {MAX_ACTION_ID} characters")
        if element.get("style") not in (None, "primary", "danger"):
            problems.append(f"button {index} style must be primary or danger")
    return problems


def _text_object(text: dict[str, Any], name: str, limit: int) -> list[str]:
    if text.get("type") not in ("plain_text", "mrkdwn"):
        return [f"{name} is not a text object"]
    value = text.get("text", "")
    if not value.strip():
        return [f"{name} is empty"]
    if len(value) > limit:
        return [f"{name} is {len(value)} characters (at most {limit})"]
    return []


def _text_length(block: dict[str, Any]) -> int:
    """Characters of visible text in a block, the measure of the message-size limit."""
    texts = [block.get("text") or {}, *(block.get("fields") or [])]
    texts += [element.get("text") if element.get("type") == "button" else element
              for element in block.get("elements") or []]
    return sum(len(text.get("text", "")) for text in texts if isinstance(text, dict))
