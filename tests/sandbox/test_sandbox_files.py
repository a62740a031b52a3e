"""The three-step external upload, downloads that need the bot token, and files people share."""

from __future__ import annotations

import pytest
import requests
from slack_sdk.errors import SlackApiError


def test_files_upload_v2_shares_into_the_channel(client, ws):
    answer = client.files_upload_v2(channel="D0ADA", content=b"label,text\n1,good\n", filename="data.csv",
                                    title="Training data", initial_comment="here you go")
    file = answer["file"]
    assert file["name"] == "data.csv" and file["title"] == "Training data" and file["size"] == 18
    [message] = ws.messages("D0ADA")
    assert message["text"] == "here you go" and message["files"][0]["id"] == file["id"]
    assert client.files_info(file=file["id"])["file"]["mimetype"] == "text/csv"
    assert [e["method"] for e in ws.journal(kind="api")] == ["files.getUploadURLExternal",
                                                             "files.completeUploadExternal", "files.info"]


def test_download_needs_the_bot_token(client, ws):
    file = client.files_upload_v2(channel="C0GENERAL", content=b"\x89PNG bytes", filename="plot.png")["file"]
    url = file["url_private_download"]
    assert requests.get(url, headers={"Authorization": f"Bearer {ws.bot_token}"}).content == b"\x89PNG bytes"
    assert requests.get(url).status_code == 403
    assert requests.get(url, headers={"Authorization": "Bearer xoxb-wrong"}).status_code == 403
    assert requests.get(file["url_private"], headers={"Authorization": f"Bearer {ws.bot_token}"}).ok


def test_multipart_upload_and_unknown_files(client, ws):
    step1 = client.files_getUploadURLExternal(filename="a.txt", length=5)
    assert requests.post(step1["upload_url"], files={"file": ("a.txt", b"hello")}).text == "OK - 5"
    client.files_completeUploadExternal(files=[{"id": step1["file_id"], "title": "A"}])
    assert ws.file_bytes(step1["file_id"]) == b"hello"
    with pytest.raises(SlackApiError) as caught:
        client.files_completeUploadExternal(files=[{"id": "F0NEVER", "title": "x"}])
    assert caught.value.response["error"] == "file_not_found"
    with pytest.raises(SlackApiError) as caught:
        client.files_info(file="F0NEVER")
    assert caught.value.response["error"] == "file_not_found"


def test_a_person_uploading_announces_it_like_slack(ws, bot):
    file, deliveries = ws.upload_file("U0LIN", "mine.csv", b"a,b\n", text="my data")
    assert [d.status for d in deliveries] == [200, 200]
    events = [r["data"]["event"] for r in bot.requests]
    assert events[0]["type"] == "file_shared" and events[0]["file_id"] == file["id"]
    assert events[0]["channel_id"] == "D0LIN"
    assert events[1]["type"] == "message" and events[1]["subtype"] == "file_share"
    assert events[1]["channel_type"] == "im" and events[1]["files"][0]["url_private_download"]
    assert ws.messages("U0LIN")[0]["user"] == "U0LIN"


def test_an_image_block_shows_a_slack_file_only_if_it_is_an_image_the_poster_can_access(client, ws):
    """Slack's "Slack file object": png/jpg/jpeg/gif, accessible to the poster, `id` or `url` but not both.
    A file the bot uploaded without sharing it anywhere is its own, so it may show it."""
    png = client.files_upload_v2(content=b"\x89PNG bytes", filename="curves.png")["file"]
    csv = client.files_upload_v2(content=b"a,b\n", filename="data.csv")["file"]

    def image(**file):
        return [{"type": "image", "slack_file": file, "alt_text": "curves"}]

    posted = client.chat_postMessage(channel="C0GENERAL", text="plot", blocks=image(id=png["id"]))
    client.chat_update(channel="C0GENERAL", ts=posted["ts"], text="plot", blocks=image(url=png["url_private"]))
    for bad in (image(id="F0NEVER"), image(id=csv["id"]), image(id=png["id"], url=png["url_private"]), image()):
        with pytest.raises(SlackApiError) as caught:
            client.chat_postMessage(channel="C0GENERAL", text="plot", blocks=bad)
        assert caught.value.response["error"] == "invalid_blocks"
