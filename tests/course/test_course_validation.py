"""The validator: clean on good content, pointed (field, line, message) on each broken file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.course.loader import ContentError, load_course, read_lesson, validate_content
from course_paths import BROKEN, FIXTURE_CONTENT, REAL_CONTENT

EXPECT = re.compile(r"^# expect: (?P<path>\S*) @ (?P<line>\d+): (?P<message>.+)$")
BROKEN_FILES = sorted(BROKEN.glob("*.yaml"))


def test_there_are_enough_broken_examples():
    assert len(BROKEN_FILES) >= 8


def test_fixture_content_is_valid():
    assert validate_content(FIXTURE_CONTENT) == []


@pytest.mark.parametrize("broken", BROKEN_FILES, ids=lambda path: path.stem)
def test_broken_lesson_is_reported_precisely(broken: Path, one_lesson_content: Path):
    expected = EXPECT.match(broken.read_text(encoding="utf-8").splitlines()[0])
    assert expected, f"{broken.name} must start with '# expect: <path> @ <line>: <message>'"
    shutil.copy(broken, one_lesson_content / "lessons" / f"1_1_{broken.name}")

    problems = validate_content(one_lesson_content)

    in_file = [p for p in problems if p.file.endswith(broken.name)]
    assert any(
        p.path == expected["path"] and p.line == int(expected["line"]) and expected["message"] in p.message
        for p in in_file
    ), "\n".join(map(str, problems))
    assert str(in_file[0]).startswith(f"{one_lesson_content.name}/lessons/1_1_{broken.name}:")


def test_problem_prints_as_file_line_lesson_path_message(one_lesson_content: Path):
    shutil.copy(BROKEN / "answer_not_in_choices.yaml", one_lesson_content / "lessons" / "1_1_x.yaml")
    [problem] = validate_content(one_lesson_content)
    assert str(problem) == (
        f"{one_lesson_content.name}/lessons/1_1_x.yaml:30: lesson 1.1: quiz.0.answer: "
        "answer 'D' is not one of the choices ['A', 'B', 'C']"
    )


def test_duplicate_lesson_id_across_files(content_copy: Path):
    lessons = content_copy / "lessons"
    shutil.copy(lessons / "1_2_minimal.yaml", lessons / "1_2_copy.yaml")
    messages = [p.message for p in validate_content(content_copy)]
    assert any("lesson id 1.2 is also used by" in m for m in messages), messages


def test_course_order_must_name_every_lesson_and_nothing_else(content_copy: Path):
    course = content_copy / "course.yaml"
    course.write_text(course.read_text().replace('["2.1"]', '["2.1", "2.2"]'))
    (content_copy / "lessons" / "1_2_minimal.yaml").unlink()
    extra = (FIXTURE_CONTENT / "lessons" / "1_2_minimal.yaml").read_text().replace('id: "1.2"', 'id: "9.9"')
    (content_copy / "lessons" / "9_9_extra.yaml").write_text(extra)

    problems = {str(p) for p in validate_content(content_copy)}

    assert any("course.yaml lists lesson 1.2 but no file" in p for p in problems), problems
    assert any("course.yaml lists lesson 2.2 but no file" in p for p in problems), problems
    assert any("lesson 9.9 is not in the course order" in p for p in problems), problems


def test_lesson_in_the_wrong_module(content_copy: Path):
    path = content_copy / "lessons" / "2_1_another_minimal.yaml"
    path.write_text(path.read_text().replace("module: data", "module: foundations"))
    [problem] = validate_content(content_copy)
    assert problem.path == "module" and "under module 'data'" in problem.message


def test_file_name_must_start_with_the_id(content_copy: Path):
    lessons = content_copy / "lessons"
    (lessons / "1_2_minimal.yaml").rename(lessons / "minimal.yaml")
    [problem] = validate_content(content_copy)
    assert "should start with '1_2_'" in problem.message


def test_course_yaml_schema_errors_have_lines(content_copy: Path):
    course = content_copy / "course.yaml"
    course.write_text(course.read_text().replace("id: data", "id: Data Module"))
    problems = validate_content(content_copy)
    assert any(p.file.endswith("course.yaml") and p.path == "modules.1.id" and p.line == 6 for p in problems)


def test_load_course_orders_and_navigates(fixture_course):
    assert [lesson.id for lesson in fixture_course.lessons] == ["1.1", "1.2", "2.1"]
    assert len(fixture_course) == 3
    assert fixture_course.lesson("1.2").title == "A Minimal Lesson"
    assert fixture_course.position("2.1") == 3
    assert fixture_course.next_after("1.1").id == "1.2"
    assert fixture_course.next_after("2.1") is None
    assert fixture_course.module_of("2.1").title == "Data"
    with pytest.raises(KeyError):
        fixture_course.lesson("7.7")


def test_load_course_is_cached_and_reads_no_environment(monkeypatch):
    """TUTOR_CONTENT_DIR belongs to the app's settings and the CLI's options, not to the loader."""
    first = load_course(FIXTURE_CONTENT)
    assert first is load_course(FIXTURE_CONTENT)
    assert [lesson.id for lesson in first] == ["1.1", "1.2", "2.1"]
    monkeypatch.setenv("TUTOR_CONTENT_DIR", str(FIXTURE_CONTENT))
    assert load_course() is not first


def test_the_lessons_cli_takes_the_content_folder_from_the_environment(monkeypatch):
    from click.testing import CliRunner

    from bot.course.cli import lessons

    result = CliRunner().invoke(lessons, ["list"], env={"TUTOR_CONTENT_DIR": str(FIXTURE_CONTENT)})
    assert result.exit_code == 0, result.output
    assert "Fixture" in result.output or "2.1" in result.output


def test_load_course_raises_with_the_problems(one_lesson_content: Path):
    shutil.copy(BROKEN / "duplicate_question_id.yaml", one_lesson_content / "lessons" / "1_1_x.yaml")
    with pytest.raises(ContentError) as raised:
        load_course(one_lesson_content)
    assert "duplicate question id 'q1'" in str(raised.value)
    assert raised.value.problems[0].line == 25


REAL_LESSONS = sorted((REAL_CONTENT / "lessons").glob("*.yaml"))


@pytest.mark.parametrize("path", REAL_LESSONS, ids=lambda path: path.stem)
def test_each_real_lesson_file_is_valid(path: Path):
    """Schema, Markdown subset and presets; data sets are checked by the whole-course test."""
    lesson, problems = read_lesson(path, REAL_CONTENT, check_datasets=False)
    assert problems == [], "\n".join(map(str, problems))


def _course_yaml_ids() -> list[str]:
    return re.findall(r'"(\d+\.\d+)"', (REAL_CONTENT / "course.yaml").read_text())


def test_real_course_yaml_names_every_lesson_file_once():
    """The number of lessons comes from the content: course.yaml and lessons/ agree."""
    problems = [p for p in validate_content(REAL_CONTENT) if p.file.endswith("course.yaml")]
    assert all("no file in lessons/ has that id" in p.message for p in problems), problems
    ids = _course_yaml_ids()
    assert len(ids) == len(set(ids)) == len(REAL_LESSONS) > 0


def test_real_content_validates_completely():
    datasets = list((REAL_CONTENT / "datasets").glob("*.csv"))
    if len(REAL_LESSONS) < len(_course_yaml_ids()) or not datasets:
        pytest.skip(f"course still being written: {len(REAL_LESSONS)} of {len(_course_yaml_ids())} "
                    f"lessons, {len(datasets)} data sets")
    problems = validate_content(REAL_CONTENT)
    assert problems == [], "\n".join(map(str, problems))
    assert len(load_course(REAL_CONTENT)) == len(_course_yaml_ids())


def test_no_lesson_count_is_written_into_the_docs_or_lessons():
    """Item 8: the course can grow, so no text says how many lessons it has."""
    root = REAL_CONTENT.parent
    texts = [root / "README.md", REAL_CONTENT / "README.md", root / "docs" / "lesson-format.md",
             *(REAL_CONTENT / "lessons").glob("*.yaml")]
    count = len(_course_yaml_ids())
    pattern = re.compile(rf"\b({count}|fifteen) lessons\b", re.IGNORECASE)
    assert [p.name for p in texts if pattern.search(p.read_text(encoding="utf-8"))] == []
