"""Block Kit limit checks, worded like Slack's `invalid_blocks` messages.

Slack rejects a whole message or view when one block breaks a rule and explains each problem in
`response_metadata.messages` as "[ERROR] <what> [json-pointer:<where>]". The bot's tests reuse
`check_blocks` directly, so its rules are the documented Block Kit limits, not a looser subset.
"""

from __future__ import annotations

import re
from typing import Any

MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
MAX_ID_LENGTH = 255
MAX_MESSAGE_TEXT = 40_000
VIEW_TITLE_MAX = 24

TEXT_TYPES = ("plain_text", "mrkdwn")
CONTEXT_IMAGE_OR_TEXT = ("image", "plain_text", "mrkdwn")
SELECT_TYPES = {"static_select", "external_select", "users_select", "conversations_select",
                "channels_select", "multi_static_select", "multi_external_select",
                "multi_users_select", "multi_conversations_select", "multi_channels_select"}
INPUT_ELEMENT_TYPES = SELECT_TYPES | {
    "plain_text_input", "datepicker", "timepicker", "datetimepicker", "checkboxes",
    "radio_buttons", "email_text_input", "number_input", "url_text_input", "rich_text_input",
    "file_input"}
INTERACTIVE_TYPES = SELECT_TYPES | {"button", "overflow", "datepicker", "timepicker",
                                    "datetimepicker", "checkboxes", "radio_buttons",
                                    "plain_text_input", "rich_text_input", "workflow_button"}
