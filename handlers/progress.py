"""`/progress`: where the learner stands, only to them."""

from __future__ import annotations

from bot import views
from handlers.common import after_ack


def progress_command(command, client, respond, services):
    team_id, user_id = command["team_id"], command["user_id"]
    services.users.ensure(team_id, user_id, client)
    summary = services.learning.summary(team_id, user_id)
    next_title = services.course.lesson(summary.next_lesson_id).title if summary.next_lesson_id else None
    respond(response_type="ephemeral", **views.progress_message(summary, next_title))


def register(app) -> None:
    app.command("/progress")(after_ack(progress_command))
