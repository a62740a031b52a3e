"""Block Kit limits: `check_blocks` directly and `invalid_blocks` through the API."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from sandbox.blockkit import check_blocks, check_view


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str = "Go", action_id: str = "go", value: str = "v") -> dict:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id, "value": value}


def test_valid_blocks_pass():
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "Lesson 1"}}, section("*hi*"),
              {"type": "divider"}, {"type": "actions", "elements": [button()]},
              {"type": "context", "elements": [{"type": "mrkdwn", "text": "1/3"}]}]
    assert check_blocks(blocks) == []


@pytest.mark.parametrize("blocks, pointer", [
    ([section("x" * 3001)], "/blocks/0/text/text"),
    ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}], "/blocks/0/fields/0/text"),
    ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}], "/blocks/0/fields"),
    ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "/blocks/0/text/text"),
    ([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}], "/blocks/0/text/type"),
    ([{"type": "actions", "elements": [button(text="x" * 76)]}], "/blocks/0/elements/0/text/text"),
    ([{"type": "actions", "elements": [button(value="x" * 2001)]}], "/blocks/0/elements/0/value"),
    ([{"type": "actions", "elements": [button(action_id="a" * 256)]}], "/blocks/0/elements/0/action_id"),
    ([{"type": "actions", "elements": [button(action_id=f"b{i}") for i in range(26)]}], "/blocks/0/elements"),
    ([{"type": "actions", "elements": [button(), button()]}], "/blocks/0/elements"),
    ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}], "/blocks/0/elements"),
    ([dict(section("x"), block_id="b" * 256)], "/blocks/0/block_id"),
    ([dict(section("x"), block_id="same"), dict(section("y"), block_id="same")], "/blocks/1/block_id"),
    ([{"type": "carousel"}], "/blocks/0/type"),
    ([{"type": "section"}], "/blocks/0"),
    ([{"type": "image", "image_url": "http://x/y.png"}], "/blocks/0/alt_text"),
    ([section("x")] * 51, "/blocks"),
])
def test_each_limit_is_reported_with_its_pointer(blocks, pointer):
    problems = check_blocks(blocks)
    assert any(p.endswith(f"[json-pointer:{pointer}]") for p in problems), problems


def test_views_allow_100_blocks_and_check_their_title():
    assert check_blocks([section("x")] * 100, "modal") == []
    assert check_blocks([section("x")] * 101, "home")
    view = {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": []}
    assert any("/view/title/text" in p for p in check_view(view))
    with_input = {"type": "modal", "title": {"type": "plain_text", "text": "t"},
                  "blocks": [{"type": "input", "label": {"type": "plain_text", "text": "L"},
                              "element": {"type": "plain_text_input", "action_id": "a"}}]}
    assert any("/view/submit" in p for p in check_view(with_input))


def test_api_answers_invalid_blocks_with_explanations(client):
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C0GENERAL", text="t", blocks=[section("x" * 3001)])
    response = caught.value.response
    assert response["error"] == "invalid_blocks"
    assert "must be less than 3001 characters" in response["response_metadata"]["messages"][0]
