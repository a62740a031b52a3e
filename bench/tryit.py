""""Try it" latency (issue 14): from the learner's submit to the modal showing the prediction.

Real pieces: the sandbox workspace (in this process, playing Slack and the learner), the bot as Slack
hosts it (`tutor run --http --no-worker`, a subprocess) and a worker (`tutor worker`, another), on
SQLite and the SQLite queue as `tutor run` starts without REDIS_URL (`--redis URL` for the Redis
queue). The learner trains one small classifier with /finetune, opens Try it on the results message
and submits a sentence `--tries` times, pausing between tries as a person typing would (pauses drawn
uniformly from `--pauses MIN,MAX` seconds, seeded: the queue's polling makes the wait depend on the
pause, so fixed pauses would sample only a few phases of it). Latency is submit → the sandbox's journal entry for the worker's
`views.update` carrying that sentence's prediction. The first try (the worker loads the model) is
reported apart from the warm ones.

While the fine-tune trains, the tutor's retrieval latency is measured in this process with
bench.tutor_qa's function (the bot's torch-free retriever, with a training run using the cores
beside it, as on a bot host that also runs a worker).

    .venv/bin/python -m bench.tryit                       # tiny model, 20 tries, about 3 minutes
    .venv/bin/python -m bench.tryit --model minilm --tries 20 --redis redis://127.0.0.1:6379/2
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bot import REPO, SECRET, TOKEN, bot_env, start_bot
from bench.targets import finish, percentile
from bot.processes import stop_process
from sandbox.driver import Workspace

LEARNER = "U0LIN"
GOAL_WARM_P95_S = 1.5
GOAL_RETRIEVAL_P95_MS = 300
SENTENCES = ["I was charged twice for my subscription", "The app crashes when I open settings",
             "How do I change the email on my account", "My parcel has not arrived yet",
             "I love the new dark mode, thanks", "Please refund the duplicate payment"]


def start_worker(env: dict, log_path: Path) -> subprocess.Popen:
    """`tutor worker` joined to the bench's bot through the same data dir, database and queue."""
    log = open(log_path, "wb")  # a file, not a pipe: a full pipe would stall the worker
    return subprocess.Popen([sys.executable, "-m", "bot", "worker"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=log)


def dm(ws: Workspace) -> list[dict]:
    return [m for m in ws.messages(ws.dm_channel(LEARNER)) if not m.get("is_ephemeral")]


def train(ws: Workspace, model: str, on_running) -> dict:
    """/finetune and wait for the results message (it carries the Try it button)."""
    started = time.perf_counter()
    args = f"data=support_tickets model={model} epochs=1 per_class=20" + (" method=frozen" if model != "tiny" else "")
    assert ws.slash(LEARNER, "/finetune", args).status == 200
    ws.wait_for(lambda: any("running" in json.dumps(e["args"]) for e in ws.journal("chat.update")), timeout=120,
                message="the fine-tune to start")
    on_running()
    results = ws.wait_for(lambda: [m for m in dm(ws) if ": accuracy" in m.get("text", "")], timeout=600,
                          message="the results message")
    print(f"fine-tune: {args} → {results[-1]['text'][:60]!r} in {time.perf_counter() - started:.1f} s")
    return results[-1]


def try_once(ws: Workspace, view_id: str, text: str, timeout: float = 60.0) -> float:
    """Submit `text` in the open Try it modal; seconds until the worker's views.update shows its prediction."""
    seen = len(ws.journal("views.update"))
    submitted = time.time()
    delivery = ws.submit_view(LEARNER, view_id, {"text": text})
    assert delivery.status == 200, delivery.status

    def answered() -> dict | None:
        for entry in ws.journal("views.update")[seen:]:
            body = json.dumps(entry["args"])
            if "Prediction:" in body and text in body:
                return entry
        return None

    entry = ws.wait_for(answered, timeout=timeout, interval=0.005, message=f"the prediction for {text!r}")
    return entry["time"] - submitted


def retrieval_p95_ms() -> tuple[float, float, int]:
    """The tutor's retrieval latency (hybrid, as the bot answers), via bench.tutor_qa's own function."""
    from bench.tutor_qa import load_set, retrieval_latencies_ms
    from bot.course.loader import default_content_dir
    from bot.tutor.index import TutorIndex

    in_scope, off_topic = load_set()
    with tempfile.TemporaryDirectory() as scratch:
        index = TutorIndex.open(default_content_dir(), Path(scratch))
    mode = "hybrid" if index.semantic else "lexical"
    if not index.semantic:
        print("no token table: retrieval measured lexical only (run `tutor lessons index` once)", file=sys.stderr)
    latencies = retrieval_latencies_ms(index.retriever, mode, [q["q"] for q in in_scope] + off_topic, rounds=3)
    return percentile(latencies, 0.5), percentile(latencies, 0.95), len(latencies)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=20, help="warm tries after the first")
    parser.add_argument("--pauses", default="1,10", help="MIN,MAX seconds between tries (a learner typing)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--model", default="tiny", help="tiny (random 2-layer BERT) or minilm (frozen)")
    parser.add_argument("--redis", default=None, help="run the queues on this Redis URL instead of SQLite")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    low, high = (float(p) for p in args.pauses.split(","))
    draw = random.Random(args.seed)
    pauses = [draw.uniform(low, high) for _ in range(args.tries)]
    thirds = [low + (high - low) * k / 3 for k in range(4)]  # the table splits the tries by pause
    queue = "Redis" if args.redis else "SQLite"
    if args.redis:
        import redis

        redis.Redis.from_url(args.redis).flushdb()
    ws = Workspace(signing_secret=SECRET, bot_token=TOKEN).start()
    retrieval: tuple[float, float, int] | None = None
    with tempfile.TemporaryDirectory() as data_dir:
        extra = {"TUTOR_PREDICTIONS_PER_MINUTE": "1000", **({"REDIS_URL": args.redis} if args.redis else {})}
        bot, bot_url, _cold = start_bot(ws.api_url, data_dir, **extra)
        worker = start_worker(bot_env(ws.api_url, data_dir, **extra), Path(data_dir) / "worker.log")
        ws.bot_url = f"{bot_url}/slack/events"
        try:
            def measure_retrieval() -> None:
                nonlocal retrieval
                retrieval = retrieval_p95_ms()

            results = train(ws, args.model, measure_retrieval)
            assert ws.click(LEARNER, results, "finetune_try").status == 200
            view_id = ws.wait_for(lambda: ws.open_views(LEARNER), message="the Try it modal")[-1]["id"]
            first = try_once(ws, view_id, f"{SENTENCES[0]} (first)", timeout=120)
            warm = []
            for i, pause in enumerate(pauses):
                time.sleep(pause)
                warm.append(try_once(ws, view_id, f"{SENTENCES[i % len(SENTENCES)]} ({i})"))
        finally:
            for proc in (worker, bot):
                stop_process(proc)
            ws.stop()
    print(f"model: {args.model}; queue: {queue}; {args.tries} warm tries, pauses {low:g}-{high:g} s (seed {args.seed})")
    print(f"first try (worker loads the model): {first:.3f} s; bench wall time {time.perf_counter() - began:.0f} s")
    print(f"{'tries':<16} {'n':>3} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
    rows = [("warm, all", warm)] + [(f"pause {a:.1f}-{b:.1f} s", [w for w, p in zip(warm, pauses) if a <= p <= b])
                                    for a, b in zip(thirds, thirds[1:])]
    for name, values in rows:
        if not values:
            continue
        print(f"{name:<16} {len(values):>3} {percentile(values, 0.5):>7.3f} {percentile(values, 0.95):>7.3f} "
              f"{max(values):>7.3f}")
    p95 = percentile(warm, 0.95)
    targets = [("tryit_warm_p95_s", p95, f"<= {GOAL_WARM_P95_S}", p95 <= GOAL_WARM_P95_S)]
    if retrieval is not None:
        r50, r95, n = retrieval
        print(f"tutor retrieval while the fine-tune trained: {n} questions, p50 {r50:.2f} ms, p95 {r95:.2f} ms")
        targets.append(("tutor_retrieval_p95_ms", r95, f"<= {GOAL_RETRIEVAL_P95_MS}", r95 <= GOAL_RETRIEVAL_P95_MS))
    finish(targets)


if __name__ == "__main__":
    main()
