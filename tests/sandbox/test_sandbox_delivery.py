"""Signed delivery to the bot, payload shapes, ack handling and response_url."""

from __future__ import annotations

import time

import pytest
import requests
from slack_sdk.errors import SlackApiError

from sandbox import webapi

QUIZ_BLOCKS = [
    {"type": "section", "block_id": "q1", "text": {"type": "mrkdwn", "text": "Which is a loss?"}},
    {"type": "actions", "block_id": "answers", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Cross-entropy"}, "action_id": "quiz_answer",
         "value": "a"},
        {"type": "static_select", "action_id": "pick", "placeholder": {"type": "plain_text", "text": "Pick"},
         "options": [{"text": {"type": "plain_text", "text": "One"}, "value": "1"},
                     {"text": {"type": "plain_text", "text": "Two"}, "value": "2"}]}]},
]
MODAL = {"type": "modal", "callback_id": "finetune", "title": {"type": "plain_text", "text": "Fine-tune"},
         "submit": {"type": "plain_text", "text": "Start"},
         "blocks": [{"type": "input", "block_id": "epochs", "label": {"type": "plain_text", "text": "Epochs"},
                     "element": {"type": "plain_text_input", "action_id": "value", "initial_value": "3"}},
                    {"type": "input", "block_id": "when", "label": {"type": "plain_text", "text": "When"},
                     "element": {"type": "timepicker", "action_id": "time"}}]}


def test_slash_command_is_signed_like_slack_and_shaped_like_slack(ws, bot):
    delivery = ws.slash("U0KOF", "/lesson", "next")
    ws.slash("U0KOF", "/lesson", "a<b & c>")
    assert delivery.status == 200 and delivery.acked_in_time
    request, escaped = bot.requests
    assert escaped["data"]["text"] == "a&lt;b &amp; c&gt;"
    assert request["verified"] is True
    assert request["headers"]["X-Slack-Signature"].startswith("v0=")
    fields = request["data"]
    assert fields["command"] == "/lesson" and fields["text"] == "next" and fields["user_id"] == "U0KOF"
    assert fields["channel_id"] == "C0GENERAL" and fields["team_id"] == "T0SANDBOX"
    assert fields["response_url"].startswith(ws.url + "/response/") and fields["trigger_id"]
    assert ws.journal(kind="delivery")[0]["status"] == 200


@pytest.mark.parametrize("forgery", [{"sign": False}, {"timestamp": int(time.time()) - 600},
                                     {"signing_secret": "not-the-secret"}])
def test_forged_requests_fail_the_bots_verifier(ws, bot, forgery):
    delivery = ws.slash("U0ADA", "/lesson", **forgery)
    assert delivery.status == 401
    assert bot.requests[0]["verified"] is False


def test_raw_post_sends_exactly_what_it_is_given(ws, bot):
    delivery = ws.raw_post("command=%2Flesson", {"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=00"})
    assert delivery.status == 401 and bot.requests[0]["body"] == "command=%2Flesson"


def test_ack_body_becomes_an_ephemeral_reply(ws, bot):
    bot.reply = lambda request: (200, {"text": "Working on it <@U0ADA> & co"})
    ws.slash("U0ADA", "/progress", channel="C0GENERAL")
    [reply] = ws.messages("C0GENERAL")
    assert reply["is_ephemeral"] and reply["visible_to"] == "U0ADA"
    assert reply["text"] == "Working on it <@U0ADA> & co"
    assert ws.messages("C0GENERAL", user="U0LIN") == []


def test_click_sends_block_actions_with_the_stored_message(ws, bot, client):
    posted = client.chat_postMessage(channel="U0LIN", text="quiz", blocks=QUIZ_BLOCKS)
    [message] = ws.messages("U0LIN")
    ws.click("U0LIN", message, "quiz_answer")
    ws.select("U0LIN", message, "pick", "2")
    click, select = (r["data"] for r in bot.requests)
    assert click["type"] == "block_actions" and click["user"]["id"] == "U0LIN"
    assert click["container"] == {"type": "message", "message_ts": posted["ts"], "channel_id": "D0LIN",
                                  "is_ephemeral": False}
    assert click["message"]["ts"] == posted["ts"] and click["message"]["blocks"][1]["block_id"] == "answers"
    action = click["actions"][0]
    assert (action["action_id"], action["block_id"], action["value"], action["type"]) == \
        ("quiz_answer", "answers", "a", "button")
    assert select["actions"][0]["selected_option"]["value"] == "2"
    with pytest.raises(LookupError):
        ws.click("U0LIN", message, "no_such_button")


