"""`/lesson`: the next lesson, a chosen one, the syllabus, help, and daily-lesson settings; the
"Continue" and "Next lesson" buttons."""

from __future__ import annotations

import re

from bot import views
from bot.actions import ContinueLesson, NextLesson
from bot.slack import escape
from handlers.common import after_ack, own_click, retire_buttons
from handlers.drips import daily_command

LESSON_ID = re.compile(r"^\d+\.\d+$")


def lesson_ack(ack, command):
    """Help and the usage line ride on the ack itself; anything else is worked on after it."""
    text = (command.get("text") or "").strip()
    arg = text.lower()
    if arg in ("help", "?"):
        ack(response_type="ephemeral", **views.help_message())
        return None
    if arg and not LESSON_ID.match(arg) and arg != "list" and not arg.startswith("daily"):
        ack(response_type="ephemeral", text=views.LESSON_USAGE.format(arg=escape(text[:100])))
        return None
    ack()
    return True


def lesson_command(command, client, respond, services):
    text = (command.get("text") or "").strip()
    team_id, user_id = command["team_id"], command["user_id"]
    arg = text.lower()
    services.users.ensure(team_id, user_id, client)
    if arg == "list":
        entries = services.learning.syllabus(team_id, user_id)
        respond(response_type="ephemeral", **views.syllabus_message(entries, services.course.course))
        return
    if arg.startswith("daily"):
        respond(response_type="ephemeral", text=daily_command(services, client, team_id, user_id, text[5:].strip()))
        return
    lessons = services.course.lessons
    if arg and not services.course.has(arg):
        respond(response_type="ephemeral", text=f"There is no lesson {escape(arg)}. `/lesson list` shows the "
                f"{len(lessons)} lessons ({lessons[0].id} to {lessons[-1].id}).")
        return
    lesson_id = arg or services.learning.next_lesson_id(team_id, user_id)
    if lesson_id is None:
        respond(response_type="ephemeral", text=f"🎓 You have finished all {len(lessons)} lessons! "
                f"Revisit any with `/lesson {lessons[0].id}`, or see your summary with `/progress`.")
        return
    channel, _ts = services.lessons.send_lesson(client, team_id, user_id, lesson_id, page=0 if arg else None)
    services.drips.mark_opened(team_id, user_id)
    if command.get("channel_id") != channel:
        lesson = services.course.lesson(lesson_id)
        respond(response_type="ephemeral",
                text=f"📬 Lesson {lesson.id}: {escape(lesson.title)} is in your DM with me: <slack://channel?id={channel}|open it>.")


def continue_clicked(body, action, client, services):
    if not (read := own_click(ContinueLesson, body, action, client, "lesson")):
        return
    team_id, user_id, click = read.team_id, read.user_id, read.click
    if not services.course.has(click.lesson):
        return
    services.drips.mark_opened(team_id, user_id)
    if not services.learning.reach_page(team_id, user_id, click.lesson, click.page):
        return  # a double click or a retry: that page was sent already
    retire_buttons(client, body, "✓ continued below")
    services.lessons.send_page(client, team_id, user_id, click.lesson, click.page)


def next_clicked(body, action, client, services):
    if not (read := own_click(NextLesson, body, action, client, "lesson")):
        return
    team_id, user_id, lesson_id = read.team_id, read.user_id, read.click.lesson
    message_ts = (body.get("message") or {}).get("ts")
    if not services.course.has(lesson_id) or not services.once.claim(f"next:{team_id}:{user_id}:{message_ts}"):
        return  # a double click or a retry: the next lesson was sent already
    retire_buttons(client, body, f"▶ on to lesson {lesson_id}")
    services.lessons.send_lesson(client, team_id, user_id, lesson_id)


def register(app) -> None:
    app.command("/lesson")(after_ack(lesson_command, ack=lesson_ack))
    app.action(ContinueLesson.matcher())(after_ack(continue_clicked))
    app.action(NextLesson.matcher())(after_ack(next_clicked))
