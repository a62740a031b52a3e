"""Quiz and review answers, and "Next lesson", in process."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.store.models import QuizAnswer
from tests.helpers import (ADA, LIN, TEAM, answer, buttons, dm, lesson_count, read_whole_lesson, text_of, wait_dm,
                           wait_journal)
from tests.inprocess import covers


def count_answers(t, user=None) -> int:
    query = select(func.count()).select_from(QuizAnswer)
    if user:
        query = query.where(QuizAnswer.user_id == user)
    with t.services.db.session() as session:
        return session.scalar(query)


@covers("handlers.quiz.quiz_answered")
def test_an_answer_is_stored_once_and_the_question_updates_in_place(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "1.1")
    question = read_whole_lesson(t, LIN, "1.1")[0]
    first = answer(t, LIN, question, right=False)
    assert first.status == 200
    assert count_answers(t, LIN) == 1, "the answer is stored before the ack"
    t.ws.resend(first)
    t.ws.resend(first)
    t.settle()
    assert count_answers(t, LIN) == 1
    updates = [e for e in t.ws.journal("chat.update") if e["args"].get("ts") == question["ts"]]
    assert len(updates) == 1 and "❌" in json.dumps(updates[0]["args"], ensure_ascii=False)


@covers("handlers.quiz.quiz_answered")
def test_a_click_on_another_learners_quiz_changes_nothing(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "1.1")
    question = read_whole_lesson(t, LIN, "1.1")[0]
    assert answer(t, ADA, question, right=True).status == 200
    t.wait(lambda: [e for e in t.ws.journal(kind="response_url") if "belongs to someone else" in json.dumps(e["body"])])
    t.settle()
    assert count_answers(t) == 0
    assert not [e for e in t.ws.journal("chat.update") if e["args"].get("ts") == question["ts"]]


@covers("handlers.quiz.quiz_answered", "handlers.lessons.next_clicked")
def test_completion_then_next_lesson_once(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "1.1")
    questions = read_whole_lesson(t, LIN, "1.1")
    for number, message in enumerate(questions):
        answer(t, LIN, message, right=number != 0)
    done = wait_dm(t.ws, LIN, lambda m: "complete" in m.get("text", "") and buttons(m, "lesson_next"))[0]
    assert f"{len(questions) - 1}/{len(questions)}" in done["text"]
    click = t.ws.click(LIN, done, "lesson_next")
    wait_dm(t.ws, LIN, lambda m: "Lesson 1.2" in text_of(m))
    t.ws.resend(click)  # a double click sends nothing more
    t.settle()
    assert len([m for m in dm(t.ws, LIN) if f"Lesson 2 of {lesson_count()}" in text_of(m)]) == 1


@covers("handlers.quiz.review_answered")
def test_a_missed_question_comes_back_for_review_and_is_answered_once(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "1.1")
    for number, message in enumerate(read_whole_lesson(t, LIN, "1.1")):
        answer(t, LIN, message, right=number != 0)
    wait_dm(t.ws, LIN, lambda m: "1.1 complete" in m.get("text", ""))
    t.ws.slash(LIN, "/lesson", "1.2")
    for message in read_whole_lesson(t, LIN, "1.2"):
        answer(t, LIN, message, right=True)
    review = wait_dm(t.ws, LIN, lambda m: m.get("text", "").startswith("Review"))[0]
    value = json.loads(buttons(review, "review_answer_")[0]["value"])
    item = t.services.learning.review_item(value["r"])
    question = next(q for q in t.services.course.lesson("1.1").quiz if q.id == item.question_id)
    right = question.choices.index(question.answer)
    assert t.ws.click(ADA, review, f"review_answer_{right}").status == 200  # not Ada's review
    click = t.ws.click(LIN, review, f"review_answer_{right}")
    wait_journal(t.ws, "chat.update", where=lambda e: e["args"].get("ts") == review["ts"])
    t.ws.resend(click)
    t.settle()
    assert t.services.learning.review_item(value["r"]).resolved_at is not None
    assert len([e for e in t.ws.journal("chat.update") if e["args"].get("ts") == review["ts"]]) == 1
    assert "Right" in text_of(t.ws.state.find_message(review["channel"], review["ts"]))
    assert t.services.learning.answers(TEAM, LIN, "1.1")[question.id].correct is False, "reviews keep apart"
