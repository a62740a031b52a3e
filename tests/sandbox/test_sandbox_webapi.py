"""The Web API through slack_sdk's real WebClient: shapes and Slack's error codes."""

from __future__ import annotations

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError


def error_of(call) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value.response["error"]


def test_auth_test_names_the_team_and_bot(client, ws):
    answer = client.auth_test()
    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == ("T0SANDBOX", "U0BOT", "B0BOT")
    assert answer["url"] == ws.url + "/"


def test_bad_and_missing_tokens(ws):
    assert error_of(lambda: WebClient(base_url=ws.api_url, token="xoxb-wrong").auth_test()) == "invalid_auth"
    assert error_of(lambda: WebClient(base_url=ws.api_url).auth_test()) == "not_authed"
    assert requests.post(ws.api_url + "auth.test", data={"token": ws.bot_token}).json()["ok"] is True


def test_unknown_method(client):
    assert error_of(lambda: client.api_call("chat.teleport")) == "unknown_method"


def test_post_to_a_user_lands_in_their_dm_and_update_keeps_history(client, ws):
    posted = client.chat_postMessage(channel="U0LIN", text="first")
    assert posted["channel"] == ws.dm_channel("U0LIN") == "D0LIN"
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="second")
    [message] = ws.messages("U0LIN")
    assert message["text"] == "second"
    assert message["history"][0]["text"] == "first"
    assert message["edited"]["user"] == "U0BOT"


def test_threads_ephemerals_and_delete(client, ws):
    parent = client.chat_postMessage(channel="C0GENERAL", text="parent")
    reply = client.chat_postMessage(channel="C0GENERAL", text="reply", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]
    client.chat_postEphemeral(channel="C0GENERAL", user="U0KOF", text="only Kofi")
    assert [m["text"] for m in ws.messages("C0GENERAL", user="U0ADA")] == ["parent", "reply"]
    assert ws.messages("C0GENERAL", user="U0KOF")[-1]["visible_to"] == "U0KOF"
    client.chat_delete(channel="C0GENERAL", ts=reply["ts"])
    assert [m["text"] for m in ws.messages("C0GENERAL", include_ephemeral=False)] == ["parent"]


def test_conversations_replies_and_thread_fields_as_slack_documents_them(client, ws):
    parent = client.chat_postMessage(channel="C0GENERAL", text="parent",
                                     metadata={"event_type": "e", "event_payload": {"k": 1}})
    first = client.chat_postMessage(channel="C0GENERAL", text="one", thread_ts=parent["ts"])
    second = client.chat_postMessage(channel="C0GENERAL", text="two", thread_ts=first["ts"])  # a reply to a reply
    assert second["message"]["thread_ts"] == parent["ts"] and second["message"]["parent_user_id"] == "U0BOT"
    thread = client.conversations_replies(channel="C0GENERAL", ts=first["ts"])  # any message of the thread
    assert [m["text"] for m in thread["messages"]] == ["parent", "one", "two"]
    head = thread["messages"][0]
    assert (head["thread_ts"], head["reply_count"], head["reply_users"], head["latest_reply"]) == (
        parent["ts"], 2, ["U0BOT"], second["ts"])
    assert "metadata" not in head
    assert client.conversations_replies(channel="C0GENERAL", ts=parent["ts"], include_all_metadata=True
                                        )["messages"][0]["metadata"]["event_payload"] == {"k": 1}
    limited = client.conversations_replies(channel="C0GENERAL", ts=parent["ts"], limit=1)
    assert [m["text"] for m in limited["messages"]] == ["parent"] and limited["has_more"] is True
    assert [m["text"] for m in client.conversations_replies(channel="C0GENERAL", ts=parent["ts"], oldest=first["ts"],
                                                            inclusive=True)["messages"]] == ["parent", "one", "two"]
    history = client.conversations_history(channel="C0GENERAL")["messages"]
    assert [m["text"] for m in history] == ["parent"]  # replies stay in their thread
    assert error_of(lambda: client.conversations_replies(channel="C0GENERAL", ts="1.000001")) == "thread_not_found"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_message_errors(client, ws):
    assert error_of(lambda: client.chat_postMessage(channel="C0NOPE", text="x")) == "channel_not_found"
    assert error_of(lambda: client.chat_update(channel="C0GENERAL", ts="1.000001", text="x")) == "message_not_found"
    assert error_of(lambda: client.chat_postMessage(channel="C0GENERAL", text="x" * 40_001)) == "msg_too_long"
    assert error_of(lambda: client.chat_postMessage(channel="C0GENERAL")) == "no_text"
    assert error_of(lambda: client.chat_postMessage(channel="U0BOT", text="x")) == "cannot_dm_bot"
    assert error_of(lambda: client.conversations_open(users="U0NOBODY")) == "user_not_found"
    ws.deactivate("U0PRI")
    assert error_of(lambda: client.chat_postMessage(channel="U0PRI", text="x")) == "user_disabled"
    assert client.users_info(user="U0PRI")["user"]["deleted"] is True


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_missing_fallback_text_is_a_warning(client):
    answer = client.chat_postMessage(channel="C0GENERAL",
                                     blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}])
    assert answer["ok"] is True
    assert answer["warning"] == "missing_text_fallback"


