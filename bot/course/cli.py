"""`lessons` commands for course authors: list, validate and preview the content.

Wired into the main command line by `cli.add_command(bot.course.cli.lessons)`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from bot.course.loader import ContentError, Course, load_course, validate_content
from bot.course.render import (
    builder_url,
    lesson_pages,
    page_count,
    render_answered_question,
    render_question,
)

PREVIEW_OWNER = "U_PREVIEW"

_content_dir_option = click.option(
    "--content-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    envvar="TUTOR_CONTENT_DIR",
    help="Content folder (default: TUTOR_CONTENT_DIR or the project's content/).",
)


@click.group()
def lessons() -> None:
    """List, validate and preview the course's lessons."""


@lessons.command("list")
@_content_dir_option
def list_lessons(content_dir: Path | None) -> None:
    """One line per lesson: id, title, module, pages, quiz questions, minutes."""
    course = _course_or_exit(content_dir)
    rows = [("id", "title", "module", "pages", "quiz", "min")]
    for lesson in course:
        rows.append((lesson.id, lesson.title, lesson.module, str(page_count(lesson, course)),
                     str(len(lesson.quiz)), str(lesson.duration_minutes)))
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(widths[c]) for c, cell in enumerate(row)).rstrip())


@lessons.command()
@_content_dir_option
def validate(content_dir: Path | None) -> None:
    """Check every content file; print each problem as file:line and exit 1 if there is any."""
    problems = validate_content(content_dir)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        raise SystemExit(1)
    click.echo(f"{len(load_course(content_dir))} lessons OK")


@lessons.command()
@click.argument("lesson_id")
@click.option("--json", "as_json", is_flag=True, help="Print the exact Slack messages as JSON.")
@_content_dir_option
def preview(lesson_id: str, as_json: bool, content_dir: Path | None) -> None:
    """Show a lesson's pages and quiz as text with Block Kit Builder links, or as JSON messages."""
    course = _course_or_exit(content_dir)
    if lesson_id not in course:
        raise click.ClickException(f"no lesson {lesson_id!r}; try `lessons list`")
    lesson = course.lesson(lesson_id)
    messages = lesson_pages(lesson, course, PREVIEW_OWNER)
    messages += [render_question(lesson, q, PREVIEW_OWNER) for q in range(len(lesson.quiz))]
    if as_json:
        click.echo(json.dumps(messages, ensure_ascii=False, indent=2))
        return
    pages = page_count(lesson, course)
    for index, message in enumerate(messages):
        title = f"Page {index + 1} of {pages}" if index < pages else f"Quiz question {index - pages + 1}"
        click.echo(f"──────── {title} ────────")
        click.echo(message_as_text(message))
        click.echo(f"\nBlock Kit Builder: {builder_url(message)}\n")
    for q, question in enumerate(lesson.quiz):
        answered = render_answered_question(lesson, q, question.answer_index, PREVIEW_OWNER)
        click.echo(f"──────── Quiz question {q + 1}, answered right ────────")
        click.echo(message_as_text(answered) + "\n")


def message_as_text(message: dict[str, Any]) -> str:
    """A rough terminal rendering of a message: enough to proofread pages."""
    lines: list[str] = []
    for block in message["blocks"]:
        kind = block["type"]
        if kind == "header":
            lines.append(f"\n# {block['text']['text']}")
        elif kind == "section":
            lines.append(block["text"]["text"])
        elif kind == "context":
            lines.append(" | ".join(element["text"] for element in block["elements"]))
        elif kind == "divider":
            lines.append("─" * 40)
        elif kind == "actions":
            lines.append("  ".join(f"[ {element['text']['text']} ]" for element in block["elements"]))
    return "\n".join(lines)


def _course_or_exit(content_dir: Path | None) -> Course:
    try:
        return load_course(content_dir)
    except ContentError as error:
        raise click.ClickException(f"{error}\nRun `lessons validate` for the full list.") from error


@lessons.command("index")
@_content_dir_option
@click.option("--index-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              envvar="TUTOR_INDEX_DIR", help="Where the index goes (default: TUTOR_INDEX_DIR or <data dir>/tutor-index).")
@click.option("--rebuild-table", is_flag=True, help="Distil the MiniLM token table again even if one exists.")
def index_lessons(content_dir: Path | None, index_dir: Path | None, rebuild_table: bool) -> None:
    """Build the tutor's index of the course: the MiniLM token table (once, torch) and the passages."""
    import time

    from bot.config import load_settings
    from bot.course.loader import default_content_dir
    from bot.tutor.embed import table_fingerprint, write_table
    from bot.tutor.index import TutorIndex, shared_table_dir

    _course_or_exit(content_dir)
    content_dir = content_dir or load_settings().content_dir or default_content_dir()
    index_dir = index_dir or load_settings().index_dir
    table_dir = shared_table_dir()
    if rebuild_table or not (table_fingerprint(index_dir) or table_fingerprint(table_dir)):
        from bot.tutor.distill import FullModel, model_fingerprint

        click.echo("distilling all-MiniLM-L6-v2 into a static token table (once; a minute or two on a CPU)...")
        started = time.monotonic()
        model = FullModel()
        write_table(table_dir, model.token_table(), model.path / "tokenizer.json", model_fingerprint(model.path))
        click.echo(f"token table written to {table_dir} in {time.monotonic() - started:.0f} s")
    index = TutorIndex.open(content_dir, index_dir)
    click.echo(f"{len(index.passages)} passages indexed in {index_dir} "
               f"({'hybrid: BM25 + MiniLM' if index.semantic else 'BM25 only'})")
