"""`python -m sandbox`: run a sandbox workspace in the foreground."""

from __future__ import annotations

import argparse
import os

from sandbox.server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8800)
    parser.add_argument("--bot-url", default=os.environ.get("SANDBOX_BOT_URL"),
                        help="where to deliver commands and events, e.g. http://127.0.0.1:3000/slack/events")
    parser.add_argument("--signing-secret", default=os.environ.get("SLACK_SIGNING_SECRET", "sandbox-signing-secret"))
    parser.add_argument("--bot-token", default=os.environ.get("SLACK_BOT_TOKEN", "xoxb-sandbox-token"))
    args = parser.parse_args(argv)
    serve(host=args.host, port=args.port, bot_url=args.bot_url, signing_secret=args.signing_secret,
          bot_token=args.bot_token)


if __name__ == "__main__":
    main()