def test_json_body_and_block_ids_filled_in(ws):
    answer = requests.post(ws.api_url + "chat.postMessage", headers={"Authorization": f"Bearer {ws.bot_token}"},
                           json={"channel": "#general", "text": "t", "blocks": [
                               {"type": "actions", "elements": [
                                   {"type": "button", "text": {"type": "plain_text", "text": "Go"}}]}]}).json()
    block = answer["message"]["blocks"][0]
    assert block["block_id"] and block["elements"][0]["action_id"]


def test_conversations_and_users(client, ws):
    opened = client.conversations_open(users="U0ADA")
    assert opened["channel"]["id"] == "D0ADA"
    info = client.conversations_info(channel="D0ADA")["channel"]
    assert info["is_im"] is True and info["user"] == "U0ADA"
    assert client.conversations_info(channel="C0GENERAL")["channel"]["name"] == "general"
    ada = client.users_info(user="U0ADA")["user"]
    assert ada["is_admin"] and ada["tz"] == "Europe/London" and ada["profile"]["real_name"] == "Ada Lovelace"
    assert ada["tz_offset"] in (0, 3600)
    assert client.users_info(user="U0PRI")["user"]["tz_offset"] == 19800
    ws.set_tz("U0LIN", "Asia/Tokyo")
    lin = client.users_info(user="U0LIN")["user"]
    assert (lin["tz"], lin["tz_offset"]) == ("Asia/Tokyo", 32400)


def test_journal_records_calls_in_order_without_tokens(client, ws):
    client.chat_postMessage(channel="C0GENERAL", text="one")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0NOPE", text="two")
    calls = ws.journal("chat.postMessage")
    assert [(c["ok"], c["error"]) for c in calls] == [(True, None), (False, "channel_not_found")]
    assert all("token" not in c["args"] for c in ws.journal())
    assert calls[0]["seq"] < calls[1]["seq"]


def test_history_returns_metadata_newest_first(client, ws):
    channel = ws.dm_channel("U0LIN")
    client.chat_postMessage(channel=channel, text="one",
                            metadata={"event_type": "tutor_drip", "event_payload": {"delivery_id": 7}})
    client.chat_postMessage(channel=channel, text="two")
    plain = client.conversations_history(channel=channel)["messages"]
    assert [m["text"] for m in plain][:2] == ["two", "one"] and "metadata" not in plain[1]
    rich = client.conversations_history(channel=channel, include_all_metadata=True, limit=5)["messages"]
    assert rich[1]["metadata"]["event_payload"]["delivery_id"] == 7
    from slack_sdk.errors import SlackApiError

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=channel, text="x", metadata={"event_payload": {}})
    assert raised.value.response["error"] == "invalid_metadata_format"
