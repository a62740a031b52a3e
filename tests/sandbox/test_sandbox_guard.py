"""Only this machine, and no other web page, drives the sandbox: Host and Origin are checked, the UI's
actions take JSON only, it binds loopback unless --public, and it never borrows a real app's secrets."""

from __future__ import annotations

import pytest
import requests

import sandbox.__main__ as sandbox_main
from sandbox.server import SandboxServer

EVIL = "http://169.254.169.254/latest"


def bot_url_after(ws, **post) -> str | None:
    requests.post(ws.url + "/ui/bot_url", timeout=5, **post)
    return requests.get(ws.url + "/ui/workspace", timeout=5).json()["bot_url"]


def test_a_cross_origin_text_plain_post_cannot_retarget_deliveries(ws):
    """What a hostile page can send without a preflight: a `text/plain` POST with its own Origin."""
    ws.bot_url = "http://127.0.0.1:3000/slack/events"
    answer = requests.post(ws.url + "/ui/bot_url", data=f'{{"url": "{EVIL}"}}', timeout=5,
                           headers={"Content-Type": "text/plain", "Origin": "https://evil.example"})
    assert answer.status_code == 403 and "evil.example" in answer.json()["message"]
    assert ws.bot_url == "http://127.0.0.1:3000/slack/events"


def test_ui_actions_take_json_only(ws):
    ws.bot_url = "http://127.0.0.1:3000/slack/events"
    answer = requests.post(ws.url + "/ui/bot_url", data=f'{{"url": "{EVIL}"}}', timeout=5,
                           headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415 and "application/json" in answer.json()["message"]
    assert ws.bot_url == "http://127.0.0.1:3000/slack/events"


def test_the_page_itself_still_drives_it(ws):
    """The browser UI's own requests: same origin, JSON."""
    new = "http://127.0.0.1:3001/slack/events"
    assert bot_url_after(ws, json={"url": new}, headers={"Origin": ws.url}) == new


@pytest.mark.parametrize("verb", ["GET", "POST"])
def test_a_rebound_host_name_is_refused(ws, verb):
    """DNS rebinding: a page on evil.example re-points its name at 127.0.0.1 and calls itself."""
    host = f"evil.example:{ws.url.rsplit(':', 1)[1]}"
    answer = requests.request(verb, ws.url + ("/ui/workspace" if verb == "GET" else "/ui/bot_url"),
                              json={"url": EVIL}, headers={"Host": host}, timeout=5)
    assert answer.status_code == 403
    assert ws.bot_url != EVIL


def test_localhost_names_are_this_sandbox(ws):
    port = ws.url.rsplit(":", 1)[1]
    for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
        assert requests.get(ws.url + "/ui/workspace", headers={"Host": host}, timeout=5).status_code == 200


def test_a_non_loopback_host_needs_public():
    with pytest.raises(ValueError, match="--public"):
        SandboxServer(signing_secret="s", bot_token="xoxb-t", host="0.0.0.0", port=0)
    public = SandboxServer(signing_secret="s", bot_token="xoxb-t", host="0.0.0.0", port=0, public=True).start()
    try:  # public: any Host name (a container's, a LAN name), but still no other page's Origin
        url, host = f"http://127.0.0.1:{public.port}", f"tutor-demo.lan:{public.port}"
        assert requests.get(url + "/ui/workspace", headers={"Host": host}, timeout=5).status_code == 200
        assert requests.get(url + "/ui/workspace", headers={"Host": host, "Origin": "https://evil.example"},
                            timeout=5).status_code == 403
    finally:
        public.stop()


def test_python_m_sandbox_refuses_a_non_loopback_host():
    with pytest.raises(SystemExit) as stopped:
        sandbox_main.main(["--host", "192.0.2.1", "--port", "0"])
    assert "--public" in str(stopped.value)


def test_python_m_sandbox_never_reads_production_secrets(monkeypatch):
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "production-secret")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-production")
    served: list[dict] = []
    monkeypatch.setattr(sandbox_main, "serve", lambda **kwargs: served.append(kwargs))
    sandbox_main.main([])
    assert served[0]["signing_secret"] != "production-secret"
    assert served[0]["bot_token"] != "xoxb-production"
