"""The course cut into passages: what the tutor can quote and cite.

Every lesson gives its sections (long ones in paragraph-sized chunks), its key concepts, its quiz
explanations, its exercise and its summary; `content/glossary.yaml` gives short definitions of the
terms the course uses, each pointing at the lesson that teaches it. A passage knows its lesson and
section, so an answer can say "Lesson 3.2 · Learning rate".
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from bot.course.loader import Course, load_course

CHUNK_CHARS = 900
EMOJI_PREFIX = re.compile(r"^[^\w(\"'`*]+", re.UNICODE)


@dataclass(frozen=True)
class Passage:
    lesson: str
    section: str  # e.g. "Learning rate: the one that matters most", "Quiz", "Glossary: LoRA"
    kind: str  # section | concept | quiz | exercise | summary | glossary
    text: str  # what is quoted (mrkdwn as authored)
    page: int = 0  # the lesson page the section is on (0: the first)

    def label(self) -> str:
        return f"Lesson {self.lesson} · {self.section}"

    def to_dict(self) -> dict:
        return asdict(self)


def clean_heading(heading: str) -> str:
    """A section heading without its leading emoji: "📈 Learning rate" → "Learning rate"."""
    return EMOJI_PREFIX.sub("", heading).strip() or heading.strip()


def _chunks(body: str) -> list[str]:
    """Paragraph groups of about CHUNK_CHARS; a code block stays with the paragraph before it."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    chunks: list[str] = []
    current = ""
    for paragraph in paragraphs:
        if current and len(current) + len(paragraph) > CHUNK_CHARS and not paragraph.startswith("```"):
            chunks.append(current)
            current = paragraph
        else:
            current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        chunks.append(current)
    return chunks


def course_passages(course: Course, glossary: list[dict] | None = None) -> list[Passage]:
    from bot.course.render import page_count  # noqa: F401  (pages are the sections' order)

    passages: list[Passage] = []
    for lesson in course:
        for index, section in enumerate(lesson.sections):
            heading = clean_heading(section.heading)
            for chunk in _chunks(section.body):
                passages.append(Passage(lesson.id, heading, "section", chunk, index))
        for concept in lesson.key_concepts:
            passages.append(Passage(lesson.id, f"Key concept: {concept.term}", "concept",
                                    f"*{concept.term}*: {concept.definition}"))
        for question in lesson.quiz:
            passages.append(Passage(lesson.id, "Quiz", "quiz",
                                    f"{question.prompt.strip()}\n\n{question.explanation.strip()}"))
        if lesson.exercise:
            exercise = lesson.exercise
            text = exercise.instructions.strip() + ("\n\n" + exercise.look_for.strip() if exercise.look_for else "")
            passages.append(Passage(lesson.id, f"Exercise: {exercise.title}", "exercise", text))
        passages.append(Passage(lesson.id, "Summary", "summary", lesson.summary.strip()))
    for entry in glossary or []:
        passages.append(Passage(str(entry["lesson"]), f"Glossary: {entry['term']}", "glossary",
                                f"*{entry['term']}*: {entry['definition'].strip()}"))
    return passages


def read_glossary(content_dir: Path, course: Course) -> list[dict]:
    """content/glossary.yaml: a list of {term, definition, lesson}; entries naming no lesson are dropped."""
    path = Path(content_dir) / "glossary.yaml"
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [entry for entry in data if isinstance(entry, dict) and str(entry.get("lesson")) in course
            and entry.get("term") and entry.get("definition")]


def load_passages(content_dir: Path) -> list[Passage]:
    course = load_course(content_dir)
    return course_passages(course, read_glossary(content_dir, course))


def content_hash(content_dir: Path) -> str:
    """A digest of every file the passages come from: a change means the index is rebuilt."""
    directory = Path(content_dir)
    digest = hashlib.sha256()
    files = [directory / "course.yaml", directory / "glossary.yaml", *sorted((directory / "lessons").glob("*.yaml"))]
    for path in files:
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:20]
