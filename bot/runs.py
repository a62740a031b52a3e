"""A learner's runs read back from their job rows, and the comparison of two to four of them.

Plain functions of `job.request` and `job.result` (what `training.trainer.TrainResult.to_dict()` stores):
no database, no Slack. The summary sentences of a comparison come from the rules below, each a function
that returns a sentence built only from the numbers in the rows, or None when it does not apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from training.config import DEFAULT_BATCH, DEFAULT_EPOCHS, learning_rate_for
from training.registry import DEFAULT_MODEL

MIN_COMPARE, MAX_COMPARE = 2, 4
TIE = 0.005  # macro-F1 / accuracy differences below half a point are noise on these test sets
OVERFIT_RISE = 0.10  # validation loss 10% above its best, after the best epoch: overfitting
MAX_SENTENCES = 2

# (label, request key): the settings a learner chooses; `lr` is read as the rate the run used.
SETTINGS = (("data", "data"), ("model", "model"), ("method", "method"), ("epochs", "epochs"),
            ("lr", "lr"), ("batch", "batch_size"), ("per class", "per_class"))
DEFAULTS = {"model": DEFAULT_MODEL, "method": "full", "epochs": DEFAULT_EPOCHS, "lr": None,
            "batch_size": DEFAULT_BATCH, "per_class": None}


def _num(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


@dataclass
class Run:
    """One run as a learner reads it in a list or a comparison."""

    id: int
    state: str
    data: str  # the sample or hub name, or "upload"
    task: str
    method: str
    request: dict
    accuracy: float | None = None
    macro_f1: float | None = None
    tfidf_accuracy: float | None = None
    tfidf_macro_f1: float | None = None
    seconds: float | None = None
    per_class_f1: dict[str, float] = field(default_factory=dict)
    val_curve: list[tuple[float, float]] = field(default_factory=list)

    @property
    def lr(self) -> float | None:
        try:
            return learning_rate_for(self.method, self.request.get("lr"))
        except KeyError:
            return None

    @property
    def gap(self) -> float | None:
        """Macro-F1 above (or below) the TF-IDF baseline on the same test split."""
        if self.macro_f1 is None or self.tfidf_macro_f1 is None:
            return None
        return self.macro_f1 - self.tfidf_macro_f1

    def setting(self, key: str):
        if key == "lr":
            return self.lr
        if key == "data":
            return self.data
        return self.request.get(key)

    def changed_settings(self) -> dict[str, object]:
        """The settings this run chose that differ from `/finetune`'s defaults (label → value)."""
        changed = {}
        for label, key in SETTINGS:
            if key == "data":
                continue
            value = self.request.get(key)
            if key in DEFAULTS and value is not None and value != DEFAULTS[key]:
                changed[label] = value
        return changed

    @property
    def best_val(self) -> tuple[float, float] | None:
        """(epoch, loss) of the lowest validation loss."""
        return min(self.val_curve, key=lambda p: p[1]) if self.val_curve else None

    def overfit(self) -> tuple[float, float, float, float] | None:
        """(best epoch, best loss, last epoch, last loss) when validation loss rose past OVERFIT_RISE
        after its best epoch; None otherwise."""
        best = self.best_val
        if best is None:
            return None
        last = self.val_curve[-1]
        if last[0] > best[0] and last[1] > best[1] * (1 + OVERFIT_RISE):
            return best[0], best[1], last[0], last[1]
        return None


def run_from_job(job) -> Run:
    request = job.request or {}
    result = job.result or {}
    metrics = result.get("metrics") or {}
    tfidf = (result.get("baselines") or {}).get("tfidf_logreg") or {}
    timings = result.get("timings") or {}
    per_class = result.get("per_class") or []
    rows = per_class.items() if isinstance(per_class, dict) else ((c.get("label"), c) for c in per_class
                                                                    if isinstance(c, dict))
    curve = (((result.get("training") or {}).get("loss_curve") or {}).get("validation")) or []
    seconds = _num(timings.get("total_seconds"))
    if seconds is None and job.started_at and job.finished_at:
        seconds = (job.finished_at - job.started_at).total_seconds()
    return Run(
        id=job.id, state=job.state, request=request,
        data="upload" if request.get("data_kind") == "upload" else str(request.get("data", "?")),
        task="chat" if request.get("task") == "chat" else "classification", method=str(request.get("method", "full")),
        accuracy=_num(metrics.get("accuracy")), macro_f1=_num(metrics.get("macro_f1")),
        tfidf_accuracy=_num(tfidf.get("accuracy")), tfidf_macro_f1=_num(tfidf.get("macro_f1")),
        seconds=seconds,
        per_class_f1={str(label): float(s["f1"]) for label, s in rows
                      if isinstance(s, dict) and _num(s.get("f1")) is not None},
        val_curve=[(float(p[0]), float(p[1])) for p in curve
                   if isinstance(p, (list, tuple)) and len(p) == 2 and _num(p[0]) is not None
                   and _num(p[1]) is not None])


# ----- comparison ------------------------------------------------------------------------------

@dataclass
class Comparison:
    """Runs oldest first; the first is the reference that deltas are taken against."""

    runs: list[Run]
    changed: dict[str, list]  # setting label → its value in each run, for settings that differ
    per_class: list[tuple[str, list[float | None]]]  # label → F1 in each run, biggest change first
    sentences: list[str]

    @property
    def reference(self) -> Run:
        return self.runs[0]


