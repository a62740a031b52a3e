"""Pydantic models of content/course.yaml and of one lesson file (docs/lesson-format.md).

Extra keys are forbidden so that a typo (`explaination:`) is an error, not a silently missing field.
Limits come from the format doc and from Slack: a header block holds 150 characters, a button 75.
Validation context `{"datasets_dir": Path}` turns on the check that exercise data sets exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from bot.course.exercise_args import args_problems
from bot.course.markdown_rules import markdown_problems

MAX_HEADER_CHARS = 150


def _check_markdown(text: str) -> str:
    problems = markdown_problems(text)
    if problems:
        raise ValueError("; ".join(problems))
    return text


def _text(max_length: int) -> type[str]:
    """A non-blank string of at most `max_length` characters."""
    return Annotated[str, StringConstraints(min_length=1, max_length=max_length, pattern=r"\S")]


def _markdown(max_length: int) -> type[str]:
    return Annotated[_text(max_length), AfterValidator(_check_markdown)]


LessonId = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]*\.[1-9][0-9]*$")]
ModuleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$", max_length=40)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s<>|]+$", max_length=500)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModuleSpec(_Strict):
    id: ModuleId
    title: _text(100)
    lessons: list[LessonId] = Field(min_length=1)


class CourseSpec(_Strict):
    """content/course.yaml: the modules, in order, and the lessons of each, in order."""

    title: _text(150)
    modules: list[ModuleSpec] = Field(min_length=1)

    @field_validator("modules")
    @classmethod
    def _unique_ids(cls, modules: list[ModuleSpec]) -> list[ModuleSpec]:
        _reject_duplicates([module.id for module in modules], "module id")
        _reject_duplicates([lesson for module in modules for lesson in module.lessons], "lesson")
        return modules


class Section(_Strict):
    heading: _text(MAX_HEADER_CHARS)
    body: _markdown(20_000)


class KeyConcept(_Strict):
    term: _text(80)
    definition: _markdown(500)


class QuizQuestion(_Strict):
    id: QuestionId
    kind: Literal["single_choice", "yes_no"]
    prompt: _markdown(2000)
    choices: list[_text(70)] = Field(min_length=2, max_length=5)
    answer: str
    explanation: _markdown(2000)

    @field_validator("choices")
    @classmethod
    def _choices_fit_kind(cls, choices: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("kind") == "yes_no" and choices != ["Yes", "No"]:
            raise ValueError(f'a yes_no question has exactly the choices ["Yes", "No"], not {choices}')
        _reject_duplicates(choices, "choice")
        return choices

    @field_validator("answer")
    @classmethod
    def _answer_is_a_choice(cls, answer: str, info: ValidationInfo) -> str:
        choices = info.data.get("choices")
        if choices is not None and answer not in choices:
            raise ValueError(f"answer {answer!r} is not one of the choices {choices}")
        return answer

    @property
    def answer_index(self) -> int:
        return self.choices.index(self.answer)


class ExerciseRun(_Strict):
    label: _text(40)
    args: _text(500)

    @field_validator("args")
    @classmethod
    def _args_are_a_valid_preset(cls, args: str, info: ValidationInfo) -> str:
        datasets_dir = (info.context or {}).get("datasets_dir")
        problems = args_problems(args, Path(datasets_dir) if datasets_dir else None)
        if problems:
            raise ValueError("; ".join(problems))
        return args


class Exercise(_Strict):
    title: _text(MAX_HEADER_CHARS)
    instructions: _markdown(6000)
    runs: list[ExerciseRun] = Field(default_factory=list, max_length=3)
    look_for: _markdown(3000) | None = None


class Resource(_Strict):
    title: _text(150)
    url: Url


class Lesson(_Strict):
    """One lesson file. Field order matters: `title` is checked after `id` and `emoji`."""

    id: LessonId
    module: ModuleId
    emoji: _text(32) | None = None
    title: _text(MAX_HEADER_CHARS)
    # Must equal the reading time computed from the text (bot/course/reading.py), at most 10.
    duration_minutes: int = Field(ge=1, le=10)
    difficulty: Literal["beginner", "intermediate", "advanced"]
    prerequisites: list[_text(200)] = Field(default_factory=list, max_length=6)
    objectives: list[_markdown(300)] = Field(min_length=2, max_length=6)
    sections: list[Section] = Field(min_length=1, max_length=15)
    # Optional reading after the lesson (longer code, worked examples): not in the duration or quiz.
    go_deeper: list[Section] = Field(default_factory=list, max_length=8)
    key_concepts: list[KeyConcept] = Field(min_length=3, max_length=8)
    summary: _markdown(2800)
    self_check: list[_markdown(500)] = Field(min_length=2, max_length=5)
    quiz: list[QuizQuestion] = Field(min_length=3, max_length=10)
    exercise: Exercise | None = None
    next_preview: _markdown(1000)
    resources: list[Resource] = Field(default_factory=list, max_length=8)

    @field_validator("title")
    @classmethod
    def _header_fits_slack(cls, title: str, info: ValidationInfo) -> str:
        header = header_text(info.data.get("id", "?"), title, info.data.get("emoji"))
        if len(header) > MAX_HEADER_CHARS:
            raise ValueError(
                f"the header {header[:40]!r}... is {len(header)} characters (Slack allows {MAX_HEADER_CHARS})"
            )
        return title

    @field_validator("quiz")
    @classmethod
    def _unique_question_ids(cls, quiz: list[QuizQuestion]) -> list[QuizQuestion]:
        _reject_duplicates([question.id for question in quiz], "question id")
        return quiz

    @property
    def header(self) -> str:
        return header_text(self.id, self.title, self.emoji)


def header_text(lesson_id: str, title: str, emoji: str | None) -> str:
    """The lesson header as Slack shows it: "📚 Lesson 1.1: What is Fine-Tuning?"."""
    return f"{emoji + ' ' if emoji else ''}Lesson {lesson_id}: {title}"


def _reject_duplicates(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)
