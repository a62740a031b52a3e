"""Quiz and review buttons: the message updates in place, once; the first answer is the score."""

from __future__ import annotations

from bot import views
from bot.actions import QuizAnswer, ReviewAnswer, read_click
from handlers.common import BUSY_SAVED, after_ack, not_yours, own_click


def quiz_ack(ack, body, action, services):
    """The answer is stored BEFORE the ack (one short insert), so an acknowledged answer survives
    a crash; everything else (the update in place, completion) happens after, in `quiz_answered`."""
    read = read_click(QuizAnswer, body, action)
    answer = read.click
    if not read.mine or not services.course.is_choice(answer.lesson, answer.question, answer.choice):
        ack()
        return (read, None) if read.foreign else None  # someone else's quiz: told so after the ack
    outcome = services.learning.record_answer(read.team_id, read.user_id, answer.lesson, answer.question,
                                              answer.choice)
    ack()
    if not outcome.first and not outcome.completed:
        return None  # a second click, a double click or a retry: the first answer stands, nothing changes
    return read, outcome  # (or that click completed a lesson left unfinished by a crash: then say so now)


def quiz_answered(body, client, services, acked):
    """After the ack: the question redrawn in place with its explanation, and the score when that
    answer completed the lesson (or, for someone else's quiz, a note that it is not theirs)."""
    read, outcome = acked
    if outcome is None:
        not_yours(client, body)
        return
    answer, team_id, user_id = read.click, read.team_id, read.user_id
    services.learning.settle(team_id, user_id, answer.lesson, outcome)
    services.drips.mark_opened(team_id, user_id)
    channel = body["channel"]["id"]
    index = services.course.question_index(answer.lesson, answer.question)
    msg = services.course.answered_question(answer.lesson, index, outcome.choice, user_id)
    client.chat_update(channel=channel, ts=body["message"]["ts"], **msg)
    if outcome.completed:
        services.lessons.send_completion(client, team_id, user_id, answer.lesson, outcome.score,
                                         outcome.questions, channel)


def review_answered(body, action, client, services):
    if not (read := own_click(ReviewAnswer, body, action, client, "review")):
        return
    answer = read.click
    item = services.learning.review_item(answer.review)
    if item is None or item.user_id != read.user_id or item.team_id != read.team_id:
        return
    question = services.learning.review_question(item.lesson_id, item.question_id)
    if question is None or not 0 <= answer.choice < len(question.choices):
        return
    first, correct = services.learning.answer_review(item.id, answer.stage, answer.choice)
    if not first:
        return
    message = body["message"]
    block_id = (body.get("actions") or [{}])[0].get("block_id")
    blocks = views.review_after_answer(message.get("blocks", []), block_id,
                                       views.review_answered_blocks(question, answer.choice, correct))
    if blocks is not None:
        client.chat_update(channel=body["channel"]["id"], ts=message["ts"], text=message.get("text", "Review"),
                           blocks=blocks)


def register(app) -> None:
    app.action(QuizAnswer.matcher())(after_ack(quiz_answered, ack=quiz_ack, busy=BUSY_SAVED))
    app.action(ReviewAnswer.matcher())(after_ack(review_answered))