def compare(runs: list[Run]) -> Comparison:
    runs = sorted(runs, key=lambda r: r.id)
    changed = {}
    for label, key in SETTINGS:
        values = [r.setting(key) for r in runs]
        if len({repr(v) for v in values}) > 1:
            changed[label] = values
    labels = sorted({label for r in runs for label in r.per_class_f1})
    per_class = [(label, [r.per_class_f1.get(label) for r in runs]) for label in labels]
    per_class.sort(key=lambda row: -_spread(row[1]))
    return Comparison(runs, changed, per_class, summary(runs, changed))


def _spread(values: list[float | None]) -> float:
    known = [v for v in values if v is not None]
    return max(known) - min(known) if len(known) > 1 else 0.0


def fmt_lr(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else "?"


def points(delta: float) -> str:
    """A score difference in percentage points, signed: +4.1 points."""
    return f"{delta * 100:+.1f} points"


def rule_different_data(runs: list[Run], changed: dict) -> str | None:
    if "data" not in changed:
        return None
    return ("These runs used different data (" + ", ".join(f"#{r.id} {r.data}" for r in runs)
            + "), so their scores are not directly comparable.")


def rule_learning_rate(runs: list[Run], changed: dict) -> str | None:
    """Two runs that differ in learning rate, both with validation curves: which reached the lower
    validation loss, and sooner; and whether the faster one then overfit."""
    if "lr" not in changed:
        return None
    curved = [r for r in runs if r.best_val is not None and r.lr is not None]
    if len(curved) < 2:
        return None
    low, high = min(curved, key=lambda r: r.lr), max(curved, key=lambda r: r.lr)
    if low.lr == high.lr:
        return None
    (h_epoch, h_loss), (l_epoch, l_loss) = high.best_val, low.best_val
    if h_loss < l_loss:
        when = "sooner" if h_epoch < l_epoch else ("at the same epoch" if h_epoch == l_epoch else "later")
        sentence = (f"The higher learning rate (#{high.id}, {fmt_lr(high.lr)}) reached a lower validation loss "
                    f"{when} ({h_loss:.3f} at epoch {h_epoch:g} vs {l_loss:.3f} at epoch {l_epoch:g} for "
                    f"#{low.id}, {fmt_lr(low.lr)})")
        over = high.overfit()
        if over:
            sentence += f", then overfit (validation loss back up to {over[3]:.3f} by epoch {over[2]:g})"
        return sentence + "."
    return (f"The lower learning rate (#{low.id}, {fmt_lr(low.lr)}) reached the lower validation loss "
            f"({l_loss:.3f} at epoch {l_epoch:g} vs {h_loss:.3f} at epoch {h_epoch:g} with {fmt_lr(high.lr)}): "
            f"{fmt_lr(high.lr)} may be too high for this data.")


def rule_winner(runs: list[Run], changed: dict) -> str | None:
    scored = [r for r in runs if r.macro_f1 is not None]
    if len(scored) < 2:
        return None
    best = max(scored, key=lambda r: (r.macro_f1, -r.id))
    worst = min(scored, key=lambda r: (r.macro_f1, r.id))
    if best.macro_f1 - worst.macro_f1 < TIE:
        return (f"All {len(scored)} runs are within half a point of macro-F1 ({worst.macro_f1:.3f}–"
                f"{best.macro_f1:.3f}): the changed settings made little difference here.")
    others = [r for r in scored if r is not best]
    runner = max(others, key=lambda r: r.macro_f1)
    return (f"#{best.id} has the best macro-F1, {best.macro_f1:.3f}, {points(best.macro_f1 - runner.macro_f1)} "
            f"above #{runner.id} ({runner.macro_f1:.3f}).")


def rule_accuracy_vs_f1(runs: list[Run], changed: dict) -> str | None:
    scored = [r for r in runs if r.macro_f1 is not None and r.accuracy is not None]
    if len(scored) < 2:
        return None
    by_acc = max(scored, key=lambda r: r.accuracy)
    by_f1 = max(scored, key=lambda r: r.macro_f1)
    if by_acc is by_f1:
        return None
    if by_acc.accuracy - by_f1.accuracy < TIE or by_f1.macro_f1 - by_acc.macro_f1 < TIE:
        return None
    return (f"#{by_acc.id} has the higher accuracy ({by_acc.accuracy:.3f} vs {by_f1.accuracy:.3f}) but "
            f"#{by_f1.id} the higher macro-F1 ({by_f1.macro_f1:.3f} vs {by_acc.macro_f1:.3f}): #{by_f1.id} "
            "does better on the smaller classes.")


def rule_overfit(runs: list[Run], changed: dict) -> str | None:
    for run in runs:
        over = run.overfit()
        if over:
            return (f"#{run.id} overfit: its validation loss rose from {over[1]:.3f} (epoch {over[0]:g}) to "
                    f"{over[3]:.3f} (epoch {over[2]:g}); fewer epochs would have done.")
    return None


def rule_baseline(runs: list[Run], changed: dict) -> str | None:
    scored = [r for r in runs if r.gap is not None]
    if not scored or len(scored) < len(runs) or any(r.gap > 0 for r in scored):
        return None
    best = max(scored, key=lambda r: r.gap)
    return (f"None of these runs beat the TF-IDF baseline's macro-F1 (the closest, #{best.id}, is "
            f"{points(best.gap)} from it).")


RULES = (rule_different_data, rule_learning_rate, rule_winner, rule_accuracy_vs_f1, rule_overfit,
         rule_baseline)


def summary(runs: list[Run], changed: dict) -> list[str]:
    """At most MAX_SENTENCES sentences, from the first rules (in RULES order) that apply."""
    found = []
    for rule in RULES:
        sentence = rule(runs, changed)
        if sentence:
            found.append(sentence)
        if len(found) == MAX_SENTENCES:
            break
    return found
