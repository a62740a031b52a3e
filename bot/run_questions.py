"""Quiz questions about a learner's own finished run, built from its stored numbers.

Plain functions of a `bot.runs.Run`: no database, no Slack. Each rule returns one question whose
prompt quotes only numbers read from the run, or None when the run's numbers do not support it.
At most MAX_QUESTIONS are asked per run, in RULES order.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.runs import Run

MAX_QUESTIONS = 2
F1_GAP = 0.05  # accuracy this far above macro-F1: the smaller classes are being missed


@dataclass(frozen=True)
class BuiltQuestion:
    question_id: str  # unique per run: the rule's name
    prompt: str
    choices: tuple[str, ...]
    answer: int  # index into choices
    explanation: str


def _rotate(correct: str, wrong: list[str], run_id: int) -> tuple[tuple[str, ...], int]:
    """The right choice at a position that depends on the run, so it is not always first."""
    position = run_id % (len(wrong) + 1)
    choices = wrong[:position] + [correct] + wrong[position:]
    return tuple(choices), position


def question_f1_gap(run: Run) -> BuiltQuestion | None:
    if run.accuracy is None or run.macro_f1 is None or run.accuracy - run.macro_f1 < F1_GAP:
        return None
    choices, answer = _rotate(
        "It misses some classes, likely the small ones, more than accuracy shows",
        ["It overfit: it should have trained for fewer epochs",
         "The test split is too small for either number to mean much",
         "Nothing: macro-F1 is always lower than accuracy by about that much"], run.id)
    return BuiltQuestion(
        "f1_gap",
        f"Your run #{run.id} reached accuracy {run.accuracy:.2f} but macro-F1 {run.macro_f1:.2f}. "
        "What does that gap suggest?", choices, answer,
        "Accuracy counts every test example alike, so the big classes dominate it; macro-F1 averages the "
        "classes' F1 scores, so a class the model misses pulls it down. Look at the per-class F1 of this run.")


def question_overfit(run: Run) -> BuiltQuestion | None:
    over = run.overfit()
    if over is None:
        return None
    best_epoch, best_loss, last_epoch, last_loss = over
    choices, answer = _rotate(
        "It overfit: training past the best epoch made it worse on unseen data",
        ["The learning rate was too low to learn anything",
         "The validation split is broken: the loss should only go down",
         "It underfit: it needs more epochs"], run.id)
    return BuiltQuestion(
        "overfit",
        f"The validation loss of your run #{run.id} was lowest at epoch {best_epoch:g} ({best_loss:.3f}) "
        f"and rose to {last_loss:.3f} by epoch {last_epoch:g}. What does that show?", choices, answer,
        "Validation loss that rises while training continues means the model is fitting its training "
        "examples at the expense of new ones. Fewer epochs, or keeping the best epoch's weights, helps.")


def question_baseline(run: Run) -> BuiltQuestion | None:
    if run.gap is None:
        return None
    if run.gap < 0:
        choices, answer = _rotate(
            "Check the data and settings: a fine-tune should beat a word-count model",
            ["Nothing: baselines always win on small data, so keep the run",
             "Switch off the test split: it must be the problem",
             "Train the TF-IDF baseline for more epochs"], run.id)
        return BuiltQuestion(
            "baseline",
            f"Your run #{run.id} has macro-F1 {run.macro_f1:.2f}, below the TF-IDF baseline's "
            f"{run.tfidf_macro_f1:.2f} on the same test split. What is the sensible next step?", choices, answer,
            "The TF-IDF baseline is a cheap model on word counts. A fine-tune below it usually had a learning "
            "rate, epoch count or data problem: compare it with another run to see which.")
    choices, answer = _rotate(
        "It shows what the fine-tune adds over a cheap model on the same test split",
        ["It proves the fine-tuned model will be right on new data",
         "It measures how long training took",
         "It checks that the labels in the data are correct"], run.id)
    return BuiltQuestion(
        "baseline",
        f"Your run #{run.id} has macro-F1 {run.macro_f1:.2f}; the TF-IDF baseline reached "
        f"{run.tfidf_macro_f1:.2f} on the same test split. Why is the baseline worth reporting?", choices, answer,
        "A baseline is the score a simple, cheap model gets on the same split. The difference is what the "
        "fine-tune (and its cost) actually buys you.")


RULES = (question_overfit, question_f1_gap, question_baseline)


def questions_for(run: Run) -> list[BuiltQuestion]:
    """Up to MAX_QUESTIONS questions about a finished classification run; none for other runs."""
    if run.state != "succeeded" or run.task != "classification":
        return []
    found = []
    for rule in RULES:
        question = rule(run)
        if question is not None:
            found.append(question)
        if len(found) == MAX_QUESTIONS:
            break
    return found
