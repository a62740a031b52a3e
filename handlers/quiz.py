"""Quiz and review buttons: the message updates in place, once; the first answer is the score."""

from __future__ import annotations

import re

from bot import views
from handlers.common import action_value, not_yours, own_click, team_and_user

QUIZ_ACTION = re.compile(r"^quiz_answer_\d+$")
REVIEW_ACTION = re.compile(r"^review_answer_\d+$")


def register(app, services) -> None:
    @app.action(QUIZ_ACTION)
    def quiz_answered(ack, body, action, client):
        """The answer is stored BEFORE the ack (one short insert), so an acknowledged answer survives
        a crash; everything else (the update in place, completion) happens after."""
        team_id, user_id = team_and_user(body)
        value = action_value(action)
        lesson_id, question_id = value.get("l"), value.get("q")
        try:
            choice = int(value.get("c", -1))
            index = services.course.question_index(lesson_id, question_id)
        except (KeyError, TypeError, ValueError):
            ack()
            return
        if value.get("u") != user_id or not 0 <= choice < len(services.course.lesson(lesson_id).quiz[index].choices):
            ack()
            if value.get("u") != user_id:
                not_yours(client, body)
            return
        outcome = services.learning.record_answer(team_id, user_id, lesson_id, question_id, choice)
        ack()
        if not outcome.first and not outcome.completed:
            return  # a second click, a double click or a retry: the first answer stands, nothing changes
        # (unless that click completed a lesson left unfinished by a crash: then say so now)
        services.learning.settle(team_id, user_id, lesson_id, outcome)
        services.drips.mark_opened(team_id, user_id)
        channel = body["channel"]["id"]
        msg = services.course.answered_question(lesson_id, index, outcome.choice, user_id)
        client.chat_update(channel=channel, ts=body["message"]["ts"], text=msg["text"], blocks=msg["blocks"])
        if outcome.completed:
            services.lessons.send_completion(client, team_id, user_id, lesson_id, outcome.score,
                                             outcome.questions, channel)

    @app.action(REVIEW_ACTION)
    def review_answered(ack, body, action, client):
        ack()
        if not (click := own_click(body, action, client, "review")):
            return
        team_id, user_id, value = click
        item = services.learning.review_item(int(value.get("r", 0)))
        if item is None or item.user_id != user_id or item.team_id != team_id:
            return
        choice, stage = int(value.get("c", -1)), int(value.get("s", 0))
        lesson = services.course.lesson(item.lesson_id)
        question = next(q for q in lesson.quiz if q.id == item.question_id)
        if not 0 <= choice < len(question.choices):
            return
        first, correct = services.learning.answer_review(item.id, stage, choice)
        if not first:
            return
        message = body["message"]
        block_id = (body.get("actions") or [{}])[0].get("block_id")
        blocks, replaced = [], False
        for block in message.get("blocks", []):
            if block.get("block_id") == block_id:
                if blocks and blocks[-1].get("type") == "section":
                    blocks.pop()  # the question line; the answered block repeats it
                blocks.extend(views.review_answered_blocks(lesson, question, choice, correct))
                replaced = True
            else:
                blocks.append(block)
        if replaced:
            client.chat_update(channel=body["channel"]["id"], ts=message["ts"], text=message.get("text", "Review"),
                               blocks=blocks)
