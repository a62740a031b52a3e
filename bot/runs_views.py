"""Block Kit for a learner's runs: the paged list (a message and an App Home section), the modal that
picks runs to compare, and the comparison message. Pure functions of `bot.runs` values."""

from __future__ import annotations

from bot import actions
from bot.blocks import actions as actions_block
from bot.blocks import context, divider, header, message, plain, section
from bot.finetune_views import STATE_EMOJI, _duration
from bot.runs import MAX_COMPARE, MIN_COMPARE, Comparison, Run, fmt_lr
from bot.slack import escape

PAGE_SIZE = 5
COMPARE_HINT = "`/finetune compare 12 15` compares two to four runs by number."


def _score(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "–"


def _signed(value: float | None) -> str:
    return f"{value:+.3f}" if value is not None else "–"


def _settings(run: Run) -> str:
    changed = run.changed_settings()
    if not changed:
        return "defaults"
    return ", ".join(f"{escape(label)} {fmt_lr(v) if label == 'lr' else escape(str(v))}" for label, v in changed.items())


def run_line(run: Run) -> str:
    """One run in a list: data, task, method, changed settings, scores, gap to TF-IDF, time, state."""
    head = (f"{STATE_EMOJI.get(run.state, '')} *#{run.id}* `{escape(run.data)}` · {escape(run.task)} · "
            f"{escape(run.method)} · {_settings(run)}")
    facts = []
    if run.accuracy is not None:
        facts.append(f"accuracy {_score(run.accuracy)}")
    if run.macro_f1 is not None:
        facts.append(f"macro-F1 {_score(run.macro_f1)}")
    if run.gap is not None:
        facts.append(f"{_signed(run.gap)} vs TF-IDF")
    if run.seconds is not None:
        facts.append(_duration(run.seconds))
    facts.append(escape(run.state))
    return head + "\n" + " · ".join(facts)


def runs_blocks(runs: list[Run], page: int, has_more: bool, owner: str, where: str) -> list[dict]:
    """The list's blocks, newest first, with Newer/Older and "Compare runs…" buttons."""
    if not runs:
        return [section("*Your runs*\nNo fine-tune runs yet. Try `/finetune data=support_tickets`.")]
    blocks = [section(f"*Your runs* · page {page + 1}")]
    blocks.extend(section(run_line(run)) for run in runs)
    buttons = []
    if page > 0:
        buttons.append(actions.RunsPage(owner=owner, page=page - 1, where=where).button("◀ Newer"))
    if has_more:
        buttons.append(actions.RunsPage(owner=owner, page=page + 1, where=where).button("Older ▶"))
    buttons.append(actions.PickRuns(owner=owner).button("Compare runs…", style="primary"))
    blocks.append(actions_block(*buttons))
    blocks.append(context(COMPARE_HINT))
    return blocks


def runs_message(runs: list[Run], page: int, has_more: bool, owner: str) -> dict:
    return message("Your fine-tune runs", runs_blocks(runs, page, has_more, owner, "msg"))


def compare_modal(runs: list[Run]) -> dict:
    """Pick two to four finished runs (newest first)."""
    options = [{"text": plain(f"#{r.id} {r.data} · {r.method} · F1 {_score(r.macro_f1)}"[:75]), "value": str(r.id)}
               for r in runs[:100]]
    return {
        "type": "modal", "callback_id": actions.COMPARE_MODAL,
        "title": plain("Compare runs"), "submit": plain("Compare"), "close": plain("Cancel"),
        "blocks": [{"type": "input", "block_id": actions.COMPARE_PICK, "label": plain("Runs"),
                    "hint": plain(f"Pick {MIN_COMPARE} to {MAX_COMPARE} finished runs."),
                    "element": {"type": "multi_static_select", "action_id": actions.INPUT_ACTION,
                                "options": options, "max_selected_items": MAX_COMPARE,
                                "placeholder": plain("Choose runs")}}],
    }


def _table(cmp: Comparison) -> str:
    """Metrics per run; every run after the first shows its difference from the first."""
    ref = cmp.reference
    width = 18
    head = f"{'':<14}" + "".join(f"{'#' + str(r.id):>{width}}" for r in cmp.runs)

    def row(name: str, value_of, fmt=_score) -> str:
        cells = []
        for i, run in enumerate(cmp.runs):
            value = value_of(run)
            text = fmt(value)
            base = value_of(ref)
            if i and value is not None and base is not None:
                text += f" ({value - base:+.3f})" if fmt is _score else f" ({value - base:+.0f}s)"
            cells.append(f"{text:>{width}}")
        return f"{name:<14}" + "".join(cells)

    best = lambda r: r.best_val[1] if r.best_val else None  # noqa: E731
    rows = [head, row("accuracy", lambda r: r.accuracy), row("macro-F1", lambda r: r.macro_f1),
            row("F1 vs TF-IDF", lambda r: r.gap), row("best val loss", best),
            row("time", lambda r: r.seconds, fmt=lambda v: _duration(v) if v is not None else "–")]
    return "\n".join(rows)


def _changed(cmp: Comparison) -> str:
    if not cmp.changed:
        return "Same settings in every run."
    lines = []
    for label, values in cmp.changed.items():
        shown = [fmt_lr(v) if label == "lr" else str(v) for v in values]
        lines.append(f"• *{escape(label)}*: " + " → ".join(f"#{r.id} {escape(s)}" for r, s in zip(cmp.runs, shown)))
    return "\n".join(lines)


def _per_class(cmp: Comparison, limit: int = 12) -> str:
    ref = cmp.reference
    head = f"{'class':<18}" + f"{'#' + str(ref.id):>8}" + "".join(f"{'Δ#' + str(r.id):>9}" for r in cmp.runs[1:])
    lines = [head]
    for label, values in cmp.per_class[:limit]:
        base = values[0]
        cells = [f"{_score(base):>8}"]
        for value in values[1:]:
            cells.append(f"{value - base:>+9.3f}" if value is not None and base is not None else f"{'–':>9}")
        lines.append(f"{label[:18]:<18}" + "".join(cells))
    return "\n".join(lines)


def compare_message(cmp: Comparison, plot_file_id: str | None = None, plot_note: str | None = None) -> dict:
    """One message: metrics with deltas, changed settings, per-class F1 deltas, the validation-curve plot
    (once the worker has drawn it) and the rule-based summary."""
    ids = " vs ".join(f"#{r.id}" for r in cmp.runs)
    blocks = [header(f"Comparing runs {ids}")]
    if cmp.sentences:
        blocks.append(section("\n".join(f"💡 {escape(s)}" for s in cmp.sentences)))
    blocks.append(section("*Metrics* (differences from " + f"#{cmp.reference.id})\n```" + escape(_table(cmp)) + "```"))
    blocks.append(section("*Settings that changed*\n" + _changed(cmp)))
    if cmp.per_class:
        blocks.append(section("*Per-class F1* (differences from " + f"#{cmp.reference.id}, biggest first)\n```"
                              + escape(_per_class(cmp)) + "```"))
    blocks.append(divider())
    if plot_file_id:
        blocks.append({"type": "image", "slack_file": {"id": plot_file_id},
                       "alt_text": f"Validation loss per epoch of runs {ids}", "title": plain("Validation loss")})
    elif plot_note:
        blocks.append(context(escape(plot_note)))
    return message(f"Comparing runs {ids}", blocks)


# ----- questions about the learner's own run -----------------------------------------------------

def run_question_block_id(question) -> str:
    return f"runq_{question.id}"


def run_question_blocks(question, owner: str) -> list[dict]:
    """A question about a run (a `RunQuestion` row) and its choices as buttons."""
    return [section(f"*{escape(question.prompt)}*"),
            actions_block(*(actions.RunQuestionAnswer(owner=owner, question=question.id, choice=index).button(
                choice, index=index) for index, choice in enumerate(question.choices)),
                block_id=run_question_block_id(question))]


def run_question_answered_blocks(question) -> list[dict]:
    """The question with its (first) answer and the explanation, buttons gone."""
    right = question.choices[question.answer]
    verdict = "✅ Right" if question.correct else f"❌ Not quite — the answer is *{escape(right)}*"
    return [section(f"*{escape(question.prompt)}*\nYou chose *{escape(question.choices[question.choice])}*. "
                    f"{verdict}.\n{escape(question.explanation)}"
                    + ("" if question.correct else "\n_It will come back in a review._"))]


def run_questions_message(job_id: int, questions: list, owner: str) -> dict:
    blocks = [section(f"🧪 *Questions about your run #{job_id}* — built from its own numbers. "
                      "They count apart from lesson quizzes; `/progress` shows your score.")]
    for question in questions:
        blocks.extend(run_question_blocks(question, owner))
    return message(f"Questions about your run #{job_id}", blocks)


def run_question_after_answer(message_blocks: list[dict], question) -> list[dict] | None:
    """The questions message with the answered question's prompt and buttons replaced; None when the
    question's buttons are not in it (answered already: nothing to change)."""
    block_id, blocks, replaced = run_question_block_id(question), [], False
    for block in message_blocks:
        if block.get("block_id") == block_id:
            if blocks and blocks[-1].get("type") == "section":
                blocks.pop()
            blocks.extend(run_question_answered_blocks(question))
            replaced = True
        else:
            blocks.append(block)
    return blocks if replaced else None
