"""Bot ack latency, throughput, memory and cold start (issue 8), against a bare Bolt app on the same stack.

Both servers run as subprocesses; this process plays Slack: the sandbox workspace (for the bot's Web API
calls) and N client threads posting signed `/lesson help` commands and quiz clicks straight at the
server, half each. Latency is request-to-response (the ack), throughput completed requests per second.

    .venv/bin/python -m bench.bot [--seconds 4] [--clients 1,10,50]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import psutil
import requests

from bench.targets import finish, percentile
from bot.processes import stop_process
from sandbox.driver import Workspace
from sandbox.responseurls import new_response_url
from sandbox.signing import signed_headers

SECRET = "bench-secret"
TOKEN = "xoxb-bench-token"
ACK_TIMEOUT_S = 10.0
REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bot_env(api_url: str, data_dir: str, database_url: str | None = None, **extra: str) -> dict:
    """The environment of a bench's bot (and of its worker, which joins it through the same data dir,
    database and queue): the sandbox as Slack, SQLite in `data_dir` unless a `database_url` is given."""
    env = dict(os.environ, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api_url,
               TUTOR_DATA_DIR=data_dir, TUTOR_LOG_LEVEL="WARNING")
    for name in ("SLACK_APP_TOKEN", "DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def start_bot(api_url: str, data_dir: str, database_url: str | None = None, **extra: str) -> tuple[subprocess.Popen, str, float]:
    """`tutor run --http --no-worker` as Slack would host it (see `bot_env`; `extra` adds settings);
    returns (process, url, cold start seconds)."""
    port = free_port()
    env = bot_env(api_url, data_dir, database_url, **extra)
    log = open(Path(data_dir) / "bot.log", "wb")  # a file, not a pipe: a full pipe would stall the bot
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--http", "--no-worker", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"bot exited: {(Path(data_dir) / 'bot.log').read_text()[-2000:]}")
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url, time.perf_counter() - started
        except requests.ConnectionError:
            pass
        time.sleep(0.01)


def start_bare(api_url: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "bench.bare_bolt", SECRET, api_url], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return proc, proc.stdout.readline().strip()


def slash_body(user: str, response_url: str) -> bytes:
    return urlencode({"token": "x", "team_id": "T0SANDBOX", "team_domain": "sandbox", "channel_id": "C0GENERAL",
                      "channel_name": "general", "user_id": user, "user_name": user, "command": "/lesson",
                      "text": "help", "api_app_id": "A0TUTOR", "response_url": response_url,
                      "trigger_id": f"trig-{user}"}).encode()


def click_body(user: str, response_url: str) -> bytes:
    value = json.dumps({"l": "1.1", "q": "reviews_5000", "c": 0, "u": user})
    payload = {"type": "block_actions", "team": {"id": "T0SANDBOX", "domain": "sandbox"},
               "user": {"id": user, "username": user, "team_id": "T0SANDBOX"}, "api_app_id": "A0TUTOR",
               "token": "x", "trigger_id": f"trig-{user}", "channel": {"id": "D0" + user, "name": "directmessage"},
               "container": {"type": "message", "message_ts": "1.000001", "channel_id": "D0" + user},
               "message": {"type": "message", "ts": "1.000001", "text": "quiz", "blocks": []},
               "response_url": response_url,
               "actions": [{"type": "button", "action_id": "quiz_answer_0", "block_id": "quiz",
                            "value": value, "action_ts": "1.1"}]}
    return urlencode({"payload": json.dumps(payload)}).encode()


def load(ws: Workspace, url: str, clients: int, seconds: float) -> dict:
    """`clients` threads post back to back for `seconds`; alternating commands and quiz clicks, each
    with a fresh sandbox response_url as Slack gives (so the bot's follow-ups land somewhere real)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(index: int) -> None:
        user = f"UBENCH{index:03d}"
        session = requests.Session()
        mine, n = [], 0
        while time.perf_counter() < deadline:
            response_url = new_response_url(ws.state, "C0GENERAL", user)
            body = (slash_body if n % 2 == 0 else click_body)(user, response_url)
            n += 1
            headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(SECRET, body)}
            t0 = time.perf_counter()
            try:
                ok = session.post(f"{url}/slack/events", data=body, headers=headers,
                                  timeout=ACK_TIMEOUT_S).status_code == 200
            except requests.Timeout:
                ok = False  # Slack gives up at 3 s and shows the user an error
            mine.append(time.perf_counter() - t0)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"clients": clients, "requests": len(latencies), "errors": errors[0],
            "p50_ms": 1000 * percentile(latencies, 0.5), "p99_ms": 1000 * percentile(latencies, 0.99),
            "rps": len(latencies) / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="load duration per level")
    parser.add_argument("--clients", default="1,10,50")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    ws = Workspace(signing_secret=SECRET, bot_token=TOKEN).start()
    with tempfile.TemporaryDirectory() as data_dir:
        bot, bot_url, cold_start = start_bot(ws.api_url, data_dir)
        bare, bare_url = start_bare(ws.api_url)
        ws.bot_url = f"{bot_url}/slack/events"
        for index in range(max(levels)):
            ws.add_user(f"UBENCH{index:03d}", f"bench{index}")
        try:
            rows = []
            for clients in levels:
                for name, url in (("bot", bot_url), ("bare", bare_url)):
                    load(ws, url, clients, 0.5)  # warm-up: connections, lazy imports
                    rows.append({"app": name, **load(ws, url, clients, args.seconds)})
            time.sleep(1.0)  # let the bot's lazy listeners finish before reading memory
            rss_mb = psutil.Process(bot.pid).memory_info().rss / 1e6
        finally:
            for proc in (bot, bare):
                stop_process(proc)
            ws.stop()
    print(f"{'app':5} {'clients':>7} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")
    for row in rows:
        print(f"{row['app']:5} {row['clients']:>7} {row['requests']:>8} {row['errors']:>6} "
              f"{row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['rps']:>8.1f}")
    print(f"bot RSS after load: {rss_mb:.1f} MB; cold start (spawn to /healthz 200): {cold_start:.2f} s")
    top = max(levels)
    bot_top = next(r for r in rows if r["app"] == "bot" and r["clients"] == top)
    bare_top = next(r for r in rows if r["app"] == "bare" and r["clients"] == top)
    ratio = bot_top["rps"] / bare_top["rps"]
    vs_bare = bot_top["p99_ms"] / bare_top["p99_ms"]
    finish([  # issue 14: against the bare app of the same run, and absolute
        (f"p99_ack_vs_bare_at_{top}_clients", vs_bare, "<= 2x bare p99, same run", vs_bare <= 2),
        (f"p99_ack_ms_at_{top}_clients", bot_top["p99_ms"], "<= 1000", bot_top["p99_ms"] <= 1000),
        ("throughput_vs_bare", ratio, ">= 0.8", ratio >= 0.8),
        ("rss_mb", rss_mb, "<= 150", rss_mb <= 150),
        ("cold_start_s", cold_start, "<= 2", cold_start <= 2),
        ("errors", sum(r["errors"] for r in rows), "== 0", all(r["errors"] == 0 for r in rows)),
    ])


if __name__ == "__main__":
    main()
