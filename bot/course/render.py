"""Block Kit messages for a lesson: its pages, then one message per quiz question.

A lesson is too long for one Slack message and too long to read in one sitting, so its sections are
packed into pages of about READING_CHARS characters (two to three minutes of reading), each page one
message ending in a "Continue ▸" button. The last content page wraps up: key concepts, summary,
self-check, the exercise with its one-click /finetune runs, what comes next, resources. Paging is a
pure function of the lesson, so `render_page(..., p)` always matches what page p was when sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bot import actions
from bot import blocks as bk
from bot.blocks import Block
from bot.course.limits import MAX_BLOCKS, MAX_MESSAGE_CHARS, MAX_SECTION_TEXT
from bot.course.mrkdwn import escape, inline, plain_inline, to_mrkdwn, to_mrkdwn_chunks
from bot.course.schema import Lesson

if TYPE_CHECKING:
    from bot.course.loader import Course

READING_CHARS = 4000
BUILDER_URL = "https://app.slack.com/block-kit-builder/#"
# Room left on each page for the footer (context and Continue button).
_FOOTER_BLOCKS = 2
_FOOTER_CHARS = 200

Message = dict[str, Any]


@dataclass(frozen=True)
class _Unit:
    """Blocks that stay on one page (a heading with the start of its text)."""

    blocks: tuple[Block, ...]

    @property
    def chars(self) -> int:
        return sum(len(block.get("text", {}).get("text", "")) for block in self.blocks)


def lesson_pages(lesson: Lesson, course: Course, owner: str) -> list[Message]:
    """Every content page of the lesson, in order (the quiz messages come from render_question)."""
    return [render_page(lesson, course, index, owner) for index in range(page_count(lesson, course))]


def page_count(lesson: Lesson, course: Course) -> int:
    return len(_page_bodies(lesson, course.position(lesson.id), len(course)))


def deeper_page_count(lesson: Lesson) -> int:
    """Pages of the optional "Go deeper" reading; they come after the lesson's pages (and quiz)."""
    return len(_deeper_bodies(lesson))


def render_page(lesson: Lesson, course: Course, page_index: int, owner: str) -> Message:
    """Page `page_index` (0-based) of the lesson, then of its "Go deeper" pages; IndexError when
    there is no such page."""
    bodies = _page_bodies(lesson, course.position(lesson.id), len(course), owner)
    total = len(bodies)
    if total <= page_index < total + deeper_page_count(lesson):
        return _render_deeper(lesson, page_index - total, total, owner)
    if not 0 <= page_index < total:
        raise IndexError(f"lesson {lesson.id} has {len(bodies)} pages, not page {page_index + 1}")
    page_label = f"Page {page_index + 1} of {total}"
    blocks = list(bodies[page_index])
    ask = actions.AskAbout(owner=owner, lesson=lesson.id)
    if page_index < total - 1:
        blocks.append(bk.context(page_label))
        more = actions.ContinueLesson(owner=owner, lesson=lesson.id, page=page_index + 1)
        blocks.append(bk.actions(more.button("Continue ▸", style="primary"), ask.button("Ask about this")))
    else:
        questions = len(lesson.quiz)
        blocks.append(bk.context(f"{page_label} · Next: a quiz of {questions} questions, one at a time."))
        buttons = [ask.button("Ask about this")]
        if lesson.go_deeper:
            deeper = actions.ContinueLesson(owner=owner, lesson=lesson.id, page=total)
            buttons.insert(0, deeper.button("🔍 Go deeper (optional)"))
        blocks.append(bk.actions(*buttons))
    return {"text": f"{lesson.header} ({page_label.lower()})", "blocks": blocks}


def _render_deeper(lesson: Lesson, index: int, first: int, owner: str) -> Message:
    bodies = _deeper_bodies(lesson)
    label = f"Go deeper, page {index + 1} of {len(bodies)}"
    blocks = list(bodies[index])
    blocks.append(bk.context(f"{label} · optional: not in the quiz or the lesson's minutes."))
    if index < len(bodies) - 1:
        more = actions.ContinueLesson(owner=owner, lesson=lesson.id, page=first + index + 1)
        blocks.append(bk.actions(more.button("Continue ▸")))
    return {"text": f"{lesson.header} ({label.lower()})", "blocks": blocks}


