"""Where the bot may send things on a request's say-so: the one home for the host rules.

A `response_url` or a file's download URL arrives inside a payload. Posting to it, or sending the bot
token to it, on trust would let anyone who can shape a payload aim the bot at any host (blind SSRF, or
a stolen token). So only Slack's own hosts pass, over https, or else the origin of the configured Web API
(`SLACK_API_URL`: the sandbox in the demo and tests), which already receives the bot token on every call.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

HOOKS_HOST = "hooks.slack.com"  # every response_url Slack sends: https://hooks.slack.com/commands|actions/...
FILES_HOST = "files.slack.com"  # url_private / url_private_download of files hosted by Slack
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL without user info; None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except (ValueError, TypeError, AttributeError):
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def _allowed(url: str, slack_host: str, api_url: str | None) -> bool:
    origin = _origin(url) if isinstance(url, str) else None
    if origin is None:
        return False
    return origin == ("https", slack_host, 443) or (api_url is not None and origin == _origin(api_url))


def response_url_allowed(url: str, api_url: str | None) -> bool:
    """True for Slack's hooks host over https, or the configured Web API's own origin."""
    return _allowed(url, HOOKS_HOST, api_url)


def file_url_allowed(url: str, api_url: str | None) -> bool:
    """True for Slack's file host over https, or the configured Web API's own origin (the sandbox)."""
    return _allowed(url, FILES_HOST, api_url)


def send_to_response_url(url: str, api_url: str | None, text: str) -> bool:
    """Post an ephemeral `text` to `url` if the rules allow it; False (and a warning) if they do not."""
    if not response_url_allowed(url, api_url):
        log.warning("not posting to a response_url outside Slack's hooks host: %.80r", url)
        return False
    from slack_sdk.webhook import WebhookClient

    WebhookClient(url, timeout=10).send(text=text, response_type="ephemeral", replace_original=False)
    return True
