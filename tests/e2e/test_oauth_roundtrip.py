"""OAuth as a round trip: the bot installed into two sandbox workspaces through /slack/install, Slack's
authorize page and /slack/oauth_redirect; then used in each, kept apart, and uninstalled."""

from __future__ import annotations

import html
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "drips"))
from drip_steps import daily, lessons_received, local_moment, tick_at  # noqa: E402

from tests.conftest import Tutor  # noqa: E402

FIRST, SECOND = "T0SANDBOX", "T0SECOND"
ADA, LIN = "U0ADA", "U0LIN"


@pytest.fixture
def org(tmp_path):
    from bot.clock import MovableClock
    from bot.config import load_settings
    from bot.runtime import BotRuntime, health
    from bot.server import HTTPServer, TutorWSGI
    from sandbox.oauth import SandboxOrg

    org = SandboxOrg(client_id="111.222", client_secret="shh", signing_secret="sig").start()
    settings = load_settings({"SLACK_CLIENT_ID": "111.222", "SLACK_CLIENT_SECRET": "shh",
                              "SLACK_SIGNING_SECRET": "sig", "TUTOR_DATA_DIR": str(tmp_path / "data"),
                              "SLACK_API_URL": org.api_url})
    clock = MovableClock(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    runtime = BotRuntime(settings, clock=clock, start_scheduler=False, sends_per_second=200).start()
    server = HTTPServer(TutorWSGI(runtime.app, health(runtime)), host="127.0.0.1", port=0).start()
    org.redirect_uri = f"{server.url}/slack/oauth_redirect"
    org.set_bot_url(f"{server.url}/slack/events")
    org.bot = server
    org.tutors = {team: Tutor(ws, runtime, server, clock, settings) for team, ws in org.workspaces.items()}
    yield org
    server.stop()
    runtime.stop()
    org.stop()


def start_install(org, browser: requests.Session) -> tuple[str, dict]:
    """/slack/install, then Slack's authorize page: the page and its form fields."""
    page = browser.get(f"{org.bot.url}/slack/install", timeout=10, allow_redirects=False)
    for cookie in browser.cookies:  # Bolt's state cookie is Secure; browsers send those to http://127.0.0.1
        cookie.secure = False        # (a loopback origin is a secure context), requests does not
    link = page.headers.get("Location") or html.unescape(re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"',
                                                                   page.text).group(1))
    assert link.startswith(org.authorize_url)
    authorize = browser.get(link, timeout=10)
    assert authorize.status_code == 200 and "chat:write" in authorize.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', authorize.text))
    return authorize.text, {k: html.unescape(v) for k, v in fields.items()}


def allow(org, browser, fields: dict, team: str) -> str:
    """Press Allow for `team`: the redirect back to the app, with `code` and `state`."""
    answer = browser.post(org.authorize_url, data={**fields, "team": team, "decision": "allow"},
                          timeout=10, allow_redirects=False)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(org.redirect_uri) and "code=" in location and "state=" in location
    return location


def install(org, team: str) -> requests.Session:
    browser = requests.Session()
    _, fields = start_install(org, browser)
    callback = browser.get(allow(org, browser, fields, team), timeout=10)
    assert callback.status_code == 200, callback.text
    return browser


def lesson_posts(ws, user):
    return [m for m in ws.messages(ws.dm_channel(user)) if "Lesson 1.1" in (m.get("text") or "")]


