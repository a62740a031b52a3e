"""Loading and validating content/: course.yaml plus one YAML file per lesson.

`validate_content` collects every problem it can find (for authors and CI); `load_course` returns the
ordered course or raises `ContentError` with those problems. The course is read once per process and
per content directory: lessons change with a deploy, not while the bot runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from pydantic import ValidationError

import bot
from bot.course.reading import MAX_MINUTES, WORDS_PER_MINUTE, lesson_words, reading_minutes
from bot.course.schema import CourseSpec, Lesson, ModuleSpec
from bot.course.yaml_source import YamlSource, read_yaml



@dataclass(frozen=True)
class ValidationProblem:
    """One problem in the content, located as precisely as the YAML allows."""

    file: str
    lesson_id: str | None
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        lesson = f" lesson {self.lesson_id}:" if self.lesson_id else ""
        path = f" {self.path}:" if self.path else ""
        return f"{where}:{lesson}{path} {self.message}"


class ContentError(Exception):
    """The content does not validate; `problems` says where and why."""

    def __init__(self, problems: list[ValidationProblem]):
        self.problems = problems
        shown = "\n".join(str(problem) for problem in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} content problem(s):\n{shown}{more}")


@dataclass(frozen=True)
class Course:
    """The lessons in course order, with the modules that group them."""

    title: str
    modules: tuple[ModuleSpec, ...]
    lessons: tuple[Lesson, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {lesson.id: i for i, lesson in enumerate(self.lessons)})

    def __len__(self) -> int:
        return len(self.lessons)

    def __iter__(self) -> Iterator[Lesson]:
        return iter(self.lessons)

    def __contains__(self, lesson_id: object) -> bool:
        return lesson_id in self._index

    def lesson(self, lesson_id: str) -> Lesson:
        """The lesson with this id; KeyError names the id when there is none."""
        if lesson_id not in self._index:
            raise KeyError(f"no lesson {lesson_id!r}")
        return self.lessons[self._index[lesson_id]]

    def position(self, lesson_id: str) -> int:
        """1-based place of the lesson in the course."""
        self.lesson(lesson_id)
        return self._index[lesson_id] + 1

    def next_after(self, lesson_id: str) -> Lesson | None:
        """The lesson that follows, None after the last."""
        position = self.position(lesson_id)
        return self.lessons[position] if position < len(self.lessons) else None

    def module_of(self, lesson_id: str) -> ModuleSpec:
        lesson = self.lesson(lesson_id)
        return next(module for module in self.modules if module.id == lesson.module)


def default_content_dir() -> Path:
    """The project's own `content/` folder, next to the `bot` package. (`TUTOR_CONTENT_DIR` is read by
    `bot.config` for the app and by the `tutor lessons` options, not here.)"""
    return Path(bot.__file__).resolve().parents[1] / "content"


def load_course(content_dir: Path | None = None) -> Course:
    """The validated course, read once per process; raises ContentError on any problem."""
    directory = Path(content_dir) if content_dir is not None else default_content_dir()
    return _load_cached(directory.resolve())


def clear_course_cache() -> None:
    """Forget loaded courses (tests and content tooling that edit files)."""
    _load_cached.cache_clear()


@lru_cache(maxsize=8)
def _load_cached(content_dir: Path) -> Course:
    scan = _scan(content_dir)
    if scan.problems:
        raise ContentError(scan.problems)
    assert scan.spec is not None
    ordered = [scan.lessons[lesson_id] for module in scan.spec.modules for lesson_id in module.lessons]
    return Course(scan.spec.title, tuple(scan.spec.modules), tuple(ordered))


def validate_content(content_dir: Path | None = None) -> list[ValidationProblem]:
    """Every problem in the content directory: schema, ids, course order, modules, data sets."""
    directory = Path(content_dir) if content_dir is not None else default_content_dir()
    return _scan(directory).problems


def read_lesson(
    path: Path, content_dir: Path, check_datasets: bool = True
) -> tuple[Lesson | None, list[ValidationProblem]]:
    """One lesson file checked on its own (schema, file name, data sets), without the course.

    `check_datasets=False` lets tools render a lesson whose sample data set is not written yet.
    """
    lesson, _source, problems = _read_lesson(path, content_dir, check_datasets)
    return lesson, problems


def _read_lesson(
    path: Path, content_dir: Path, check_datasets: bool = True
) -> tuple[Lesson | None, YamlSource | None, list[ValidationProblem]]:
    source, problems = _read(path, content_dir, None)
    if source is None:
        return None, None, problems
    lesson_id = _raw_id(source.data)
    try:
        context = {"datasets_dir": content_dir / "datasets"} if check_datasets else {}
        lesson = Lesson.model_validate(source.data, context=context)
    except ValidationError as error:
        return None, source, problems + _schema_problems(error, source, _display(path, content_dir), lesson_id)
    problems += _duration_problems(lesson, source, path, content_dir)
    prefix = lesson.id.replace(".", "_") + "_"
    if not path.name.startswith(prefix):
        problems.append(
            _problem(path, content_dir, lesson.id, "id", source,
                     f"the file name should start with {prefix!r} (lesson id {lesson.id})")
        )
    return lesson, source, problems


def _duration_problems(lesson: Lesson, source: YamlSource, path: Path,
                       content_dir: Path) -> list[ValidationProblem]:
    """`duration_minutes` is the reading time of the text, and no lesson takes over MAX_MINUTES."""
    minutes, words = reading_minutes(lesson), lesson_words(lesson)
    if minutes > MAX_MINUTES:
        cut = words - MAX_MINUTES * WORDS_PER_MINUTE
        return [_problem(path, content_dir, lesson.id, "duration_minutes", source,
                         f"the lesson takes {minutes} minutes to read ({words} words at "
                         f"{WORDS_PER_MINUTE} a minute, quiz included); the limit is {MAX_MINUTES}: "
                         f"cut about {cut} words or move sections to go_deeper")]
    if lesson.duration_minutes != minutes:
        return [_problem(path, content_dir, lesson.id, "duration_minutes", source,
                         f"duration_minutes is {lesson.duration_minutes} but the text takes "
                         f"{minutes} minutes to read ({words} words at {WORDS_PER_MINUTE} a "
                         f"minute): write {minutes}")]
    return []


@dataclass
class _Scan:
    spec: CourseSpec | None = None
    lessons: dict[str, Lesson] = field(default_factory=dict)
    problems: list[ValidationProblem] = field(default_factory=list)


def _scan(content_dir: Path) -> _Scan:
    scan = _Scan()
    course_path = content_dir / "course.yaml"
    course_source, scan.problems = _read(course_path, content_dir, None)
    if course_source is not None:
        try:
            scan.spec = CourseSpec.model_validate(course_source.data)
        except ValidationError as error:
            scan.problems += _schema_problems(error, course_source, _display(course_path, content_dir), None)
    lesson_files = sorted((content_dir / "lessons").glob("*.yaml"))
    if not lesson_files:
        scan.problems.append(ValidationProblem(_display(content_dir / "lessons", content_dir), None, "",
                                               "no lesson files (*.yaml)"))
    sources: dict[str, tuple[Path, YamlSource | None]] = {}
    for path in lesson_files:
        lesson, source, problems = _read_lesson(path, content_dir)
        scan.problems += problems
        if lesson is None:
            continue
        if lesson.id in sources:
            first = _display(sources[lesson.id][0], content_dir)
            scan.problems.append(
                _problem(path, content_dir, lesson.id, "id", source, f"lesson id {lesson.id} is also used by {first}")
            )
            continue
        sources[lesson.id] = (path, source)
        scan.lessons[lesson.id] = lesson
    if scan.spec is not None and course_source is not None:
        scan.problems += _course_order_problems(scan, content_dir, course_source, sources)
    return scan


def _course_order_problems(
    scan: _Scan, content_dir: Path, course_source: YamlSource, sources: dict[str, tuple[Path, YamlSource | None]]
) -> list[ValidationProblem]:
    """The course order names every lesson once, and each lesson sits in the module it names."""
    assert scan.spec is not None
    problems: list[ValidationProblem] = []
    course_path = content_dir / "course.yaml"
    listed_in = {lesson_id: module for module in scan.spec.modules for lesson_id in module.lessons}
    for m, module in enumerate(scan.spec.modules):
        for n, lesson_id in enumerate(module.lessons):
            if lesson_id not in sources and lesson_id not in _ids_with_schema_errors(scan):
                problems.append(
                    _problem(course_path, content_dir, lesson_id, f"modules.{m}.lessons.{n}", course_source,
                             f"course.yaml lists lesson {lesson_id} but no file in lessons/ has that id")
                )
    module_ids = [module.id for module in scan.spec.modules]
    for lesson_id, (path, source) in sources.items():
        lesson = scan.lessons[lesson_id]
        if lesson.module not in module_ids:
            message = f"unknown module {lesson.module!r} (course.yaml has: {', '.join(module_ids)})"
            problems.append(_problem(path, content_dir, lesson_id, "module", source, message))
        elif lesson_id not in listed_in:
            message = f"lesson {lesson_id} is not in the course order of course.yaml"
            problems.append(_problem(path, content_dir, lesson_id, "id", source, message))
        elif listed_in[lesson_id].id != lesson.module:
            listed = listed_in[lesson_id].id
            message = f"course.yaml lists lesson {lesson_id} under module {listed!r}, not {lesson.module!r}"
            problems.append(_problem(path, content_dir, lesson_id, "module", source, message))
    return problems


def _ids_with_schema_errors(scan: _Scan) -> set[str]:
    """Ids of lesson files that exist but failed validation: not also reported as missing."""
    return {problem.lesson_id for problem in scan.problems if problem.lesson_id}


def _read(path: Path, content_dir: Path, lesson_id: str | None) -> tuple[YamlSource | None, list[ValidationProblem]]:
    if not path.is_file():
        return None, [ValidationProblem(_display(path, content_dir), lesson_id, "", "file not found")]
    source, yaml_problems = read_yaml(path)
    lesson_id = lesson_id or (_raw_id(source.data) if source else None)
    problems = [
        ValidationProblem(_display(path, content_dir), lesson_id, problem.path, problem.message, problem.line)
        for problem in yaml_problems
    ]
    if source is not None and not isinstance(source.data, dict):
        message = "the file must be a YAML mapping of field: value"
        problems.append(ValidationProblem(_display(path, content_dir), lesson_id, "", message, 1))
        return None, problems
    return source, problems


def _schema_problems(
    error: ValidationError, source: YamlSource, file: str, lesson_id: str | None
) -> list[ValidationProblem]:
    problems = []
    for detail in error.errors(include_url=False):
        location = tuple(detail["loc"])
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "missing":
            message = f"required field {location[-1]!r} is missing"
        elif detail["type"] == "extra_forbidden":
            message = f"unknown field {location[-1]!r}"
        problems.append(
            ValidationProblem(file, lesson_id, ".".join(map(str, location)), message, source.line_of(location))
        )
    return problems


def _problem(
    path: Path, content_dir: Path, lesson_id: str | None, location: str, source: YamlSource | None, message: str
) -> ValidationProblem:
    parts = [int(part) if part.isdigit() else part for part in location.split(".")] if location else []
    line = source.line_of(parts) if source is not None else None
    return ValidationProblem(_display(path, content_dir), lesson_id, location, message, line)


def _raw_id(data: Any) -> str | None:
    value = data.get("id") if isinstance(data, dict) else None
    return str(value) if value is not None else None


def _display(path: Path, content_dir: Path) -> str:
    """Paths as an author types them: relative to the content directory's parent."""
    try:
        return str(path.resolve().relative_to(content_dir.resolve().parent))
    except ValueError:
        return str(path)
