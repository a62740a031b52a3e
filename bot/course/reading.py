"""How long a lesson takes to read, computed from its text, so `duration_minutes` is honest.

Everything the learner is expected to read counts: objectives, sections, key concepts, summary,
self-check, quiz (prompts, choices, explanations), the exercise and the preview of the next lesson.
The optional "Go deeper" sections and the resource links do not. Code counts word by word.
"""

from __future__ import annotations

import math
import re

WORDS_PER_MINUTE = 200
MAX_MINUTES = 10
_WORD = re.compile(r"[A-Za-z0-9À-ÿ_'’.,%×=/+-]*[A-Za-z0-9À-ÿ]")


def words(text: str | None) -> int:
    return len(_WORD.findall(text or ""))


def lesson_words(lesson) -> int:
    texts = [*lesson.objectives, lesson.summary, *lesson.self_check, lesson.next_preview]
    for section in lesson.sections:
        texts += [section.heading, section.body]
    for concept in lesson.key_concepts:
        texts += [concept.term, concept.definition]
    for question in lesson.quiz:
        texts += [question.prompt, *question.choices, question.explanation]
    if lesson.exercise is not None:
        texts += [lesson.exercise.title, lesson.exercise.instructions, lesson.exercise.look_for]
    return sum(words(text) for text in texts)


def reading_minutes(lesson) -> int:
    """Minutes at WORDS_PER_MINUTE, rounded up (at least 1)."""
    return max(1, math.ceil(lesson_words(lesson) / WORDS_PER_MINUTE))
