"""The bot in its own process (for SIGKILL rounds): `python -m tests.reliability.bot_process DATA_DIR API_URL`.

Prints `PORT <n>` once it listens, then serves until killed.
"""

from __future__ import annotations

import sys


def main(data_dir: str, api_url: str, database_url: str) -> None:
    from bot.config import load_settings
    from bot.runtime import BotRuntime, health
    from bot.server import HTTPServer, TutorWSGI

    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": "test-secret",
                              "SLACK_API_URL": api_url, "TUTOR_DATA_DIR": data_dir, "DATABASE_URL": database_url})
    runtime = BotRuntime(settings, start_scheduler=False, sends_per_second=200).start()
    server = HTTPServer(TutorWSGI(runtime.app, health(runtime)), host="127.0.0.1", port=0, threads=4)
    print(f"PORT {server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:4])
