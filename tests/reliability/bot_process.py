"""The bot in its own process (for SIGKILL rounds and load):
`python -m tests.reliability.bot_process DATA_DIR API_URL DATABASE_URL [TICK_SECONDS SENDS_PER_SECOND]`.

With TICK_SECONDS the drip scheduler runs on the wall clock (drip fan-out rounds); without it, no scheduler.
Prints `PORT <n>` once it listens, then serves until killed.
"""

from __future__ import annotations

import sys


def main(data_dir: str, api_url: str, database_url: str, tick_seconds: str | None = None,
         sends_per_second: str = "200") -> None:
    from bot.config import load_settings
    from bot.runtime import BotRuntime, health
    from bot.server import HTTPServer, TutorWSGI

    env = {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": "test-secret",
           "SLACK_API_URL": api_url, "TUTOR_DATA_DIR": data_dir, "DATABASE_URL": database_url}
    if tick_seconds:
        env["TUTOR_DRIP_TICK_SECONDS"] = tick_seconds
        env["TUTOR_DRIP_SENDING_TIMEOUT_SECONDS"] = "3"  # a killed send is looked up after 3 s
    settings = load_settings(env)
    runtime = BotRuntime(settings, start_scheduler=bool(tick_seconds),
                         sends_per_second=float(sends_per_second)).start()
    server = HTTPServer(TutorWSGI(runtime.app, health(runtime)), host="127.0.0.1", port=0, threads=4)
    print(f"PORT {server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:6])
