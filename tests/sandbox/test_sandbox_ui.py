"""The UI-facing endpoints: JSON reads, actions, the server-sent-events stream, static files."""

from __future__ import annotations

import json
import threading

import requests


def test_events_stream_reports_journal_and_messages(ws, client):
    received: list[tuple[str, dict]] = []
    ready = threading.Event()

    def listen() -> None:
        with requests.get(ws.url + "/ui/events", stream=True, timeout=5) as stream:
            ready.set()
            kind = None
            for line in stream.iter_lines(chunk_size=1, decode_unicode=True):
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    received.append((kind, json.loads(line[6:])))
                    if kind == "message":
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    ready.wait(5)
    ws.wait_for(lambda: True)
    client.chat_postMessage(channel="C0GENERAL", text="hi")
    listener.join(5)
    kinds = [kind for kind, _ in received]
    assert "message" in kinds
    assert next(data for kind, data in received if kind == "message")["channel"] == "C0GENERAL"


def test_json_reads_and_actions(ws, bot, client):
    workspace = requests.get(ws.url + "/ui/workspace").json()
    assert workspace["team"]["name"] == "Sandbox Co"
    assert {"U0ADA", "U0LIN", "U0KOF", "U0PRI", "U0BOT"} <= {u["id"] for u in workspace["users"]}
    answer = requests.post(ws.url + "/ui/slash", json={"user": "U0LIN", "command": "/lesson", "text": "list"})
    assert answer.json()["status"] == 200 and bot.requests[0]["data"]["text"] == "list"
    client.chat_postMessage(channel="U0LIN", text="hey")
    messages = requests.get(ws.url + "/ui/messages", params={"channel": "U0LIN"}).json()["messages"]
    assert [m["text"] for m in messages] == ["hey"]
    journal = requests.get(ws.url + "/ui/journal", params={"kind": "api"}).json()["entries"]
    assert [e["method"] for e in journal] == ["chat.postMessage"]
    bad = requests.post(ws.url + "/ui/slash", json={"user": "U0NOBODY", "command": "/lesson"})
    assert bad.status_code == 400


def test_root_serves_a_page(ws):
    page = requests.get(ws.url + "/")
    assert page.ok and "Sandbox" in page.text
    assert requests.get(ws.url + "/../../etc/passwd").status_code == 404