def test_install_into_two_workspaces_use_each_apart_then_uninstall(org):
    store = org.tutors[FIRST].services.clients.installation_store
    for team in (FIRST, SECOND):
        install(org, team)
        bot = store.find_bot(enterprise_id=None, team_id=team)
        assert bot is not None and bot.bot_token == org.workspaces[team].state.bot_token
    first, second = org.workspaces[FIRST], org.workspaces[SECOND]
    answers = {a["team"]["id"]: a for a in org.installs}
    assert set(answers) == {FIRST, SECOND} and answers[FIRST]["access_token"].startswith("xoxb-")
    assert "commands" in answers[FIRST]["scope"] and answers[FIRST]["authed_user"]["id"] == ADA

    # each token works in its own workspace only
    with pytest.raises(SlackApiError) as refused:
        WebClient(base_url=second.api_url, token=first.state.bot_token).auth_test()
    assert refused.value.response["error"] == "invalid_auth"

    # each workspace is used through its own token; what happens in one never shows in the other
    assert first.slash(LIN, "/lesson", "1.1", channel=first.dm_channel(LIN)).status == 200
    first.wait_for(lambda: lesson_posts(first, LIN))
    assert lesson_posts(second, LIN) == [] and second.journal("chat.postMessage") == []
    assert second.slash(ADA, "/lesson", "1.1", channel=second.dm_channel(ADA)).status == 200
    second.wait_for(lambda: lesson_posts(second, ADA))
    assert lesson_posts(first, ADA) == []

    # both subscribe to drips; then the first workspace uninstalls and the second revokes its tokens
    assert "09:00" in daily(org.tutors[FIRST], ADA, "09:00")
    assert "09:00" in daily(org.tutors[SECOND], LIN, "09:00")
    assert org.revoke(FIRST, "app_uninstalled").status == 200
    org.tutors[FIRST].ws.wait_for(lambda: store.find_bot(enterprise_id=None, team_id=FIRST) is None)
    assert store.find_installation(enterprise_id=None, team_id=FIRST) is None
    assert store.find_bot(enterprise_id=None, team_id=SECOND) is not None, "the other workspace keeps its install"
    first_mark = len(first.journal(kind="api"))

    tick_at(org.tutors[FIRST], local_moment("Europe/London", 2026, 3, 3, 9, 0))  # Ada's drip (first) is due
    tick_at(org.tutors[SECOND], local_moment("America/Los_Angeles", 2026, 3, 3, 9, 0))  # Lin's (second)
    assert first.journal(kind="api")[first_mark:] == [], "nothing is sent to an uninstalled workspace"
    assert len(lessons_received(second, LIN)) == 1, "the other workspace still gets its drip"

    assert org.revoke(SECOND, "tokens_revoked").status == 200
    second.wait_for(lambda: store.find_bot(enterprise_id=None, team_id=SECOND) is None)
    second_mark = len(second.journal(kind="api"))
    second.slash(LIN, "/lesson", "1.1", channel=second.dm_channel(LIN))
    tick_at(org.tutors[SECOND], local_moment("America/Los_Angeles", 2026, 3, 4, 9, 0))
    assert second.journal(kind="api")[second_mark:] == [], "no call with a revoked token"


def test_replayed_or_forged_state_is_refused(org):
    browser = requests.Session()
    _, fields = start_install(org, browser)
    location = allow(org, browser, fields, FIRST)
    assert browser.get(location, timeout=10).status_code == 200
    store = org.tutors[FIRST].services.clients.installation_store
    assert store.find_bot(enterprise_id=None, team_id=FIRST) is not None

    # the same state again, even with a fresh code: refused (each state works once)
    fresh = allow(org, browser, fields, SECOND)
    assert browser.get(fresh, timeout=10).status_code >= 400
    # a forged state with a real code: refused
    _, other = start_install(org, browser)
    code_only = allow(org, browser, {**other, "state": "forged-state"}, SECOND)
    assert browser.get(code_only, timeout=10).status_code >= 400
    # a real state from someone else's browser (no state cookie): refused
    stranger = requests.Session()
    assert stranger.get(allow(org, browser, other, SECOND), timeout=10).status_code >= 400
    assert store.find_bot(enterprise_id=None, team_id=SECOND) is None, "no install came of any of them"
    # a code is good once, and only with the app's secret
    with pytest.raises(SlackApiError) as reused:
        WebClient(base_url=org.api_url).oauth_v2_access(client_id="111.222", client_secret="shh",
                                                        code=dict(p.split("=", 1) for p in location.split("?", 1)[1].split("&"))["code"])
    assert reused.value.response["error"] == "invalid_code"
