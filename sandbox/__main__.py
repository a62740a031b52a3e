"""`python -m sandbox`: run a sandbox workspace in the foreground."""

from __future__ import annotations

import argparse
import os
import sys

from sandbox.server import serve

PUBLIC_WARNING = ("WARNING: --public: the sandbox has no login; anyone who can reach this port can act as any "
                  "person in it and point its deliveries at any URL.")


def parse(argv: list[str] | None = None, env: dict | None = None) -> argparse.Namespace:
    """The options; the secrets come from SANDBOX_* variables or made-up defaults, never from a real
    app's SLACK_SIGNING_SECRET / SLACK_BOT_TOKEN (a sandbox would otherwise sign with production's)."""
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on; loopback only unless --public (default 127.0.0.1)")
    parser.add_argument("--public", action="store_true",
                        help="allow a non-loopback --host and any Host header (no login: anyone who reaches "
                             "the port drives the sandbox)")
    parser.add_argument("--port", type=int, default=8800)
    parser.add_argument("--bot-url", default=env.get("SANDBOX_BOT_URL"),
                        help="where to deliver commands and events, e.g. http://127.0.0.1:3000/slack/events")
    parser.add_argument("--signing-secret", default=env.get("SANDBOX_SIGNING_SECRET", "sandbox-signing-secret"),
                        help="signs deliveries (default: $SANDBOX_SIGNING_SECRET or a made-up one)")
    parser.add_argument("--bot-token", default=env.get("SANDBOX_BOT_TOKEN", "xoxb-sandbox-token"),
                        help="the bot token the Web API accepts (default: $SANDBOX_BOT_TOKEN or a made-up one)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.public:
        print(PUBLIC_WARNING, file=sys.stderr, flush=True)
    try:
        serve(host=args.host, port=args.port, bot_url=args.bot_url, signing_secret=args.signing_secret,
              bot_token=args.bot_token, public=args.public)
    except ValueError as error:
        sys.exit(f"python -m sandbox: {error}")


if __name__ == "__main__":
    main()
