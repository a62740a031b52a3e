"""Train / validation / test splits: stratified, seeded, and without leaks. A given test file
is used as is (its texts are removed from training); otherwise a stratified test split is held
out. `per_class` caps training examples per class AFTER the test split, so the test set stays
the same whatever the cap."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

Pairs = tuple[list[str], list[str]]


@dataclass
class Splits:
    train: Pairs
    val: Pairs
    test: Pairs

    def sizes(self) -> dict:
        return {"train": len(self.train[0]), "validation": len(self.val[0]),
                "test": len(self.test[0])}


def make_splits(texts: list[str], labels: list[str], test: Pairs | None = None, *,
                seed: int = 42, test_fraction: float = 0.2, val_fraction: float = 0.1,
                per_class: int | None = None) -> Splits:
    if test is not None:
        held = set(test[0])
        pool = [(t, lab) for t, lab in zip(texts, labels) if t not in held]
        pool_texts, pool_labels = [p[0] for p in pool], [p[1] for p in pool]
        test_pairs = (list(test[0]), list(test[1]))
    else:
        pool_texts, pool_labels, test_texts, test_labels = _split(texts, labels, test_fraction, seed)
        test_pairs = (test_texts, test_labels)
    if per_class is not None:
        pool_texts, pool_labels = cap_per_class(pool_texts, pool_labels, per_class, seed)
    train_texts, train_labels, val_texts, val_labels = _split(
        pool_texts, pool_labels, val_fraction, seed + 1)
    return Splits((train_texts, train_labels), (val_texts, val_labels), test_pairs)


def cap_per_class(texts: list[str], labels: list[str], limit: int, seed: int) -> Pairs:
    """At most `limit` examples of each class, chosen at random (seeded), order kept."""
    by_class: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_class[label].append(i)
    rng = random.Random(seed)
    keep: set[int] = set()
    for indices in by_class.values():
        keep.update(rng.sample(indices, min(limit, len(indices))))
    chosen = sorted(keep)
    return [texts[i] for i in chosen], [labels[i] for i in chosen]


def _split(texts: list[str], labels: list[str], fraction: float, seed: int):
    """Stratified split (at least one held-out example per class where the class has 2+);
    a class with a single example stays in the first part."""
    by_class: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_class[label].append(i)
    rng = random.Random(seed)
    held: set[int] = set()
    for indices in by_class.values():
        if len(indices) < 2:
            continue
        n = min(len(indices) - 1, max(1, round(len(indices) * fraction)))
        held.update(rng.sample(indices, n))
    first = [i for i in range(len(texts)) if i not in held]
    second = [i for i in range(len(texts)) if i in held]
    rng.shuffle(first)
    return ([texts[i] for i in first], [labels[i] for i in first],
            [texts[i] for i in second], [labels[i] for i in second])