def test_response_url_round_trip(ws, bot, client):
    client.chat_postMessage(channel="C0GENERAL", text="quiz", blocks=QUIZ_BLOCKS)
    ws.click("U0PRI", ws.messages("C0GENERAL")[0], "quiz_answer")
    response_url = bot.requests[0]["data"]["response_url"]
    assert requests.post(response_url, json={"replace_original": True, "text": "Right!"}).json() == {"ok": True}
    [message] = ws.messages("C0GENERAL")
    assert message["text"] == "Right!" and message["blocks"] == [] and message["history"]
    requests.post(response_url, json={"text": "just for you"})
    assert ws.messages("C0GENERAL")[-1]["visible_to"] == "U0PRI"
    requests.post(response_url, json={"text": "for all", "response_type": "in_channel"})
    assert not ws.messages("C0GENERAL")[-1].get("is_ephemeral")
    assert requests.post(response_url, json={"delete_original": True}).ok
    assert [m["text"] for m in ws.messages("C0GENERAL")] == ["just for you", "for all"]
    assert requests.post(response_url, json={"text": "fifth"}).ok
    used = requests.post(response_url, json={"text": "sixth"})
    assert (used.status_code, used.json()["error"]) == (404, "used_url")


def test_views_open_needs_a_fresh_trigger_and_submission_errors_come_back(ws, bot, client):
    trigger = ws.slash("U0ADA", "/finetune").extra["trigger_id"]
    view = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    with pytest.raises(SlackApiError) as caught:
        client.views_open(trigger_id=trigger, view=MODAL)
    assert caught.value.response["error"] == "exchanged_trigger_id"
    bot.reply = lambda request: (200, {"response_action": "errors", "errors": {"epochs": "Too many"}})
    answer = ws.submit_view("U0ADA", view["id"], {"epochs": {"value": "99"}, "when": "09:30"})
    assert answer.json["errors"] == {"epochs": "Too many"}
    submitted = bot.requests[-1]["data"]
    assert submitted["type"] == "view_submission" and submitted["view"]["callback_id"] == "finetune"
    assert submitted["view"]["state"]["values"] == {
        "epochs": {"value": {"type": "plain_text_input", "value": "99"}},
        "when": {"time": {"type": "timepicker", "selected_time": "09:30"}}}
    assert len(ws.open_views("U0ADA")) == 1
    bot.reply = lambda request: (200, "")
    ws.submit_view("U0ADA", view["id"])
    assert bot.requests[-1]["data"]["view"]["state"]["values"]["epochs"]["value"]["value"] == "3"
    assert ws.open_views("U0ADA") == []


def test_expired_trigger_and_view_updates(ws, bot, client, monkeypatch):
    trigger = ws.slash("U0ADA", "/finetune").extra["trigger_id"]
    monkeypatch.setattr(webapi, "TRIGGER_LIFETIME_S", 0.0)
    with pytest.raises(SlackApiError) as caught:
        client.views_open(trigger_id=trigger, view=MODAL)
    assert caught.value.response["error"] == "expired_trigger_id"
    monkeypatch.undo()
    view = client.views_open(trigger_id=ws.slash("U0ADA", "/finetune").extra["trigger_id"], view=MODAL)["view"]
    updated = client.views_update(view_id=view["id"], hash=view["hash"], view=dict(MODAL, callback_id="v2"))
    assert updated["view"]["id"] == view["id"] and updated["view"]["callback_id"] == "v2"
    with pytest.raises(SlackApiError) as caught:
        client.views_update(view_id=view["id"], hash=view["hash"], view=MODAL)
    assert caught.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as caught:
        client.views_open(trigger_id="1.2.nope", view=MODAL)
    assert caught.value.response["error"] == "invalid_trigger_id"


def test_app_home_publish_and_open_event(ws, bot, client):
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Welcome"}}]}
    first = client.views_publish(user_id="U0KOF", view=home)["view"]
    second = client.views_publish(user_id="U0KOF", view=home)["view"]
    assert first["id"] == second["id"] == ws.home_view("U0KOF")["id"]
    ws.open_home("U0KOF")
    envelope = bot.requests[0]["data"]
    assert envelope["type"] == "event_callback" and envelope["event_id"] and envelope["event_time"]
    event = envelope["event"]
    assert (event["type"], event["user"], event["tab"], event["channel"]) == \
        ("app_home_opened", "U0KOF", "home", "D0KOF")
    assert event["view"]["id"] == first["id"]


def test_dm_and_user_change_events(ws, bot):
    ws.send_dm("U0PRI", "hello <bot>")
    ws.set_tz("U0PRI", "Europe/Berlin")
    message, change = (r["data"]["event"] for r in bot.requests)
    assert (message["type"], message["channel_type"], message["text"]) == ("message", "im", "hello &lt;bot&gt;")
    assert change["type"] == "user_change" and change["user"]["tz"] == "Europe/Berlin"
    assert ws.url_verification("abc").status == 200
    assert bot.requests[-1]["data"] == {"token": ws.state.verification_token, "challenge": "abc",
                                        "type": "url_verification"}


def test_unreachable_bot_is_recorded_not_raised(ws):
    ws.bot_url = "http://127.0.0.1:9/slack/events"
    delivery = ws.slash("U0ADA", "/lesson")
    assert delivery.status is None and delivery.error
    assert ws.journal(kind="delivery")[0]["ok"] is False