def _deeper_bodies(lesson: Lesson) -> list[list[Block]]:
    if not lesson.go_deeper:
        return []
    title = _Unit((bk.header(f"🔍 Go deeper: Lesson {lesson.id}"),
                   bk.context("Optional reading: longer code and worked examples.")))
    units = [title] + [unit for s in lesson.go_deeper for unit in _section_units(s)]
    return [[block for unit in page for block in unit.blocks]
            for page in _pack(units, soft_chars=READING_CHARS)]


def render_question(lesson: Lesson, q_index: int, owner: str) -> Message:
    """One quiz question with a button per choice."""
    question = lesson.quiz[q_index]
    buttons = [
        actions.QuizAnswer(owner=owner, lesson=lesson.id, question=question.id, choice=c).button(choice, index=c)
        for c, choice in enumerate(question.choices)
    ]
    return {
        "text": f"Lesson {lesson.id} · {_question_label(lesson, q_index)}: {plain_inline(question.prompt)}"[:3000],
        "blocks": [bk.section(_question_text(lesson, q_index)), bk.actions(*buttons)],
    }


def render_answered_question(lesson: Lesson, q_index: int, chosen_index: int, owner: str) -> Message:
    """The question after an answer: no buttons, the choice marked right or wrong, the explanation.

    `owner` is accepted for symmetry with render_question; the answered message has no buttons.
    """
    question = lesson.quiz[q_index]
    right = chosen_index == question.answer_index
    lines = []
    for c, choice in enumerate(question.choices):
        if c == chosen_index:
            mark = "✅" if right else "❌"
            lines.append(f"{mark} *{escape(choice)}*  ← your answer")
        elif c == question.answer_index:
            lines.append(f"✅ *{escape(choice)}*  ← right answer")
        else:
            lines.append(f"▫️ {escape(choice)}")
    verdict = (
        "*Right!* 🎉" if right else f"*Not quite.* The right answer is *{escape(question.answer)}*."
    )
    return {
        "text": f"Lesson {lesson.id} · {_question_label(lesson, q_index)}: {'right' if right else 'wrong'}",
        "blocks": [
            bk.section(_question_text(lesson, q_index)),
            bk.section("\n".join(lines)),
            *[bk.section(text) for text in _section_texts([verdict, *to_mrkdwn_chunks(question.explanation)])],
        ],
    }


def builder_url(message: Message) -> str:
    """A link that opens the message in Slack's Block Kit Builder, for authors previewing pages."""
    payload = json.dumps({"blocks": message["blocks"]}, ensure_ascii=False, separators=(",", ":"))
    return BUILDER_URL + quote(payload, safe="")


def progress_bar(position: int, total: int) -> str:
    return "▓" * position + "░" * (total - position)


def _question_label(lesson: Lesson, q_index: int) -> str:
    return f"Question {q_index + 1} of {len(lesson.quiz)}"


def _question_text(lesson: Lesson, q_index: int) -> str:
    return f"*{_question_label(lesson, q_index)}*\n{to_mrkdwn(lesson.quiz[q_index].prompt)}"


def _page_bodies(lesson: Lesson, position: int, total: int, owner: str = "") -> list[list[Block]]:
    """The blocks of each page before its footer. Paging never depends on `owner` (only button values)."""
    reading = [_intro_unit(lesson, position, total)] + [unit for s in lesson.sections for unit in _section_units(s)]
    pages = _pack(reading, soft_chars=READING_CHARS)
    pages += _pack(_wrap_up_units(lesson, owner), soft_chars=None)
    return [[block for unit in page for block in unit.blocks] for page in pages]


def _pack(units: list[_Unit], soft_chars: int | None) -> list[list[_Unit]]:
    """Greedy paging: a new page when the reading budget or a Slack limit would be passed."""
    pages: list[list[_Unit]] = []
    current: list[_Unit] = []
    for unit in units:
        blocks = sum(len(u.blocks) for u in current) + len(unit.blocks)
        chars = sum(u.chars for u in current) + unit.chars
        too_long = soft_chars is not None and chars > soft_chars
        too_big = blocks > MAX_BLOCKS - _FOOTER_BLOCKS or chars > MAX_MESSAGE_CHARS - _FOOTER_CHARS
        if current and (too_long or too_big):
            pages.append(current)
            current = []
        current.append(unit)
    if current:
        pages.append(current)
    return pages


