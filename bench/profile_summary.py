"""Where the bot's threads spent a load run, from a py-spy profile (`bench.load --profile DIR`).

py-spy's raw format is one collapsed stack per line (`thread (id): name;frame;frame... samples`), idle
samples included. Threads are grouped by name (waitress's request threads, Bolt's listener pool or the
after-ack pool, ...); each sample is put in the first category whose marker appears in its stack, so the
table says, per group of threads, what share of their time went to waiting for an ack, the Web API, the
database, and so on.

    .venv/bin/python -m bench.profile_summary /tmp/profiles/load-run1-sqlite.txt
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict

# (category, markers): the first category with a marker in the stack wins, so order matters
CATEGORIES = [
    ("ack: waiting for a listener thread (Bolt's poll loop)", ("thread_runner.py:163", "thread_runner.py:164")),
    ("Web API call (HTTP to Slack)", ("slack_sdk/web/",)),
    ("response_url POST", ("send_to_response_url",)),
    ("database", ("sqlalchemy/", "sqlite3", "psycopg")),
    ("request signature check", ("signature",)),
]
# a thread whose innermost frame is one of these is waiting for something to do
IDLE_LEAVES = ("_worker (concurrent/futures/thread.py", "Condition.wait (threading.py", "poll (waitress/wasyncore.py",
               "Event.wait (threading.py", "get (queue.py")
THREAD = re.compile(r"^thread \([^)]*\): ([^;]*?)(?:[_-]\d+)?;")


def summarise(path: str) -> dict[str, Counter]:
    groups: dict[str, Counter] = defaultdict(Counter)
    with open(path) as lines:
        for line in lines:
            stack, _, count = line.rstrip().rpartition(" ")
            match = THREAD.match(stack)
            group = match.group(1) if match else "?"
            leaf = stack.rsplit(";", 1)[-1]
            category = next((name for name, markers in CATEGORIES if any(m in stack for m in markers)), None)
            if category is None:
                category = "idle: waiting for work" if leaf.startswith(IDLE_LEAVES) else "other Python"
            groups[group][category] += int(count)
    return groups


def main() -> None:
    for path in sys.argv[1:]:
        print(path)
        for group, counts in sorted(summarise(path).items(), key=lambda kv: -sum(kv[1].values())):
            total = sum(counts.values())
            print(f"  {group} ({total} samples)")
            for category, n in counts.most_common():
                print(f"    {100 * n / total:5.1f}%  {category}")


if __name__ == "__main__":
    main()
