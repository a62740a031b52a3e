"""OAuth mode: Bolt's install flow with installations kept in our own database, and per-workspace
clients for background work."""

from __future__ import annotations

import requests

from bot.config import load_settings
from bot.runtime import BotRuntime, health
from bot.server import HTTPServer, TutorWSGI


def test_install_page_and_installation_store(tmp_path):
    settings = load_settings({"SLACK_CLIENT_ID": "111.222", "SLACK_CLIENT_SECRET": "shh",
                              "SLACK_SIGNING_SECRET": "sig", "TUTOR_DATA_DIR": str(tmp_path),
                              "SLACK_API_URL": "http://127.0.0.1:9/api/"})
    runtime = BotRuntime(settings, start_scheduler=False)
    server = HTTPServer(TutorWSGI(runtime.app, health(runtime)), host="127.0.0.1", port=0).start()
    try:
        page = requests.get(f"{server.url}/slack/install", timeout=10, allow_redirects=False)
        assert page.status_code in (200, 302)
        body = page.text + page.headers.get("Location", "")
        assert "client_id=111.222" in body and "scope=" in body and "state=" in body
        # a callback with a forged state is refused
        callback = requests.get(f"{server.url}/slack/oauth_redirect?code=x&state=forged", timeout=10)
        assert callback.status_code >= 400
        # installations live in our database; background work gets each workspace's own token
        from slack_sdk.oauth.installation_store import Installation

        store = runtime.services.clients.installation_store
        for team, token in (("T1", "xoxb-one"), ("T2", "xoxb-two")):
            store.save(Installation(app_id="A1", team_id=team, user_id="U1", bot_token=token, bot_id="B1",
                                    bot_user_id="UB"))
        assert runtime.services.clients.for_team("T1").token == "xoxb-one"
        assert runtime.services.clients.for_team("T2").token == "xoxb-two"
    finally:
        server.stop()
        runtime.stop()
