"""`/lesson`: the next lesson, a chosen one, the syllabus, help, and daily-lesson settings; the
"Continue" and "Next lesson" buttons."""

from __future__ import annotations

import re

from bot import views
from bot.slack import escape
from handlers.common import own_click, retire_buttons

LESSON_ID = re.compile(r"^\d+\.\d+$")


def register(app, services) -> None:
    sender = services.lessons

    @app.command("/lesson")
    def lesson_command(ack, command, client, respond, logger):
        text = (command.get("text") or "").strip()
        team_id, user_id = command["team_id"], command["user_id"]
        arg = text.lower()
        if arg in ("help", "?"):
            ack(response_type="ephemeral", **views.help_message())  # the answer rides on the ack itself
            return
        if arg and not LESSON_ID.match(arg) and arg != "list" and not arg.startswith("daily"):
            ack(response_type="ephemeral", text=views.LESSON_USAGE.format(arg=escape(text[:100])))
            return
        ack()
        services.users.ensure(team_id, user_id, client)
        if arg == "list":
            entries = services.learning.syllabus(team_id, user_id)
            respond(response_type="ephemeral", **views.syllabus_message(entries, services.course.course.title))
            return
        if arg.startswith("daily"):
            from handlers.drips import daily_command

            respond(response_type="ephemeral", text=daily_command(services, client, team_id, user_id, text[5:].strip()))
            return
        if arg and not services.course.has(arg):
            respond(response_type="ephemeral",
                    text=f"There is no lesson {escape(arg)}. `/lesson list` shows the 15 lessons (1.1 to 5.3).")
            return
        lesson_id = arg or services.learning.next_lesson_id(team_id, user_id)
        if lesson_id is None:
            respond(response_type="ephemeral", text="🎓 You have finished all 15 lessons! "
                    "Revisit any with `/lesson 2.1`, or see your summary with `/progress`.")
            return
        channel, _ts = sender.send_lesson(client, team_id, user_id, lesson_id, page=0 if arg else None)
        services.drips.mark_opened(team_id, user_id)
        if command.get("channel_id") != channel:
            lesson = services.course.lesson(lesson_id)
            respond(response_type="ephemeral",
                    text=f"📬 Lesson {lesson.id}: {escape(lesson.title)} is in your DM with me: <slack://channel?id={channel}|open it>.")

    @app.action("lesson_continue")
    def continue_clicked(ack, body, action, client):
        ack()
        if not (click := own_click(body, action, client, "lesson")):
            return
        team_id, user_id, value = click
        lesson_id, page = value.get("l"), int(value.get("p", 0))
        if not services.course.has(lesson_id):
            return
        services.drips.mark_opened(team_id, user_id)
        if not services.learning.reach_page(team_id, user_id, lesson_id, page):
            return  # a double click or a retry: that page was sent already
        retire_buttons(client, body, "✓ continued below")
        sender.send_page(client, team_id, user_id, lesson_id, page)

    @app.action("lesson_next")
    def next_clicked(ack, body, action, client):
        ack()
        if not (click := own_click(body, action, client, "lesson")):
            return
        team_id, user_id, value = click
        lesson_id = value.get("l")
        message_ts = (body.get("message") or {}).get("ts")
        if not services.course.has(lesson_id) or not services.once.claim(f"next:{team_id}:{user_id}:{message_ts}"):
            return  # a double click or a retry: the next lesson was sent already
        retire_buttons(client, body, f"▶ on to lesson {lesson_id}")
        sender.send_lesson(client, team_id, user_id, lesson_id)
