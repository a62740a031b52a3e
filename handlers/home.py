"""App Home: the learner's dashboard, the syllabus, daily-lesson settings, and (admins only) the team view."""

from __future__ import annotations

from bot import runs_views, tutor_views, views
from bot.actions import ExportTeam, ShowSyllabus, StartCourse
from bot.slack import team_and_user
from handlers import challenges
from handlers.common import after_ack


def publish_home(services, client, team_id: str, user_id: str, user=None, runs_page: int = 0) -> None:
    """Build and publish the Home tab; team data only for admins. Pass `user` when the caller has it;
    `runs_page` is the page of the learner's runs shown (newest first)."""
    user = user or services.users.ensure(team_id, user_id, client)
    summary = services.learning.summary(team_id, user_id)
    next_title = services.course.lesson(summary.next_lesson_id).title if summary.next_lesson_id else None
    entries = services.learning.syllabus(team_id, user_id)
    drip = services.drips.subscription(team_id, user_id)
    stats = services.learning.team_stats(team_id) if services.users.is_admin(team_id, user_id) else None
    listed = services.runs.page(team_id, user_id, runs_page)
    runs = runs_views.runs_blocks(listed.runs, listed.page, listed.has_more, user_id, "home")
    view = views.home_view(summary, next_title, entries, drip, user.tz, services.course.course, stats, runs)
    board = challenges.home_blocks(services, team_id)  # names and scores only
    if board:
        view = {**view, "blocks": (view["blocks"] + board)[:100]}
    if stats is not None:  # admins also see the course's gaps: questions it did not cover, answers marked 👎
        view = {**view, "blocks": (view["blocks"] + tutor_views.gaps_blocks(services.tutor.gaps(team_id)))[:100]}
    client.views_publish(user_id=user_id, view=view)


def home_opened(event, body, client, services):
    """The event names the learner's DM with the app: kept, a drip then needs no `conversations.open`
    (Tier 3). The profile is read on first sight and weekly; `user_change` events carry the rest."""
    team_id = body.get("team_id") or event.get("view", {}).get("team_id")
    user = services.users.ensure(team_id, event["user"], client, weekly=True)
    if str(event.get("channel", "")).startswith("D"):
        services.lessons.remember_dm(team_id, event["user"], event["channel"])
    if event.get("tab", "home") != "home":
        return
    publish_home(services, client, team_id, event["user"], user)


def start_clicked(body, client, services):
    team_id, user_id = team_and_user(body)
    lesson_id = services.learning.next_lesson_id(team_id, user_id)
    if lesson_id is None:
        channel = services.lessons.dm(client, team_id, user_id)
        summary = services.learning.summary(team_id, user_id)
        client.chat_postMessage(channel=channel, **views.course_finished_message(summary))
        return
    services.lessons.send_lesson(client, team_id, user_id, lesson_id)


def syllabus_clicked(body, client, services):
    team_id, user_id = team_and_user(body)
    channel = services.lessons.dm(client, team_id, user_id)
    entries = services.learning.syllabus(team_id, user_id)
    client.chat_postMessage(channel=channel, **views.syllabus_message(entries, services.course.course))


def export_clicked(body, client, services):
    team_id, user_id = team_and_user(body)
    if not services.users.is_admin(team_id, user_id):
        return  # the button is only shown to admins; a forged click gets nothing
    channel = services.lessons.dm(client, team_id, user_id)
    client.files_upload_v2(channel=channel, filename=f"team-progress-{team_id}.csv",
                           content=services.learning.team_csv(team_id), title="Team progress",
                           initial_comment="Here is your team's progress, one row per learner and lesson.")


def register(app) -> None:
    app.event("app_home_opened")(after_ack(home_opened))
    app.action(StartCourse.matcher())(after_ack(start_clicked))
    app.action(ShowSyllabus.matcher())(after_ack(syllabus_clicked))
    app.action(ExportTeam.matcher())(after_ack(export_clicked))