ACCESSORY_TYPES = (INTERACTIVE_TYPES - {"plain_text_input", "rich_text_input"}) | {"image"}
BLOCK_TYPES = {"section", "divider", "image", "actions", "context", "input", "header",
               "rich_text", "video", "file", "markdown"}
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class _Checker:
    """Collects problems while walking the blocks; each rule adds at most one message per field."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def error(self, where: str, what: str) -> None:
        self.problems.append(f"[ERROR] {what} [json-pointer:{where}]")

    def max_length(self, where: str, value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.error(where, f"must be less than {limit + 1} characters")

    def text_object(self, where: str, value: Any, limit: int, *, plain_only: bool = False,
                    required: bool = True) -> None:
        if value is None:
            if required:
                self.error(where, "must provide an object")
            return
        if not isinstance(value, dict):
            self.error(where, "must provide an object")
            return
        allowed = ("plain_text",) if plain_only else TEXT_TYPES
        if value.get("type") not in allowed:
            self.error(f"{where}/type", f"must be one of {', '.join(allowed)}")
        text = value.get("text")
        if not isinstance(text, str) or not text:
            self.error(f"{where}/text", "must be a non-empty string")
            return
        self.max_length(f"{where}/text", text, limit)

    def identifier(self, where: str, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, str) or not value:
            self.error(where, "must be a non-empty string")
        else:
            self.max_length(where, value, MAX_ID_LENGTH)

    def options(self, where: str, options: Any, *, lowest: int, highest: int) -> None:
        if not isinstance(options, list) or not lowest <= len(options) <= highest:
            self.error(where, f"must provide between {lowest} and {highest} items")
            return
        for index, option in enumerate(options):
            spot = f"{where}/{index}"
            if not isinstance(option, dict):
                self.error(spot, "must provide an object")
                continue
            self.text_object(f"{spot}/text", option.get("text"), 75)
            value = option.get("value")
            if not isinstance(value, str) or not value:
                self.error(f"{spot}/value", "must be a non-empty string")
            else:
                self.max_length(f"{spot}/value", value, 150)

    def element(self, where: str, element: Any, allowed: set[str]) -> str | None:
        """Check an interactive element or image; return its action_id for duplicate checks."""
        if not isinstance(element, dict):
            self.error(where, "must provide an object")
            return None
        kind = element.get("type")
        if kind in ("plain_text", "mrkdwn") and kind in allowed:
            self.text_object(where, element, 3000)
            return None
        if kind not in allowed:
            self.error(f"{where}/type", f"unsupported type `{kind}`")
            return None
        if kind == "image":
            self.image_fields(where, element)
            return None
        self.identifier(f"{where}/action_id", element.get("action_id"))
        if kind == "button":
            self.text_object(f"{where}/text", element.get("text"), 75, plain_only=True)
            self.max_length(f"{where}/value", element.get("value"), 2000)
            self.max_length(f"{where}/url", element.get("url"), 3000)
            if element.get("style") not in (None, "primary", "danger"):
                self.error(f"{where}/style", "must be one of primary, danger")
        elif kind == "overflow":
            self.options(f"{where}/options", element.get("options"), lowest=1, highest=5)
        elif kind in ("static_select", "multi_static_select"):
            if "option_groups" not in element:
                self.options(f"{where}/options", element.get("options"), lowest=1, highest=100)
        elif kind in ("checkboxes", "radio_buttons"):
            self.options(f"{where}/options", element.get("options"), lowest=1, highest=10)
        elif kind == "timepicker":
            initial = element.get("initial_time")
            if initial is not None and not (isinstance(initial, str) and TIME_PATTERN.match(initial)):
                self.error(f"{where}/initial_time", "must be a time in HH:mm format")
        if kind in SELECT_TYPES or kind in ("plain_text_input", "datepicker", "timepicker"):
            if "placeholder" in element:
                self.text_object(f"{where}/placeholder", element["placeholder"], 150, plain_only=True)
        if "confirm" in element and not isinstance(element["confirm"], dict):
            self.error(f"{where}/confirm", "must provide an object")
        return element.get("action_id")

    def image_fields(self, where: str, block: dict) -> None:
        if not block.get("image_url") and not block.get("slack_file"):
            self.error(f"{where}/image_url", "must provide image_url or slack_file")
        self.max_length(f"{where}/image_url", block.get("image_url"), 3000)
        alt = block.get("alt_text")
        if not isinstance(alt, str) or not alt:
            self.error(f"{where}/alt_text", "must be a non-empty string")
        else:
            self.max_length(f"{where}/alt_text", alt, 2000)

    def unique_action_ids(self, where: str, action_ids: list[str | None]) -> None:
        seen: set[str] = set()
        for action_id in action_ids:
            if action_id is None:
                continue
            if action_id in seen:
                self.error(where, f"duplicate action_id `{action_id}`")
            seen.add(action_id)

    def block(self, where: str, block: Any) -> None:
        if not isinstance(block, dict):
            self.error(where, "must provide an object")
            return
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.error(f"{where}/type", f"unsupported type `{kind}`")
            return
        self.identifier(f"{where}/block_id", block.get("block_id"))
        getattr(self, f"block_{kind}")(where, block)

    def block_section(self, where: str, block: dict) -> None:
        if "text" not in block and "fields" not in block:
            self.error(where, "must provide `text` or `fields`")
        if "text" in block:
            self.text_object(f"{where}/text", block["text"], 3000)
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not 1 <= len(fields) <= 10:
                self.error(f"{where}/fields", "must provide between 1 and 10 items")
            else:
                for index, field in enumerate(fields):
                    self.text_object(f"{where}/fields/{index}", field, 2000)
        if "accessory" in block:
            self.element(f"{where}/accessory", block["accessory"], ACCESSORY_TYPES)

    def block_divider(self, where: str, block: dict) -> None:
        return None

    def block_header(self, where: str, block: dict) -> None:
        self.text_object(f"{where}/text", block.get("text"), 150, plain_only=True)

    def block_image(self, where: str, block: dict) -> None:
        self.image_fields(where, block)
        if "title" in block:
            self.text_object(f"{where}/title", block["title"], 2000, plain_only=True)

    def block_actions(self, where: str, block: dict) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
            self.error(f"{where}/elements", "must provide between 1 and 25 items")
            return
        action_ids = [self.element(f"{where}/elements/{i}", e, INTERACTIVE_TYPES)
                      for i, e in enumerate(elements)]
        self.unique_action_ids(f"{where}/elements", action_ids)

    def block_context(self, where: str, block: dict) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
            self.error(f"{where}/elements", "must provide between 1 and 10 items")
            return
        for index, element in enumerate(elements):
            self.element(f"{where}/elements/{index}", element, set(CONTEXT_IMAGE_OR_TEXT))

    def block_input(self, where: str, block: dict) -> None:
        self.text_object(f"{where}/label", block.get("label"), 2000, plain_only=True)
        if "hint" in block:
            self.text_object(f"{where}/hint", block["hint"], 2000, plain_only=True)
        if "element" not in block:
            self.error(f"{where}/element", "must provide an object")
        else:
            self.element(f"{where}/element", block["element"], INPUT_ELEMENT_TYPES)

    def block_rich_text(self, where: str, block: dict) -> None:
        if not isinstance(block.get("elements"), list):
            self.error(f"{where}/elements", "must provide an array")

    def block_video(self, where: str, block: dict) -> None:
        for key in ("video_url", "thumbnail_url", "alt_text"):
            if not block.get(key):
                self.error(f"{where}/{key}", "must be a non-empty string")
        self.text_object(f"{where}/title", block.get("title"), 200, plain_only=True)

    def block_file(self, where: str, block: dict) -> None:
        if not block.get("external_id"):
            self.error(f"{where}/external_id", "must be a non-empty string")
        if block.get("source") != "remote":
            self.error(f"{where}/source", "must be `remote`")

    def block_markdown(self, where: str, block: dict) -> None:
        text = block.get("text")
        if not isinstance(text, str) or not text:
            self.error(f"{where}/text", "must be a non-empty string")
        else:
            self.max_length(f"{where}/text", text, 12_000)


def check_blocks(blocks: Any, surface: str = "message") -> list[str]:
    """Problems with `blocks` for a surface ("message", "modal" or "home"); empty when valid."""
    if surface not in MAX_BLOCKS:
        raise ValueError(f"unknown surface {surface!r}")
    checker = _Checker()
    if not isinstance(blocks, list):
        checker.error("/blocks", "must provide an array")
        return checker.problems
    if len(blocks) > MAX_BLOCKS[surface]:
        checker.error("/blocks", f"must provide no more than {MAX_BLOCKS[surface]} items")
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        checker.block(f"/blocks/{index}", block)
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str):
            if block_id in block_ids:
                checker.error(f"/blocks/{index}/block_id", f"duplicate block_id `{block_id}`")
            block_ids.add(block_id)
    return checker.problems


def check_view(view: Any) -> list[str]:
    """Problems with a modal or App Home view (its own fields plus its blocks)."""
    checker = _Checker()
    if not isinstance(view, dict):
        checker.error("/view", "must provide an object")
        return checker.problems
    kind = view.get("type")
    if kind not in ("modal", "home"):
        checker.error("/view/type", "must be one of modal, home")
        return checker.problems
    if kind == "modal":
        checker.text_object("/view/title", view.get("title"), VIEW_TITLE_MAX, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                checker.text_object(f"/view/{key}", view[key], VIEW_TITLE_MAX, plain_only=True)
        has_inputs = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
        if has_inputs and "submit" not in view:
            checker.error("/view/submit", "must provide `submit` when the view has input blocks")
    checker.identifier("/view/callback_id", view.get("callback_id"))
    checker.identifier("/view/external_id", view.get("external_id"))
    checker.max_length("/view/private_metadata", view.get("private_metadata"), 3000)
    problems = checker.problems
    problems += [p.replace("[json-pointer:/blocks", "[json-pointer:/view/blocks")
                 for p in check_blocks(view.get("blocks", []), kind)]
    return problems


def check_message_text(text: Any) -> str | None:
    """Slack's error code for the `text` argument of a message, or None."""
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        return "msg_too_long"
    return None
