"""Ask the tutor (issue 15): retrieval quality and latency on the evaluation set bench/tutor_qa.yaml.

For lexical only (BM25), semantic only (static MiniLM embeddings) and hybrid, it prints recall@1 and
recall@3 by lesson (a question counts when a lesson that answers it is among the first k lessons), the
share of off-topic questions declined (best score under the relevance threshold), and the latency of
one question in the bot process (embedding + scoring, index warm), p50/p95. The in-scope share of the
in-scope questions is printed too: a question wrongly declined is a miss for the learner.

    .venv/bin/python -m bench.tutor_qa            # needs the index: `tutor lessons index` once
    .venv/bin/python -m bench.tutor_qa --quick    # 2 latency rounds instead of 5
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench.targets import finish, percentile

DATA = Path(__file__).with_name("tutor_qa.yaml")


def load_set() -> tuple[list[dict], list[str]]:
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return data["in_scope"], data["off_topic"]


def retrieval_latencies_ms(retriever, mode: str, questions: list[str], rounds: int) -> list[float]:
    """One question's retrieval as the bot answers it (embedding + scoring, top 3), in ms, each
    question `rounds` times; also used by bench.tryit with a worker busy beside it."""
    latencies = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            retriever.search(question, mode=mode, k=3)
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def evaluate(index, mode: str, in_scope: list[dict], off_topic: list[str], rounds: int) -> dict:
    from bot.tutor.answer import threshold_for

    retriever, threshold = index.retriever, threshold_for(mode)
    r1 = r3 = kept = 0
    misses = []
    for item in in_scope:
        ranked = retriever.lessons(item["q"], mode=mode, k=3)
        lessons = [lesson for lesson, _ in ranked]
        r1 += lessons[:1][0] in item["lessons"] if lessons else 0
        hit3 = any(lesson in item["lessons"] for lesson in lessons)
        r3 += hit3
        kept += bool(ranked) and ranked[0][1] >= threshold
        if not hit3:
            misses.append((item["q"], lessons))
    declined = sum(1 for q in off_topic if (retriever.lessons(q, mode=mode, k=1) or [("", 0.0)])[0][1] < threshold)
    latencies = retrieval_latencies_ms(retriever, mode, [item["q"] for item in in_scope] + off_topic, rounds)
    n = len(in_scope)
    return {"recall@1": r1 / n, "recall@3": r3 / n, "answered": kept / n, "declined": declined / len(off_topic),
            "p50_ms": percentile(latencies, 0.5), "p95_ms": percentile(latencies, 0.95), "misses": misses}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 latency rounds instead of 5")
    parser.add_argument("--misses", action="store_true", help="list the questions missed at 3 (hybrid)")
    args = parser.parse_args(argv)
    from bot.course.loader import default_content_dir
    from bot.tutor.index import TutorIndex

    in_scope, off_topic = load_set()
    with tempfile.TemporaryDirectory() as scratch:
        index = TutorIndex.open(default_content_dir(), Path(scratch))
    if not index.semantic:
        print("no token table: run `tutor lessons index` first", file=sys.stderr)
    print(f"{len(in_scope)} in-scope questions, {len(off_topic)} off-topic, {len(index.passages)} passages")
    print(f"{'mode':<9} {'recall@1':>8} {'recall@3':>8} {'answered':>8} {'declined':>8} {'p50 ms':>7} {'p95 ms':>7}")
    results = {}
    for mode in ("lexical", "semantic", "hybrid"):
        r = results[mode] = evaluate(index, mode, in_scope, off_topic, 2 if args.quick else 5)
        print(f"{mode:<9} {r['recall@1']:>8.3f} {r['recall@3']:>8.3f} {r['answered']:>8.3f} {r['declined']:>8.3f} "
              f"{r['p50_ms']:>7.2f} {r['p95_ms']:>7.2f}")
    if args.misses:
        for question, lessons in results["hybrid"]["misses"]:
            print(f"  miss: {question!r} → {lessons}")
    hybrid = results["hybrid"]
    finish([("hybrid_recall_at_3", hybrid["recall@3"], ">= 0.95", hybrid["recall@3"] >= 0.95),
            ("hybrid_offtopic_declined", hybrid["declined"], ">= 0.9", hybrid["declined"] >= 0.9),
            ("hybrid_p95_ms", hybrid["p95_ms"], "<= 300", hybrid["p95_ms"] <= 300)])


if __name__ == "__main__":
    main()
