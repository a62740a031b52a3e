"""Block Kit for the bot's own surfaces (help, syllabus, progress, App Home, completion, drips).

Lesson pages and quiz questions are rendered by `bot.course.render`; this module covers the rest,
so handlers carry no Block Kit beyond trivial pieces.
"""

from __future__ import annotations

from bot import actions
from bot.blocks import actions as actions_block
from bot.blocks import context, divider, fields, header, message, section
from bot.course.mrkdwn import inline, to_mrkdwn
from bot.slack import escape

BAR_WIDTH = 15


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = round(width * done / total) if total else 0
    return "▓" * filled + "░" * (width - filled)


LESSON_HELP = (
    "*/lesson* — the fine-tuning course, one lesson at a time, in your DM with me.\n"
    "• `/lesson` — your next lesson (continues an unfinished one)\n"
    "• `/lesson 2.1` — a chosen lesson\n"
    "• `/lesson list` — the syllabus with your progress\n"
    "• `/lesson daily 09:00` · `/lesson daily weekdays 08:30` · `/lesson daily off` — a lesson a day at your time\n"
    "• `/progress` — where you stand · `/finetune help` — train a model yourself"
)

LESSON_USAGE = "I did not understand `{arg}`. Try `/lesson`, `/lesson 2.1`, `/lesson list` or `/lesson help`."


def help_message() -> dict:
    return message("How to use /lesson", [section(LESSON_HELP)])


def syllabus_message(entries, course) -> dict:
    """The syllabus with the learner's marks; `course` (a loaded `Course`) gives the titles."""
    marks = {"done": "✓", "current": "▶", "open": "○"}
    titles = {m.id: m.title for m in course.modules}
    lines, module = [], None
    blocks = [header(course.title)]
    for entry in entries:
        if entry.module != module:
            if lines:
                blocks.append(section("\n".join(lines)))
                lines = []
            module = entry.module
            lines.append(f"*{escape(titles.get(module, module))}*")
        score = f" — quiz {entry.score}/{entry.questions}" if entry.state == "done" and entry.questions else ""
        current = " _(up next)_" if entry.state == "current" else ""
        lines.append(f"{marks[entry.state]}  `{entry.lesson_id}` {escape(entry.title)}{score}{current}")
    if lines:
        blocks.append(section("\n".join(lines)))
    done = sum(1 for e in entries if e.state == "done")
    blocks.append(context(f"✓ done · ▶ up next · ○ open (any lesson can be taken: `/lesson 3.1`) · {done} of {len(entries)} done"))
    return message(f"Syllabus: {done} of {len(entries)} lessons done", blocks)


def progress_blocks(summary, next_title: str | None) -> list[dict]:
    accuracy = f"{summary.accuracy:.0%} ({summary.correct}/{summary.answered})" if summary.answered else "no answers yet"
    streak = f"{summary.streak} day{'s' if summary.streak != 1 else ''}"
    nxt = f"`{summary.next_lesson_id}` {escape(next_title or '')}" if summary.next_lesson_id else "🎓 course complete"
    blocks = [
        section(f"*Your progress*\n`{bar(summary.done, summary.total)}` *{summary.done} of {summary.total}* lessons done"),
        fields(f"*Quiz accuracy*\n{accuracy}", f"*Streak*\n🔥 {streak}", f"*Next lesson*\n{nxt}",
               f"*Fine-tune runs*\n{len(summary.runs)} recent"),
    ]
    if summary.run_answered:
        blocks.append(fields(f"*Questions about your runs*\n{summary.run_correct}/{summary.run_answered} right "
                             "(scored apart from lesson quizzes)"))
    if summary.runs:
        lines = []
        for run in summary.runs:
            acc = f" · accuracy {run['accuracy']:.1%}" if isinstance(run.get("accuracy"), (int, float)) else ""
            lines.append(f"• #{run['id']} `{escape(str(run.get('data') or '?'))}` {escape(str(run.get('method') or ''))}"
                         f" — {run['state']}{acc}")
        blocks.append(section("*Recent runs*\n" + "\n".join(lines)))
    return blocks


def progress_message(summary, next_title: str | None) -> dict:
    return message(f"Your progress: {summary.done} of {summary.total} lessons done", progress_blocks(summary, next_title))


def completion_message(lesson, score: int, questions: int, next_lesson, owner: str) -> dict:
    emoji = "🎉" if score == questions else "👏" if score >= questions / 2 else "💪"
    blocks = [section(f"{emoji} *Lesson {lesson.id} complete!* You scored *{score}/{questions}*.")]
    if next_lesson is not None:
        blocks.append(actions_block(actions.NextLesson(owner=owner, lesson=next_lesson.id).button(
            f"Next lesson: {next_lesson.id} {next_lesson.title}", style="primary")))
    else:
        blocks.append(section("🎓 *That was the last lesson: you finished the course!* `/progress` shows your summary."))
    return message(f"Lesson {lesson.id} complete: {score}/{questions}", blocks)


def _review_prompt(question) -> str:
    prompt = inline(question.prompt) if question.markdown else escape(question.prompt)
    return f"*{escape(question.source)}:* {prompt}"


def review_message(reviews, owner: str) -> dict:
    """A short "Review" block: missed questions (of lessons or about the learner's runs, each a
    `DueReview` with its `ReviewQuestion`) asked again, apart from first-answer scores."""
    blocks = [section("🔁 *Review* — questions you missed earlier. Getting them right now makes them stick.")]
    for review in reviews:
        question = review.question
        blocks.append(section(_review_prompt(question)))
        blocks.append(actions_block(*(
            actions.ReviewAnswer(owner=owner, review=review.review_id, stage=review.stage, choice=index).button(
                choice, index=index)
            for index, choice in enumerate(question.choices)), block_id=f"review_{review.review_id}_{review.stage}"))
    return message("Review: questions you missed earlier", blocks)


