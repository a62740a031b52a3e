"""`find_posted`: a crash check finds its message by metadata even when the DM has moved on by pages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.slack import find_posted, make_client, open_dm
from sandbox.driver import Workspace


def test_the_marked_message_is_found_under_three_pages_of_newer_ones():
    with Workspace(signing_secret="s", bot_token="xoxb-find") as ws:
        client = make_client(ws.api_url, "xoxb-find")
        channel = open_dm(client, "U0LIN")
        since = datetime.now(timezone.utc) - timedelta(seconds=5)
        client.chat_postMessage(channel=channel, text="before the job", metadata={
            "event_type": "tutor_finetune_outcome", "event_payload": {"job_id": 6}})  # another job's post
        marked = client.chat_postMessage(channel=channel, text="results", metadata={
            "event_type": "tutor_finetune_outcome", "event_payload": {"job_id": 7}})
        for n in range(450):  # later lessons, drips, replies
            client.chat_postMessage(channel=channel, text=f"later message {n}")
        found = find_posted(client, channel, "tutor_finetune_outcome", "job_id", 7, since)
        assert found is not None and found["ts"] == marked["ts"]
        assert find_posted(client, channel, "tutor_finetune_outcome", "job_id", 7, since, max_pages=2) is None
        assert find_posted(client, channel, "tutor_finetune_outcome", "job_id", 8, since) is None
