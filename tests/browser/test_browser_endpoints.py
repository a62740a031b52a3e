"""The endpoints the page needs beyond the sandbox core: the app's commands from manifest.yml,
file bytes for <img> without the bot token (loopback only), and messages typed in a channel."""

from __future__ import annotations

import socket

import pytest
import requests

from sandbox.driver import Workspace
from sandbox.uiroutes import slash_commands
from sandbox.webapi import store_file

TOKEN = "xoxb-endpoint-token"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def test_commands_come_from_the_manifest(tmp_path):
    manifest = tmp_path / "manifest.yml"
    manifest.write_text("features:\n  slash_commands:\n    - command: /demo\n      description: A demo\n"
                        "      usage_hint: '[x]'\n")
    assert slash_commands(manifest) == [{"command": "/demo", "description": "A demo", "usage_hint": "[x]"}]
    assert slash_commands(tmp_path / "missing.yml") == []
    with Workspace(bot_token=TOKEN) as ws:
        served = requests.get(ws.url + "/ui/commands").json()["commands"]
    assert {c["command"] for c in served} == {"/lesson", "/progress", "/finetune"}


def _stored(ws: Workspace, name: str, data: bytes) -> dict:
    return store_file(ws.state, ws.state.ids.new_id("F"), name, data, "U0LIN", [ws.dm_channel("U0LIN")])


def test_files_for_the_page_need_no_token_but_keep_their_type():
    with Workspace(bot_token=TOKEN) as ws:
        image = _stored(ws, "plot.png", PNG)
        page_html = _stored(ws, "evil.html", b"<script>alert(1)</script>")
        shown = requests.get(f"{ws.url}/ui/files/{image['id']}/plot.png")
        assert shown.status_code == 200 and shown.content == PNG
        assert shown.headers["Content-Type"] == "image/png" and "Content-Disposition" not in shown.headers
        download = requests.get(f"{ws.url}/ui/files/{page_html['id']}/evil.html")
        assert download.headers["Content-Disposition"] == "attachment"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert requests.get(f"{ws.url}/ui/files/F0NOPE/x.png").status_code == 404
        assert requests.get(f"{ws.url}/files/{image['id']}/plot.png").status_code == 403  # the bot's URL still needs the token


def _outward_address() -> str | None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


def test_files_for_the_page_refuse_other_machines():
    address = _outward_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to call from")
    with Workspace(bot_token=TOKEN, host="0.0.0.0", public=True) as ws:  # as in a container
        image = _stored(ws, "plot.png", PNG)
        port = ws.url.rsplit(":", 1)[1]
        assert requests.get(f"http://{address}:{port}/ui/files/{image['id']}/plot.png").status_code == 403
        assert requests.get(f"http://127.0.0.1:{port}/ui/files/{image['id']}/plot.png").status_code == 200


def test_say_posts_a_person_message_in_a_channel():
    with Workspace(bot_token=TOKEN) as ws:
        answer = requests.post(ws.url + "/ui/say", json={"user": "U0KOF", "channel": "#general", "text": "a<b"})
        assert answer.json()["ok"] and answer.json()["channel"] == "C0GENERAL"
        stored = ws.messages("C0GENERAL")[-1]
        assert stored["user"] == "U0KOF" and stored["text"] == "a&lt;b"
        assert requests.post(ws.url + "/ui/say", json={"user": "U0NOBODY", "channel": "#general",
                                                         "text": "x"}).status_code == 400
        assert not ws.journal(kind="delivery")  # the app listens to DMs only: nothing goes out
