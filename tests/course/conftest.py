"""Fixtures for the course tests: the fixture content folder and throw-away copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.course.loader import Course, clear_course_cache, load_course
from course_paths import FIXTURE_CONTENT


@pytest.fixture(autouse=True)
def _fresh_course_cache():
    clear_course_cache()
    yield
    clear_course_cache()


@pytest.fixture
def fixture_course() -> Course:
    return load_course(FIXTURE_CONTENT)


@pytest.fixture
def one_lesson_content(tmp_path: Path) -> Path:
    """A content folder whose course lists only lesson 1.1, with the sample data set, no lessons yet."""
    (tmp_path / "lessons").mkdir()
    shutil.copytree(FIXTURE_CONTENT / "datasets", tmp_path / "datasets")
    (tmp_path / "course.yaml").write_text(
        'title: T\nmodules:\n  - id: foundations\n    title: F\n    lessons: ["1.1"]\n', encoding="utf-8"
    )
    return tmp_path


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture content."""
    target = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, target)
    return target
