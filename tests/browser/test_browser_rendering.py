"""Block Kit and mrkdwn rendering in the page, against a sandbox with messages posted through the
Web API: formatting, entities shown as text (never injected), unknown blocks kept visible,
ephemerals shown only to their person, and confirm dialogs before a button goes out."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from sandbox.driver import Workspace

pytestmark = pytest.mark.browser

TOKEN = "xoxb-render-token"


@pytest.fixture
def ws():
    with Workspace(signing_secret="render-secret", bot_token=TOKEN) as workspace:
        yield workspace


@pytest.fixture
def client(ws):
    return WebClient(base_url=ws.api_url, token=TOKEN)


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def test_entities_render_as_text_and_nothing_is_injected(ws, client, open_page):
    hostile = "&lt;script&gt;window.pwned = 1&lt;/script&gt; &lt;!channel&gt; &lt;img src=x onerror=window.pwned=2&gt;"
    client.chat_postMessage(channel="C0GENERAL", text=hostile)
    client.chat_postMessage(channel="C0GENERAL", text="blocks", blocks=[_section("*" + hostile + "*")])
    client.chat_postMessage(channel="C0GENERAL", text="<javascript:alert(1)|click me> and <script>")
    page = open_page(ws.url, "U0LIN", place="C0GENERAL")
    page.locator(".message").nth(2).wait_for()
    texts = page.locator(".message").all_inner_texts()
    assert "<script>window.pwned = 1</script> <!channel> <img src=x onerror=window.pwned=2>" in texts[0]
    assert "<script>window.pwned = 1</script>" in texts[1]
    assert page.locator(".messages script, .messages img[src='x']").count() == 0
    assert page.locator(".messages a", has_text="click me").count() == 0  # no javascript: links
    assert page.evaluate("window.pwned") is None
    page.fill("#composer-input", "<b>typed</b> & more")
    page.press("#composer-input", "Enter")
    page.locator(".message", has_text="<b>typed</b> & more").wait_for()
    assert page.locator(".messages b", has_text="typed").count() == 0


def test_mrkdwn_blocks_and_unknown_blocks(ws, client, open_page):
    client.chat_postMessage(channel="C0GENERAL", text="formatting", blocks=[
        {"type": "header", "text": {"type": "plain_text", "text": "A header"}},
        _section("*bold* _italic_ ~struck~ `code` <https://example.com|a link> <@U0KOF>\n"
                 "• first bullet\n&gt; quoted line\n```line one\nline two```"),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Field A*\n1"},
                                       {"type": "mrkdwn", "text": "*Field B*\n2"}],
         "accessory": {"type": "overflow", "action_id": "more", "options": [
             {"text": {"type": "plain_text", "text": "Edit"}, "value": "edit"}]}},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "small print"}]},
        {"type": "markdown", "text": "**standard markdown**"},
        {"type": "rich_text", "elements": [{"type": "rich_text_list", "style": "bullet", "elements": [
            {"type": "rich_text_section", "elements": [{"type": "text", "text": "rich item", "style": {"bold": True}}]}]}]},
    ])
    page = open_page(ws.url, "U0LIN", place="C0GENERAL")
    message = page.locator(".message").first
    message.wait_for()
    assert message.locator(".header").inner_text() == "A header"
    assert message.locator("b", has_text="bold").count() == 1
    assert message.locator("i", has_text="italic").count() == 1
    assert message.locator("s", has_text="struck").count() == 1
    assert message.locator(".inline-code", has_text="code").count() == 1
    assert message.locator("a[href='https://example.com']").inner_text() == "a link"
    assert message.locator(".mention").inner_text() == "@Kofi Mensah"
    assert message.locator(".bullet-line", has_text="first bullet").count() == 1
    assert message.locator("blockquote", has_text="quoted line").count() == 1
    assert message.locator("pre.code-block").inner_text() == "line one\nline two"
    assert message.locator(".section-field").count() == 2
    assert message.locator("[data-block-type='divider'] hr").count() == 1
    assert message.locator(".bk-unknown").inner_text() == "Unsupported block: markdown"
    assert message.locator(".rt-list li b", has_text="rich item").count() == 1
    builder = message.locator(".builder-link").get_attribute("href")
    assert builder.startswith("https://app.slack.com/block-kit-builder/#%7B%22blocks%22")


def test_ephemeral_shows_only_to_its_person(ws, client, open_page):
    client.chat_postEphemeral(channel="C0GENERAL", user="U0LIN", text="just for Lin")
    client.chat_postMessage(channel="C0GENERAL", text="for everyone")
    lin = open_page(ws.url, "U0LIN", place="C0GENERAL")
    lin.locator(".message.ephemeral", has_text="just for Lin").locator(".ephemeral-note").wait_for()
    kofi = open_page(ws.url, "U0KOF", place="C0GENERAL")
    kofi.locator(".message", has_text="for everyone").wait_for()
    assert kofi.locator(".message", has_text="just for Lin").count() == 0


def test_confirm_dialog_guards_a_danger_button(ws, client, open_page):
    client.chat_postMessage(channel="C0GENERAL", text="danger", blocks=[{"type": "actions", "elements": [
        {"type": "button", "action_id": "delete_run", "style": "danger", "value": "7",
         "text": {"type": "plain_text", "text": "Delete"},
         "confirm": {"title": {"type": "plain_text", "text": "Delete run 7?"},
                     "text": {"type": "mrkdwn", "text": "This *cannot* be undone."},
                     "confirm": {"type": "plain_text", "text": "Delete"},
                     "deny": {"type": "plain_text", "text": "Keep it"}, "style": "danger"}}]}])
    page = open_page(ws.url, "U0LIN", place="C0GENERAL")
    page.locator(".bk-button.danger[data-action-id='delete_run']").click()
    dialog = page.locator(".confirm-dialog")
    assert "Delete run 7?" in dialog.inner_text()
    dialog.locator("[data-confirm='no']").click()
    assert page.locator(".confirm-dialog").count() == 0 and page.locator(".notice").count() == 0
    page.locator(".bk-button.danger[data-action-id='delete_run']").click()
    page.locator(".confirm-dialog [data-confirm='yes']").click()
    # this sandbox has no bot: the click goes out and the page says the app could not be reached
    page.locator(".notice.error", has_text="no bot_url").wait_for()
