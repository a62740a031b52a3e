"""Ask the tutor: a DM to the bot (`message.im`) or an @mention (`app_mention`) is a question, answered
in a thread under it with citations, "Open Lesson" and 👍/👎 buttons; a question the course does not
cover can go to the admins, whose reply in their thread comes back to the learner's thread.
"Ask about this" under a lesson page or a fine-tune result opens a modal whose question is answered
in that message's thread; a question typed in such a thread is about that lesson or run."""

from __future__ import annotations

import json
import logging
import re
import threading

from bot import tutor_views
from bot.actions import ASK_MODAL, ASK_QUESTION, INPUT_ACTION, AskAbout, AskAdmins, OpenLesson, TutorFeedback
from bot.services.ratelimit import too_often
from bot.slack import team_and_user
from handlers.common import after_ack, own_click

log = logging.getLogger(__name__)

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
    context = (services.tutor.context_of(client, team_id, event["user"], channel, thread_ts)
               if thread_ts and thread_ts != event.get("ts") else None)
    _answer(client, services, team_id, event["user"], channel, thread_ts or event["ts"], event.get("text") or "",
            context=context)


def mention_received(event, client, context, services):
    """`@Finetune Tutor ...` in a channel: answered in the thread of the mention."""
    if event.get("bot_id") or not event.get("user"):
        return
    text = BOT_MENTION.sub(" ", event.get("text") or "")
    team_id = event.get("team") or context.get("team_id")
    _answer(client, services, team_id, event["user"], event["channel"], event.get("thread_ts") or event["ts"], text)


def _answer(client, services, team_id: str, user_id: str, channel: str, thread_ts: str, text: str, *,
            context=None, asked: bool = False) -> None:
    """Answer in the thread; a "thinking…" reply appears when the answer takes over
    `tutor.thinking_after` seconds and is then replaced in place. `asked`: the question came from the
    modal, so the answer repeats it (the thread does not show it)."""
    tutor = services.tutor
    if not tutor.limit.allow((team_id, user_id)):
        if tutor.notice_limit.allow((team_id, user_id)):
            client.chat_postMessage(channel=channel, thread_ts=thread_ts,
                                    text="🐢 " + too_often("questions", tutor.limit.per_minute))
        return
    thinking: dict = {}
    lock, done = threading.Lock(), threading.Event()

    def think():
        with lock:
            if done.is_set():
                return
            try:
                posted = client.chat_postMessage(channel=channel, thread_ts=thread_ts, **tutor_views.thinking_message())
                thinking.update(channel=posted["channel"], ts=posted["ts"])
            except Exception as error:  # noqa: BLE001 - the answer is posted anyway
                log.warning("could not post the thinking message: %r", error)

    timer = threading.Timer(tutor.thinking_after, think)
    timer.daemon = True
    timer.start()
    try:
        answer, question_id = tutor.ask(team_id, user_id, text, channel=channel, thread_ts=thread_ts,
                                        lesson=context.lesson if context else None,
                                        job=context.job if context else None)
    except Exception:
        _finish(client, channel, thread_ts, timer, lock, done, thinking,
                {"text": "⚠️ Sorry, I could not answer that just now. Please ask again in a minute."})
        raise
    message = tutor_views.answer_message(answer, question_id, user_id, asked=text if asked else None)
    ts = _finish(client, channel, thread_ts, timer, lock, done, thinking, message)
    if question_id:
        tutor.answered(question_id, ts)


def _finish(client, channel, thread_ts, timer, lock, done, thinking: dict, message: dict) -> str | None:
    """Replace the thinking message with `message`, or post it when there was none; its ts."""
    with lock:
        done.set()
        timer.cancel()
    if thinking:
        client.chat_update(channel=thinking["channel"], ts=thinking["ts"], **message)
        return thinking["ts"]
    return client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message).get("ts")


def ask_about_clicked(body, action, client, services):
    """"Ask about this" under a lesson page or a run's results: a modal with one question."""
    if not (read := own_click(AskAbout, body, action, client, "message")):
        return
    click = read.click
    if click.job:
        about = f"fine-tune #{click.job}"
    elif services.course.has(click.lesson):
        about = f"Lesson {click.lesson}: {services.course.lesson(click.lesson).title}"
    else:
        return  # a lesson no longer in the course
    where = {"c": (body.get("channel") or {}).get("id"), "t": (body.get("message") or {}).get("ts"),
             "l": click.lesson, "j": click.job}
    client.views_open(trigger_id=body["trigger_id"], view=tutor_views.ask_modal(about, json.dumps(where)))


def ask_ack(ack, view):
    """An empty question is refused under the field; any other is acknowledged and answered after."""
    text = ((view["state"]["values"].get(ASK_QUESTION) or {}).get(INPUT_ACTION) or {}).get("value") or ""
    if not re.search(r"\w", text):
        ack(response_action="errors", errors={ASK_QUESTION: "Type a question, for example: why did my "
                                                             "validation loss go up?"})
        return None
    ack()
    return text


def ask_submitted(body, view, client, services, acked):
    """The modal's question, answered as a threaded reply to the message it was opened from."""
    text = acked
    team_id, user_id = team_and_user(body)
    try:
        where = json.loads(view.get("private_metadata") or "{}")
        lesson, job = str(where.get("l") or ""), int(where.get("j") or 0)
    except (TypeError, ValueError, AttributeError):
        return
    channel, thread_ts = where.get("c"), where.get("t")
    if not channel or not thread_ts:
        channel, thread_ts = services.lessons.dm(client, team_id, user_id), None
    context = services.tutor.context_for(team_id, user_id, lesson, job)
    _answer(client, services, team_id, user_id, channel, thread_ts, text, context=context, asked=True)


def feedback_clicked(body, action, client, services):
    if not (read := own_click(TutorFeedback, body, action, client, "answer")):
        return
    if not services.tutor.feedback(read.click.question, read.team_id, read.user_id, read.click.helpful):
        return
    from handlers.common import retire_buttons

    retire_buttons(client, body, "Thanks! 👍 noted." if read.click.helpful == "up"
                   else "Thanks, noted 👎: the team's admins will see this question.")


def open_lesson_clicked(body, action, client, services):
    if not (read := own_click(OpenLesson, body, action, client, "answer")):
        return
    if services.course.has(read.click.lesson):
        services.lessons.send_lesson(client, read.team_id, read.user_id, read.click.lesson)


def ask_admins_clicked(body, action, client, services):
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
    app.event("message")(after_ack(message_received))
    app.event("app_mention")(after_ack(mention_received))
    app.action(TutorFeedback.matcher())(after_ack(feedback_clicked))
    app.action(OpenLesson.matcher())(after_ack(open_lesson_clicked))
    app.action(AskAdmins.matcher())(after_ack(ask_admins_clicked))
    app.action(AskAbout.matcher())(after_ack(ask_about_clicked))
    app.view(ASK_MODAL)(after_ack(ask_submitted, ack=ask_ack))
