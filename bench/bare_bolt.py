"""The baseline for bench/bot.py: a bare Bolt app that acks `/lesson` and any action with nothing,
served by the tutor's own stack (waitress + Bolt's WSGI adapter) so only the app's work differs."""

from __future__ import annotations

import re
import sys

from slack_bolt import App
from slack_sdk import WebClient

from bot.server import HTTPServer, TutorWSGI


def build_app(signing_secret: str, api_url: str) -> App:
    """The client points at the sandbox, like the bot's, so Bolt's one auth.test stays local."""
    client = WebClient(token="xoxb-bench-token", base_url=api_url)
    app = App(signing_secret=signing_secret, client=client, token_verification_enabled=False)

    @app.command(re.compile(".*"))
    def any_command(ack):
        ack()

    @app.action(re.compile(".*"))
    def any_action(ack):
        ack()

    return app


if __name__ == "__main__":
    secret, api_url = sys.argv[1], sys.argv[2]
    server = HTTPServer(TutorWSGI(build_app(secret, api_url)), host="127.0.0.1", port=0)
    print(server.url, flush=True)
    server.serve_forever()
