"""Ranking passages for a question: BM25 (lexical), cosine of static MiniLM embeddings (semantic), or
both (hybrid). Scores are absolute, not rescaled per question, so one threshold can say "the course
does not cover this": BM25 is squashed to 0..1 by s / (s + BM25_HALF), cosine is used as is.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from bot.tutor.passages import Passage

WORD = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")
STOP = frozenset(
    "a an the of to in on for and or is are was were be been being it its this that these those i my me we our "
    "you your do does did doing can could should would will shall may might must with as at by from so if what "
    "why how when where which who whom whose there their them they he she his her have has had having not no but "
    "about into than then just very too also any some more most much many get got make made use used using "
    "one ones thing things way really still even ok okay please thanks hi hello hey".split())
K1, B = 1.2, 0.75
BM25_HALF = 4.0  # the BM25 score that maps to 0.5
HYBRID_WEIGHT = 0.5  # share of the semantic score in the hybrid one
MODES = ("lexical", "semantic", "hybrid")


def stem(word: str) -> str:
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + keep
    return word


def terms(text: str) -> list[str]:
    return [stem(w) for w in WORD.findall(text.lower()) if w not in STOP]


class BM25:
    def __init__(self, documents: list[list[str]]):
        self.n = len(documents)
        self.lengths = np.array([len(d) for d in documents], dtype=np.float32)
        self.avg = float(self.lengths.mean()) if self.n else 1.0
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for doc_id, document in enumerate(documents):
            for term, count in Counter(document).items():
                self.postings.setdefault(term, []).append((doc_id, count))
        self.idf = {t: math.log(1 + (self.n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    def scores(self, query: list[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float32)
        norm = K1 * (1 - B + B * self.lengths / self.avg)
        for term in set(query):
            for doc_id, count in self.postings.get(term, ()):
                out[doc_id] += self.idf[term] * count * (K1 + 1) / (count + norm[doc_id])
        return out


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    lexical: float
    semantic: float


class Retriever:
    def __init__(self, passages: list[Passage], embedder=None, vectors: np.ndarray | None = None):
        self.passages = passages
        self.embedder = embedder
        self.vectors = None
        if embedder is not None and vectors is not None and len(vectors):
            # Static embeddings of any two texts are alike (they share the common directions of the
            # vocabulary): centring on the course's mean keeps what sets a passage apart. Measured on
            # bench/tutor_qa.py: the off-topic questions separate far better (docs/benchmarks.md).
            self.mean = vectors.mean(0)
            self.vectors = _normalise(vectors - self.mean)
        self.bm25 = BM25([terms(f"{p.section}\n{p.text}") for p in passages])

    @property
    def semantic_ready(self) -> bool:
        return self.vectors is not None and len(self.vectors) == len(self.passages)

    def score(self, question: str, mode: str = "hybrid") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raw = self.bm25.scores(terms(question[:2000]))
        lexical = raw / (raw + BM25_HALF)
        if self.semantic_ready:
            query = self.embedder.encode([question[:2000]])[0]
            query = _normalise(query - self.mean) if query.any() else query
            semantic = np.clip(self.vectors @ query, 0, 1)
        else:
            semantic = np.zeros(len(self.passages), dtype=np.float32)
        if mode == "lexical" or not self.semantic_ready:
            combined = lexical
        elif mode == "semantic":
            combined = semantic
        else:
            combined = HYBRID_WEIGHT * semantic + (1 - HYBRID_WEIGHT) * lexical
        return combined, lexical, semantic

    def search(self, question: str, *, mode: str = "hybrid", k: int = 5, prefer_lesson: str | None = None,
               boost: float = 0.05) -> list[Hit]:
        combined, lexical, semantic = self.score(question, mode)
        if prefer_lesson:
            combined = combined + np.array([boost if p.lesson == prefer_lesson else 0.0 for p in self.passages],
                                           dtype=np.float32)
        order = np.argsort(-combined, kind="stable")[:k]
        return [Hit(self.passages[i], float(combined[i]), float(lexical[i]), float(semantic[i])) for i in order]

    def lessons(self, question: str, *, mode: str = "hybrid", k: int = 3) -> list[tuple[str, float]]:
        """The best lessons, each scored by its best passage."""
        combined, _, _ = self.score(question, mode)
        best: dict[str, float] = {}
        for index in np.argsort(-combined, kind="stable"):
            lesson = self.passages[index].lesson
            if lesson not in best:
                best[lesson] = float(combined[index])
                if len(best) == k:
                    break
        return list(best.items())


def _normalise(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)).astype(np.float32)
