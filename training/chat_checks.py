"""Automatic checks of generated answers against the house format and the reference answers.

`format` (the house format agreed for the sample set, content/datasets/support_chat.md): the first
line starts with `Hi there`, there are at least 2 consecutive numbered step lines starting at `1. `,
and the last non-empty line is `— Sam, Quillpad Support`. `rouge_l`: ROUGE-L F1 (longest common
subsequence of lower-cased word tokens) to the reference answer, written here (40 lines) rather than
pulled in with `evaluate`, which fetches metric code from a hub. `length`: the answer's words.
Pure Python.
"""

from __future__ import annotations

import re
from statistics import mean

GREETING = "Hi there"
SIGN_OFF = "— Sam, Quillpad Support"
CHECK_NAMES = ("format", "rouge_l", "length")
_STEP = re.compile(r"^(\d+)\.\s")
_WORD = re.compile(r"\w+", re.UNICODE)


def follows_format(answer: str) -> bool:
    """The house format (see module doc)."""
    lines = [line.strip() for line in answer.strip().splitlines()]
    non_empty = [line for line in lines if line]
    if not non_empty or not non_empty[0].startswith(GREETING) or non_empty[-1] != SIGN_OFF:
        return False
    return _longest_step_run(non_empty) >= 2


def _longest_step_run(lines: list[str]) -> int:
    """The longest run of consecutive lines numbered 1., 2., 3., ... starting at 1."""
    best = run = 0
    for line in lines:
        match = _STEP.match(line)
        number = int(match.group(1)) if match else None
        if number == run + 1 and (run > 0 or number == 1):
            run += 1
        else:
            run = 1 if number == 1 else 0
        best = max(best, run)
    return best


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 over word tokens (beta = 1): 2PR / (P + R) with P, R = LCS / lengths."""
    cand, ref = tokens(candidate), tokens(reference)
    if not cand or not ref:
        return 0.0
    lcs = _lcs_length(cand, ref)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(cand), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


def _lcs_length(a: list[str], b: list[str]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def word_count(text: str) -> int:
    return len(text.split())


def check_answer(answer: str, reference: str) -> dict:
    """The three checks for one answer."""
    return {"format": follows_format(answer), "rouge_l": round(rouge_l(answer, reference), 4),
            "length": word_count(answer)}


def summarise(answers: list[str], references: list[str]) -> dict:
    """Over all held-out prompts: `format` is the share that follows the house format, `rouge_l` the
    mean ROUGE-L, `length` the mean length in words (the references' mean is `reference_length`)."""
    if not answers:
        return {"format": 0.0, "rouge_l": 0.0, "length": 0.0, "format_count": 0, "prompts": 0}
    checks = [check_answer(a, r) for a, r in zip(answers, references)]
    passed = sum(c["format"] for c in checks)
    return {"format": round(passed / len(checks), 4), "format_count": passed, "prompts": len(checks),
            "rouge_l": round(mean(c["rouge_l"] for c in checks), 4),
            "length": round(mean(c["length"] for c in checks), 1),
            "reference_length": round(mean(word_count(r) for r in references), 1)}


def compare(base: dict, tuned: dict) -> dict:
    """`{"format": {"base": x, "tuned": y}, "rouge_l": ..., "length": ...}` (what `--json` prints)."""
    return {name: {"base": base[name], "tuned": tuned[name]} for name in CHECK_NAMES}
