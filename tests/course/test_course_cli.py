"""The `lessons` command line, run through click's test runner."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from bot.course.cli import lessons
from course_paths import BROKEN, FIXTURE_CONTENT


def _run(*args: str):
    return CliRunner().invoke(lessons, list(args), catch_exceptions=False)


def test_validate_ok():
    result = _run("validate", "--content-dir", str(FIXTURE_CONTENT))
    assert result.exit_code == 0
    assert result.output.strip() == "3 lessons OK"


def test_validate_prints_problems_and_exits_1(one_lesson_content):
    shutil.copy(BROKEN / "answer_not_in_choices.yaml", one_lesson_content / "lessons" / "1_1_x.yaml")
    result = _run("validate", "--content-dir", str(one_lesson_content))
    assert result.exit_code == 1
    assert f"{one_lesson_content.name}/lessons/1_1_x.yaml:30: lesson 1.1: quiz.0.answer: answer 'D'" in result.output


def test_validate_reports_yaml_syntax_errors_with_line(one_lesson_content):
    shutil.copy(BROKEN / "bad_yaml.yaml", one_lesson_content / "lessons" / "1_1_x.yaml")
    result = _run("validate", "--content-dir", str(one_lesson_content))
    assert result.exit_code == 1
    assert "lessons/1_1_x.yaml:10: YAML syntax error" in result.output


def test_list_shows_every_lesson():
    result = _run("list", "--content-dir", str(FIXTURE_CONTENT))
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[0].split() == ["id", "title", "module", "pages", "quiz", "min"]
    assert lines[1].split()[0] == "1.1" and lines[1].split()[-2:] == ["4", "8"]
    assert len(lines) == 4


def test_preview_text_has_pages_and_builder_links():
    result = _run("preview", "1.2", "--content-dir", str(FIXTURE_CONTENT))
    assert result.exit_code == 0
    assert "# Lesson 1.2: A Minimal Lesson" in result.output
    assert "──────── Page 1 of 2 ────────" in result.output
    assert "[ Continue ▸ ]" in result.output
    assert result.output.count("Block Kit Builder: https://app.slack.com/block-kit-builder/#") == 2 + 3


def test_preview_json_is_the_exact_messages():
    result = _run("preview", "1.2", "--json", "--content-dir", str(FIXTURE_CONTENT))
    messages = json.loads(result.output)
    assert len(messages) == 2 + 3
    assert all(set(message) == {"text", "blocks"} for message in messages)
    assert messages[-1]["blocks"][1]["elements"][0]["action_id"] == "quiz_answer_0"


def test_preview_unknown_lesson_fails():
    result = _run("preview", "9.9", "--content-dir", str(FIXTURE_CONTENT))
    assert result.exit_code != 0 and "no lesson '9.9'" in result.output
