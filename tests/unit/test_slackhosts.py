"""The host rules for response_urls and file downloads: Slack's hosts over https, or the configured API's origin."""

from __future__ import annotations

import pytest

from bot.slackhosts import file_url_allowed, response_url_allowed

SLACK_API = "https://slack.com/api/"
SANDBOX_API = "http://127.0.0.1:8800/api/"


@pytest.mark.parametrize("url, api_url", [
    ("https://hooks.slack.com/commands/T0/1/abc", SLACK_API),
    ("https://HOOKS.slack.com:443/actions/T0/1/abc", SLACK_API),
    ("https://hooks.slack.com/commands/T0/1/abc", SANDBOX_API),
    ("http://127.0.0.1:8800/response/tok", SANDBOX_API),
])
def test_response_urls_allowed(url, api_url):
    assert response_url_allowed(url, api_url)


@pytest.mark.parametrize("url, api_url", [
    ("http://hooks.slack.com/commands/T0/1/abc", SLACK_API),          # not https
    ("https://hooks.slack.com.evil.example/x", SLACK_API),            # a look-alike host
    ("https://hooks.slack.com@evil.example/x", SLACK_API),            # user info hiding the real host
    ("https://evil.example@hooks.slack.com/x", SLACK_API),            # user info at all
    ("https://hooks.slack.com:8443/x", SLACK_API),                    # another port
    ("http://169.254.169.254/latest/meta-data", SLACK_API),
    ("http://127.0.0.1:8801/response/tok", SANDBOX_API),              # the sandbox's host, another port
    ("https://files.slack.com/x", SLACK_API),                         # a Slack host, but not the hooks host
    ("file:///etc/passwd", SLACK_API), ("", SLACK_API), (None, SLACK_API), ("https://[::1", SLACK_API),
])
def test_response_urls_refused(url, api_url):
    assert not response_url_allowed(url, api_url)


def test_file_urls():
    assert file_url_allowed("https://files.slack.com/files-pri/T0-F0/download/a.csv", SLACK_API)
    assert file_url_allowed("http://127.0.0.1:8800/files/F0/a.csv", SANDBOX_API)
    assert not file_url_allowed("http://files.slack.com/files-pri/T0-F0/a.csv", SLACK_API)  # downgrade
    assert not file_url_allowed("https://a.slack-edge.com/x.csv", SLACK_API)  # public CDN, not private files
    assert not file_url_allowed("https://hooks.slack.com/x.csv", SLACK_API)
    assert not file_url_allowed("https://evil.example/files/F0/a.csv", SANDBOX_API)


def test_not_yours_never_posts_to_a_foreign_response_url():
    """The someone-else's-button notice goes by chat.postEphemeral when the response_url is not Slack's."""
    from handlers.common import not_yours
    from tests.listener import Listener

    class Client:
        base_url = SLACK_API
        ephemerals: list[dict] = []

        def chat_postEphemeral(self, **kwargs):  # noqa: N802 - slack_sdk's name
            self.ephemerals.append(kwargs)

    listener, client = Listener(), Client()
    try:
        not_yours(client, {"response_url": f"{listener.url}/hook", "user": {"id": "U0LIN", "team_id": "T0"},
                           "channel": {"id": "C0GENERAL"}}, "quiz")
    finally:
        listener.close()
    assert listener.received == []
    assert [e["user"] for e in client.ephemerals] == ["U0LIN"]
