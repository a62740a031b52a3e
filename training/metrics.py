"""Held-out scores a learner can act on: accuracy and macro-F1, per-class precision/recall/F1,
the confusion matrix, and the most-confused pairs with a few misclassified examples each."""

from __future__ import annotations


def classification_metrics(y_true: list[str], y_pred: list[str], labels: list[str],
                           texts: list[str] | None = None, top_pairs: int = 5,
                           examples_per_pair: int = 3) -> dict:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, \
        precision_recall_fscore_support

    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0)
    matrix = confusion_matrix(y_true, y_pred, labels=labels).tolist()
    per_class = [{"label": label, "precision": round(float(p), 4), "recall": round(float(r), 4),
                  "f1": round(float(f), 4), "support": int(s)}
                 for label, p, r, f, s in zip(labels, precision, recall, f1, support)]
    return {
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=labels, average="macro",
                                         zero_division=0)), 4),
        "per_class": per_class,
        "confusion": {"labels": list(labels), "matrix": matrix},
        "confused_pairs": confused_pairs(y_true, y_pred, texts, top_pairs, examples_per_pair),
    }


def confused_pairs(y_true: list[str], y_pred: list[str], texts: list[str] | None,
                   top: int = 5, examples: int = 3) -> list[dict]:
    """The (true, predicted) pairs most often mixed up, most frequent first."""
    pairs: dict[tuple[str, str], list[int]] = {}
    for i, (truth, guess) in enumerate(zip(y_true, y_pred)):
        if truth != guess:
            pairs.setdefault((truth, guess), []).append(i)
    ranked = sorted(pairs.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:top]
    return [{"true": truth, "predicted": guess, "count": len(idx),
             "examples": [texts[i] for i in idx[:examples]] if texts else []}
            for (truth, guess), idx in ranked]
