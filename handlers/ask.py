"""Ask the tutor: a DM to the bot (`message.im`) or an @mention (`app_mention`) is a question, answered
in a thread under it with citations, "Open Lesson" and 👍/👎 buttons; a question the course does not
cover can go to the admins, whose reply in their thread comes back to the learner's thread."""

from __future__ import annotations

import re

from bot import tutor_views
from bot.actions import AskAdmins, OpenLesson, TutorFeedback
from bot.services.ratelimit import too_often
from handlers.common import own_click

BOT_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def message_received(event, client, context, services):
    """Slack's `message` events: a learner's DM is a question; a reply in the thread of a question
    sent to the admins (in their channel or DM) goes back to the learner. Everything else is ignored:
    edits, file shares (`file_shared` handles uploads), bots' messages, other channels."""
    if event.get("subtype") or event.get("bot_id") or not event.get("user"):
        return
    team_id = event.get("team") or context.get("team_id")
    thread_ts, channel = event.get("thread_ts"), event.get("channel")
    if thread_ts and thread_ts != event.get("ts"):
        question = services.tutor.question_for_admin_post(channel, thread_ts)
        if question is not None:
            _relay_admin_reply(client, services, question, event.get("text") or "")
            return
    if event.get("channel_type") != "im":
        return
    _answer(client, services, team_id, event["user"], channel, thread_ts or event["ts"], event.get("text") or "")


def mention_received(event, client, context, services):
    """`@Finetune Tutor ...` in a channel: answered in the thread of the mention."""
    if event.get("bot_id") or not event.get("user"):
        return
    text = BOT_MENTION.sub(" ", event.get("text") or "")
    team_id = event.get("team") or context.get("team_id")
    _answer(client, services, team_id, event["user"], event["channel"], event.get("thread_ts") or event["ts"], text)


def _answer(client, services, team_id: str, user_id: str, channel: str, thread_ts: str, text: str) -> None:
    tutor = services.tutor
    if not tutor.limit.allow((team_id, user_id)):
        if tutor.notice_limit.allow((team_id, user_id)):
            client.chat_postMessage(channel=channel, thread_ts=thread_ts,
                                    text="🐢 " + too_often("questions", tutor.limit.per_minute))
        return
    answer, question_id = tutor.ask(team_id, user_id, text, channel=channel, thread_ts=thread_ts)
    posted = client.chat_postMessage(channel=channel, thread_ts=thread_ts,
                                     **tutor_views.answer_message(answer, question_id, user_id))
    if question_id:
        tutor.answered(question_id, posted.get("ts"))


def feedback_clicked(ack, body, action, client, services):
    ack()
    if not (read := own_click(TutorFeedback, body, action, client, "answer")):
        return
    if not services.tutor.feedback(read.click.question, read.team_id, read.user_id, read.click.helpful):
        return
    from handlers.common import retire_buttons

    retire_buttons(client, body, "Thanks! 👍 noted." if read.click.helpful == "up"
                   else "Thanks, noted 👎: the team's admins will see this question.")


def open_lesson_clicked(ack, body, action, client, services):
    ack()
    if not (read := own_click(OpenLesson, body, action, client, "answer")):
        return
    if services.course.has(read.click.lesson):
        services.lessons.send_lesson(client, read.team_id, read.user_id, read.click.lesson)


def ask_admins_clicked(ack, body, action, client, services):
    ack()
    if not (read := own_click(AskAdmins, body, action, client, "question")):
        return
    tutor = services.tutor
    targets = tutor.admin_targets(read.team_id)
    channel = (body.get("channel") or {}).get("id")
    thread_ts = (body.get("message") or {}).get("thread_ts") or (body.get("message") or {}).get("ts")
    if not targets:
        client.chat_postEphemeral(channel=channel, user=read.user_id,
                                  text="This workspace has no tutor admins set up (TUTOR_ADMINS), so I cannot pass it on.")
        return
    question = tutor.claim_escalation(read.click.question, read.team_id, read.user_id)
    if question is None:
        return  # a double click, or not theirs: already sent
    for target in targets:
        where = target if target.startswith(("C", "G")) else services.lessons.dm(client, read.team_id, target)
        posted = client.chat_postMessage(channel=where, **tutor_views.admin_post(read.user_id, question.text))
        tutor.set_admin_post(question.id, posted["channel"], posted["ts"])
    client.chat_postMessage(channel=channel, thread_ts=thread_ts,
                            text="📨 Sent to the team's admins. Their answer will appear in this thread.")


def _relay_admin_reply(client, services, question, text: str) -> None:
    services.tutor.admin_answered(question.id, text)
    client.chat_postMessage(channel=question.channel, thread_ts=question.thread_ts, **tutor_views.admin_reply(text))


def register(app) -> None:
    app.event("message")(message_received)
    app.event("app_mention")(mention_received)
    app.action(TutorFeedback.matcher())(feedback_clicked)
    app.action(OpenLesson.matcher())(open_lesson_clicked)
    app.action(AskAdmins.matcher())(ask_admins_clicked)
