"""A fine-tune run's numbers as the tutor tells them: the facts a learner asks about (weakest class,
most-confused pair, gap to the TF-IDF baseline, whether validation loss rose) read from what the worker
stores in `job.result`, plus words that steer retrieval to the passages that explain them.

Labels come from the learner's data, so they are escaped (`bot.slack.escape`) before they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.slack import escape


@dataclass
class RunFacts:
    facts: list[str] = field(default_factory=list)
    terms: str = ""  # appended to the question for retrieval


def _num(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _classes(per_class) -> list[tuple[str, dict]]:
    if isinstance(per_class, dict):
        return [(str(label), scores) for label, scores in per_class.items() if isinstance(scores, dict)]
    if isinstance(per_class, list):
        return [(str(c.get("label")), c) for c in per_class if isinstance(c, dict)]
    return []


def run_facts(job_id: int, result: dict | None) -> RunFacts:
    """The run's facts, best first; none when the run has no result (failed or still running)."""
    if not isinstance(result, dict):
        return RunFacts()
    facts, terms = [], []
    metrics = result.get("metrics") or {}
    acc, f1 = _num(metrics.get("accuracy")), _num(metrics.get("macro_f1"))
    if acc is not None and f1 is not None:
        facts.append(f"Fine-tune #{job_id}: accuracy {_pct(acc)}, macro-F1 {_pct(f1)}.")
        if acc - f1 > 0.05:
            terms.append("macro-F1 lower than accuracy class imbalance")
    scored = [(label, _num(s.get("f1"))) for label, s in _classes(result.get("per_class"))]
    scored = [(label, value) for label, value in scored if value is not None]
    if len(scored) > 1:
        label, value = min(scored, key=lambda item: item[1])
        facts.append(f"Weakest class: *{escape(label)[:60]}* (F1 {value:.2f}).")
        terms.append("per-class F1 weakest class")
    pairs = [p for p in (result.get("confused_pairs") or []) if isinstance(p, dict)]
    if pairs:
        top = pairs[0]
        facts.append(f"Most-confused pair: *{escape(str(top.get('true')))[:60]}* read as "
                     f"*{escape(str(top.get('predicted')))[:60]}* ({top.get('count')} times).")
        terms.append("confusion matrix confused classes error analysis")
    baselines = result.get("baselines") or {}
    tfidf = baselines.get("tfidf_logreg") or baselines.get("tfidf") or {}
    base_f1 = _num(tfidf.get("macro_f1")) if isinstance(tfidf, dict) else None
    if f1 is not None and base_f1 is not None:
        gap = (f1 - base_f1) * 100
        facts.append(f"Gap to the TF-IDF baseline: {gap:+.1f} macro-F1 points "
                     + ("(the fine-tune beats it)." if gap > 0.5 else "(the fine-tune does *not* beat it)."))
        if gap <= 0.5:
            terms.append("baseline TF-IDF logistic regression")
    validation = ((result.get("training") or {}).get("loss_curve") or {}).get("validation") or []
    losses = [_num(point[1]) for point in validation if isinstance(point, (list, tuple)) and len(point) == 2]
    losses = [loss for loss in losses if loss is not None]
    if len(losses) >= 2:
        best = min(range(len(losses)), key=lambda i: losses[i])
        if losses[-1] > losses[best] + 1e-4:
            facts.append(f"Validation loss rose after its best ({losses[best]:.3f}) to {losses[-1]:.3f}: "
                         "a sign of overfitting (the best checkpoint was kept).")
            terms.append("overfitting validation loss rose early stopping")
        else:
            facts.append(f"Validation loss did not rise (last {losses[-1]:.3f}): no sign of overfitting.")
    return RunFacts(facts, " ".join(terms))
