"""Toy labelled data written by the tests themselves (never copied from shared data sets)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

TOPICS = {
    "sports": ["goal", "match", "team", "score", "coach", "league"],
    "weather": ["rain", "sunny", "cloud", "storm", "wind", "snow"],
    "food": ["pizza", "pasta", "salad", "bread", "cheese", "soup"],
}
FILLER = ["the", "a", "today", "we", "saw", "some", "very", "and", "it", "was"]


def toy_rows(per_class: int, seed: int = 0) -> list[tuple[str, str]]:
    """Short texts whose topic words give away the label: learnable in a few epochs."""
    rng = random.Random(seed)
    rows = []
    for label, words in TOPICS.items():
        for i in range(per_class):
            tokens = [rng.choice(words) for _ in range(3)]
            tokens += [rng.choice(FILLER) for _ in range(rng.randint(2, 8))]
            rng.shuffle(tokens)
            rows.append((" ".join(tokens) + f" {i}", label))
    return rows


def write_csv(path: Path, rows, header=("text", "label")) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path