def _intro_unit(lesson: Lesson, position: int, total: int) -> _Unit:
    facts = [
        f"Lesson {position} of {total} {progress_bar(position, total)}",
        f"{lesson.duration_minutes} min",
        lesson.difficulty.capitalize(),
    ]
    if lesson.prerequisites:
        facts.append("Prerequisites: " + ", ".join(escape(p) for p in lesson.prerequisites))
    objectives = "\n".join(f"• {inline(objective)}" for objective in lesson.objectives)
    return _Unit((
        bk.header(lesson.header),
        bk.context(" · ".join(facts)),
        bk.section(f"*🎯 By the end of this lesson, you will:*\n{objectives}"),
    ))


def _section_units(section: Any) -> list[_Unit]:
    """A heading with its first section block, then one unit per further block (page breaks allowed)."""
    texts = _section_texts(to_mrkdwn_chunks(section.body))
    units = [_Unit((bk.header(section.heading), bk.section(texts[0])))]
    return units + [_Unit((bk.section(text),)) for text in texts[1:]]


def _wrap_up_units(lesson: Lesson, owner: str) -> list[_Unit]:
    units = [_Unit((bk.divider(),))]
    concepts = [f"• *{escape(c.term)}*: {_one_paragraph(c.definition)}" for c in lesson.key_concepts]
    units += _titled_units("🔑 Key concepts", ["\n".join(concepts)])
    units += _titled_units("📝 Summary", to_mrkdwn_chunks(lesson.summary))
    units += _titled_units("🤔 Self-check", ["\n".join(f"• {_one_paragraph(q)}" for q in lesson.self_check)])
    if lesson.exercise is not None:
        units += _exercise_units(lesson, owner)
    units += _titled_units("➡️ Coming next", to_mrkdwn_chunks(lesson.next_preview))
    if lesson.resources:
        links = [f"• <{r.url}|{escape(r.title.replace('|', '¦'))}>" for r in lesson.resources]
        units += _titled_units("📖 Resources", ["\n".join(links)])
    return units


def _exercise_units(lesson: Lesson, owner: str) -> list[_Unit]:
    exercise = lesson.exercise
    assert exercise is not None
    units = _titled_units(f"🧪 Exercise: {escape(exercise.title)}", to_mrkdwn_chunks(exercise.instructions))
    if exercise.runs:
        buttons = [
            actions.RunExercise(owner=owner, lesson=lesson.id, args=run.args).button(run.label, index=n)
            for n, run in enumerate(exercise.runs)
        ]
        units.append(_Unit((bk.actions(*buttons),)))
    if exercise.look_for:
        units += _titled_units("👀 What to look for", to_mrkdwn_chunks(exercise.look_for))
    return units


def _titled_units(title: str, chunks: list[str]) -> list[_Unit]:
    texts = _section_texts([f"*{title}*", *chunks])
    return [_Unit((bk.section(text),)) for text in texts]


def _one_paragraph(markdown: str) -> str:
    return to_mrkdwn(markdown).replace("\n\n", "\n")


def _section_texts(chunks: list[str]) -> list[str]:
    """Chunks joined into section texts of at most 3000 characters, long chunks split by lines."""
    pieces = [piece for chunk in chunks for piece in _split_chunk(chunk, MAX_SECTION_TEXT)]
    texts: list[str] = []
    for piece in pieces:
        if texts and len(texts[-1]) + 2 + len(piece) <= MAX_SECTION_TEXT:
            texts[-1] += "\n\n" + piece
        else:
            texts.append(piece)
    return texts or [" "]


def _split_chunk(chunk: str, limit: int) -> list[str]:
    """A chunk too long for one section, cut at line ends (code stays fenced in every part)."""
    if len(chunk) <= limit:
        return [chunk]
    fenced = chunk.startswith("```\n") and chunk.endswith("\n```")
    lines = chunk[4:-4].split("\n") if fenced else chunk.split("\n")
    room = limit - 8 if fenced else limit
    parts, current = [], ""
    for line in lines:
        while len(line) > room:
            parts.append(current) if current else None
            current = ""
            parts.append(line[:room])
            line = line[room:]
        if current and len(current) + 1 + len(line) > room:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    parts.append(current)
    return [f"```\n{part}\n```" for part in parts] if fenced else parts
