"""The course as the bot sees it: loaded once, rendered to Slack messages on demand."""

from __future__ import annotations

from pathlib import Path

from bot.course import loader, render


class CourseService:
    def __init__(self, content_dir: Path | None = None):
        self.content_dir = content_dir or loader.default_content_dir()
        self.course = loader.load_course(self.content_dir)

    def sample_datasets(self) -> dict[str, Path]:
        """The course's sample data sets, by name (what `/finetune data=NAME` may use)."""
        from bot.finetune_request import sample_datasets

        return sample_datasets(self.content_dir)

    @property
    def lessons(self):
        return self.course.lessons

    def lesson(self, lesson_id: str):
        return self.course.lesson(lesson_id)

    def has(self, lesson_id: str) -> bool:
        return any(lesson.id == lesson_id for lesson in self.course.lessons)

    def position(self, lesson_id: str) -> int:
        return self.course.position(lesson_id)

    def next_after(self, lesson_id: str):
        return self.course.next_after(lesson_id)

    def page_count(self, lesson_id: str) -> int:
        return render.page_count(self.lesson(lesson_id), self.course)

    def deeper_page_count(self, lesson_id: str) -> int:
        return render.deeper_page_count(self.lesson(lesson_id))

    def page(self, lesson_id: str, page_index: int, owner: str) -> dict:
        return render.render_page(self.lesson(lesson_id), self.course, page_index, owner)

    def question(self, lesson_id: str, q_index: int, owner: str) -> dict:
        return render.render_question(self.lesson(lesson_id), q_index, owner)

    def answered_question(self, lesson_id: str, q_index: int, chosen: int, owner: str) -> dict:
        return render.render_answered_question(self.lesson(lesson_id), q_index, chosen, owner)

    def is_choice(self, lesson_id: str, question_id: str, choice: int) -> bool:
        """Whether a quiz button's payload names a real choice of a real question (a click can be forged)."""
        if not self.has(lesson_id):
            return False
        question = next((q for q in self.lesson(lesson_id).quiz if q.id == question_id), None)
        return question is not None and 0 <= choice < len(question.choices)

    def question_index(self, lesson_id: str, question_id: str) -> int:
        for index, question in enumerate(self.lesson(lesson_id).quiz):
            if question.id == question_id:
                return index
        raise KeyError(question_id)