def review_answered_blocks(question, choice: int, correct: bool) -> list[dict]:
    """A review question (a `ReviewQuestion`) with its answer and explanation."""
    verdict = "✅ Right" if correct else f"❌ Not quite — the answer is *{escape(question.choices[question.answer])}*"
    explanation = to_mrkdwn(question.explanation) if question.markdown else escape(question.explanation)
    return [section(f"{_review_prompt(question)}\n"
                    f"You chose *{escape(question.choices[choice])}*. {verdict}.\n"
                    f"{explanation}"
                    + ("" if correct else "\n_It will come back in a few days._"))]


def review_after_answer(message_blocks: list[dict], block_id: str | None, answered: list[dict]) -> list[dict] | None:
    """The review message with the answered question's line and buttons replaced by `answered`;
    None when the clicked block is not in it (nothing to change)."""
    blocks, replaced = [], False
    for block in message_blocks:
        if block_id and block.get("block_id") == block_id:
            if blocks and blocks[-1].get("type") == "section":
                blocks.pop()  # the question line; the answered block repeats it
            blocks.extend(answered)
            replaced = True
        else:
            blocks.append(block)
    return blocks if replaced else None


def without_actions(blocks: list[dict], note: str) -> list[dict]:
    """A message with its buttons replaced by a short note (no second click possible)."""
    return [block for block in blocks if block.get("type") != "actions"] + [context(note)]


def home_view(summary, next_title, entries, drip, drip_tz: str, course, team_stats=None, runs=None) -> dict:
    """`runs`: the blocks of the learner's runs section (`bot.runs_views.runs_blocks`), shown above the syllabus."""
    start_label = "Start the course" if summary.done == 0 and summary.answered == 0 else "Continue learning"
    blocks = [
        header("🎓 Finetune Tutor"),
        *progress_blocks(summary, next_title),
        actions_block(actions.StartCourse().button(start_label, style="primary"), actions.ShowSyllabus().button("Syllabus")),
        divider(),
        *drip_blocks(drip, drip_tz),
        divider(),
    ]
    if runs:
        blocks.extend(runs)
        blocks.append(divider())
    syllabus = syllabus_message(entries, course)["blocks"][1:-1]
    blocks.append(section("*Syllabus*"))
    blocks.extend(syllabus)
    if team_stats is not None:
        blocks.extend(team_blocks(team_stats))
    return {"type": "home", "blocks": blocks[:100]}


def drip_blocks(drip, tz: str) -> list[dict]:
    enabled = bool(drip and drip.enabled)
    paused = bool(drip and drip.paused)
    local_time = drip.local_time if drip else "09:00"
    weekdays = bool(drip and drip.weekdays_only)
    if not enabled:
        state = "off"
    elif paused:
        state = "paused"
    else:
        state = f"on, every {'weekday' if weekdays else 'day'} at {local_time}"
    toggle = actions.ToggleDrip(state="off" if enabled else "on").button(
        "Turn off" if enabled else "Turn on daily lessons", style=None if enabled else "primary")
    weekdays_option = {"text": {"type": "plain_text", "text": "Weekdays only"}, "value": actions.WEEKDAYS_OPTION}
    elements = [
        toggle,
        {"type": "timepicker", "action_id": actions.DRIP_TIME, "initial_time": local_time,
         "placeholder": {"type": "plain_text", "text": "Time"}},
        {"type": "checkboxes", "action_id": actions.DRIP_WEEKDAYS, "options": [weekdays_option],
         **({"initial_options": [weekdays_option]} if weekdays else {})},
    ]
    if enabled:
        elements.append(actions.PauseDrip(state="resume" if paused else "pause").button("Resume" if paused else "Pause"))
    return [section(f"*Daily lesson:* {state} · time zone *{escape(tz)}* (from your Slack profile)"),
            actions_block(*elements, block_id="drip_settings")]


def team_blocks(stats) -> list[dict]:
    funnel = "\n".join(f"`{lid}` {bar(done, max(1, stats.learners_total), 10)} {done} done · {started} started"
                       for lid, _title, started, done in stats.funnel)
    hardest = "\n".join(f"• `{lid}` {qid}: missed {wrong} of {answered}" for lid, qid, wrong, answered in stats.hardest) \
        or "_No missed questions yet._"
    return [
        divider(),
        header("👥 Team view (admins only)"),
        section(f"*Learners active (30 days):* {stats.learners_active} of {stats.learners_total}"),
        section("*Completion funnel*\n" + funnel),
        section("*Most-missed questions*\n" + hardest),
        actions_block(actions.ExportTeam().button("Export CSV to my DM")),
    ]


def drip_settings_text(sub, tz: str) -> str:
    if sub is None or not sub.enabled:
        return "Daily lessons are *off*. Turn them on with `/lesson daily 09:00`."
    days = "weekday" if sub.weekdays_only else "day"
    paused = " (paused — `/lesson daily resume`)" if sub.paused else ""
    return f"📬 Daily lessons are *on*: every {days} at *{sub.local_time}*, time zone *{escape(tz)}*{paused}. Stop with `/lesson daily off`."


def drip_paused_message(owner: str) -> dict:
    return message("Daily lessons paused", [
        section("💤 I've paused your daily lessons: the last 3 went unread, and I don't want to nag. "
                "Pick them up whenever you like."),
        actions_block(actions.PauseDrip(state="resume").button("Resume daily lessons", style="primary"))])


def course_finished_message(summary) -> dict:
    return message("You finished the course!", [
        section(f"🎓 *You finished all {summary.total} lessons — congratulations!* Daily lessons stop here."),
        *progress_blocks(summary, None)])
