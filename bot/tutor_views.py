"""The tutor's messages: an answer with its citations and buttons, a decline, the admins' post, and
App Home's list of the course's gaps. Learner text is escaped here (`bot.slack.escape`) before it is
shown anywhere; course text is authored mrkdwn."""

from __future__ import annotations

import re

from bot import blocks
from bot.actions import ASK_MODAL, ASK_QUESTION, INPUT_ACTION, AskAdmins, OpenLesson, TutorFeedback
from bot.slack import escape

MENTION = re.compile(r"<([!@#][^>]*)>")


def defuse(text: str) -> str:
    """Slack message text relayed by the bot, with its mentions and broadcasts (<@U1>, <!channel>) shown
    as text, never as pings."""
    return MENTION.sub(lambda m: f"&lt;{m.group(1)}&gt;", text or "")


def answer_message(answer, question_id: int, owner: str, asked: str | None = None) -> dict:
    """The answer; `asked` (a question typed in the modal, which the thread does not show) is repeated
    above it, escaped."""
    parts = [blocks.context(f"❓ _{escape(' '.join(asked.split())[:280])}_")] if asked else []
    parts.append(blocks.section(answer.text))
    elements = []
    if answer.citations:
        parts.append(blocks.context("📚 " + "  ·  ".join(c.label() for c in answer.citations)))
    lessons = list(dict.fromkeys([c.lesson for c in answer.citations] + list(answer.closest)))[:3]
    for index, lesson in enumerate(lessons):
        elements.append(OpenLesson(owner=owner, lesson=lesson).button(f"Open Lesson {lesson}", index=index))
    if answer.in_scope and question_id:
        elements.append(TutorFeedback(owner=owner, question=question_id, helpful="up").button("👍 Helpful", index=0))
        elements.append(TutorFeedback(owner=owner, question=question_id, helpful="down").button("👎 Not helpful", index=1))
    elif question_id:
        elements.append(AskAdmins(owner=owner, question=question_id).button("Ask the team's admins"))
    if elements:
        parts.append(blocks.actions(*elements))
    summary = "The tutor's answer" if answer.in_scope else "The course does not cover that"
    return blocks.message(summary, parts)


THINKING = "🤔 Thinking…"


def thinking_message() -> dict:
    """Posted when an answer takes over a second; the answer then replaces it in place."""
    return blocks.message(THINKING, [blocks.context(THINKING)])


def ask_modal(about: str, private_metadata: str) -> dict:
    """"Ask about this": one question about `about` (a lesson or a run), answered in that message's thread."""
    return {
        "type": "modal", "callback_id": ASK_MODAL, "private_metadata": private_metadata,
        "title": blocks.plain("Ask the tutor"), "submit": blocks.plain("Ask"), "close": blocks.plain("Cancel"),
        "blocks": [
            blocks.context(f"About {escape(about)[:200]}. The answer comes in this message's thread."),
            {"type": "input", "block_id": ASK_QUESTION, "label": blocks.plain("Your question"),
             "element": {"type": "plain_text_input", "action_id": INPUT_ACTION, "multiline": True,
                         "max_length": 2000,
                         "placeholder": blocks.plain("e.g. why is my macro-F1 lower than accuracy?")}},
        ],
    }


def admin_post(user_id: str, question: str) -> dict:
    text = f"❓ <@{user_id}> asked a question the course does not cover:\n>{escape(question)[:2500]}"
    return blocks.message("A learner's question for the admins",
                          [blocks.section(text), blocks.context("Answer in this thread: the learner sees your reply.")])


def admin_reply(text: str) -> dict:
    return blocks.message("An admin answered your question",
                          [blocks.section(f"💬 *An admin answered:*\n{defuse(text)[:2800]}")])


def gaps_blocks(questions) -> list[dict]:
    """App Home (admins): questions the course did not cover and answers marked 👎."""
    if not questions:
        return [blocks.header("Course gaps"), blocks.context("No unanswered or 👎 questions.")]
    lines = []
    for q in questions[:15]:
        why = "👎" if q.feedback == "down" else ("sent to admins" if q.escalated_at else "not covered")
        lines.append(f"• _{escape(q.text[:150])}_ ({why}, <@{q.user_id}>)")
    return [blocks.header("Course gaps"), blocks.section("\n".join(lines))]
