"""From a question to an answer: retrieval, the in-scope decision, citations and the extractive text.

The same `Tutor.ask` answers `tutor ask` and Slack. An answer quotes the best passage(s) and names
them ("Lesson 3.2 · Learning rate"); below the relevance threshold it says the course does not cover
the question and lists the closest lessons, if any come near. Context changes the ranking, never the
threshold: a lesson the question was asked under is preferred, a fine-tune run's facts are put first
(see `bot.tutor.runs`), and "what next?" questions point at the learner's next lesson.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.tutor.retrieve import Hit

THRESHOLDS = {"lexical": 0.67, "semantic": 0.38, "hybrid": 0.45}  # tuned on bench/tutor_qa.yaml
NEAR = 0.8  # a lesson counts as "closest" when its score reaches this share of the threshold
QUOTE_CHARS = 700
MAX_QUESTION = 2000
NEXT_WORDS = re.compile(r"^\s*(what(?:'s| is)? next|what should i (?:learn|do|read|study) next|next lesson|where (?:do|should) i go next)\b",
                        re.IGNORECASE)


def threshold_for(mode: str) -> float:
    return THRESHOLDS[mode]


@dataclass(frozen=True)
class Citation:
    lesson: str
    section: str
    score: float
    page: int = 0

    def to_dict(self) -> dict:
        return {"lesson": self.lesson, "section": self.section, "score": round(self.score, 3)}

    def label(self) -> str:
        return f"Lesson {self.lesson} · {self.section}"


@dataclass
class Answer:
    in_scope: bool
    text: str  # mrkdwn; quotes are the course's own text
    citations: list[Citation] = field(default_factory=list)
    closest: list[str] = field(default_factory=list)  # lesson ids, when out of scope
    kind: str = "course"  # course | declined | next | empty | run
    generated: bool = False
    sources: list = field(default_factory=list)  # the quoted passages (for a generated answer's prompt)
    run_facts: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"in_scope": self.in_scope, "answer": self.text,
                "citations": [c.to_dict() for c in self.citations]}


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    text = text.strip()
    if len(text) > limit:
        cut = text[:limit]
        end = max(cut.rfind(". "), cut.rfind("\n"))
        text = (cut[: end + 1] if end > limit // 2 else cut).rstrip() + " …"
    if "```" in text:
        return text  # a quote marker would break a code block
    return "\n".join("> " + line if line.strip() else ">" for line in text.splitlines())


class Tutor:
    """Answers from an index (`bot.tutor.index.TutorIndex`); `lesson_titles` names lessons in replies."""

    def __init__(self, index, lesson_titles: dict[str, str], mode: str = "hybrid"):
        self.index = index
        self.titles = lesson_titles
        self.mode = mode if index.semantic else "lexical"
        self.threshold = threshold_for(self.mode)

    def ask(self, question: str, *, lesson: str | None = None, next_lesson: str | None = None,
            run_facts: list[str] | None = None, run_terms: str = "") -> Answer:
        question = (question or "").strip()[:MAX_QUESTION]
        if not re.search(r"\w", question):
            return Answer(False, "Ask me anything about the course: for example _why is my macro-F1 lower "
                                 "than accuracy?_ or _what learning rate should I use?_", kind="empty")
        if NEXT_WORDS.search(question) and next_lesson:
            title = self.titles.get(next_lesson, "")
            return Answer(True, f"Your next lesson is *Lesson {next_lesson}: {title}*. Open it with the button "
                                f"below, or type `/lesson {next_lesson}`.",
                          [Citation(next_lesson, title, 1.0)], kind="next")
        hits = self.index.retriever.search(f"{question}\n{run_terms}" if run_terms else question,
                                           mode=self.mode, k=6, prefer_lesson=lesson)
        best = hits[0] if hits else None
        if run_facts:  # a question about a run is in scope: the run's numbers answer part of it
            return self._answer(hits, run_facts)
        if best is None or best.score < self.threshold:
            closest = []
            for lesson_id, score in self.index.retriever.lessons(question, mode=self.mode, k=3):
                if score >= self.threshold * NEAR:
                    closest.append(lesson_id)
            return self._decline(closest)
        return self._answer(hits, None)

    def _answer(self, hits: list[Hit], run_facts: list[str] | None) -> Answer:
        chosen = [hits[0]]
        for hit in hits[1:]:
            if len(chosen) == 2:
                break
            if hit.score >= max(self.threshold, chosen[0].score * 0.9) and \
                    (hit.passage.lesson, hit.passage.section) != (chosen[0].passage.lesson, chosen[0].passage.section):
                chosen.append(hit)
        citations = [Citation(h.passage.lesson, h.passage.section, h.score, h.passage.page) for h in chosen]
        parts = []
        if run_facts:
            parts.append("*Your run:*\n" + "\n".join(f"• {fact}" for fact in run_facts))
        for hit in chosen:
            parts.append(f"*{hit.passage.label()}*\n{quote(hit.passage.text)}")
        parts.append("_Try it yourself first: which part of this matches what you see? The lesson has the full "
                     "explanation and a quiz to check yourself._")
        return Answer(True, "\n\n".join(parts), citations, kind="run" if run_facts else "course",
                      sources=[h.passage for h in chosen], run_facts=list(run_facts or []))

    def _decline(self, closest: list[str]) -> Answer:
        text = "The course does not cover that, so I would rather not guess."
        if closest:
            names = ", ".join(f"*Lesson {c}: {self.titles.get(c, '')}*" for c in closest)
            text += f" The closest lessons are {names}."
        return Answer(False, text, closest=closest, kind="declined")


def open_tutor(content_dir, index_dir) -> Tutor:
    """The tutor for this content: its index opened (rebuilt if the content changed) and lesson titles."""
    from bot.course.loader import load_course
    from bot.tutor.index import TutorIndex

    course = load_course(content_dir)
    return Tutor(TutorIndex.open(content_dir, index_dir), {lesson.id: lesson.title for lesson in course})
