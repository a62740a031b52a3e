"""Daily-lesson settings: `/lesson daily ...`, the App Home controls, and time-zone changes."""

from __future__ import annotations

from bot import views
from bot.actions import DRIP_TIME, DRIP_WEEKDAYS, WEEKDAYS_OPTION, PauseDrip, ToggleDrip, read_click
from bot.services.drips import DripSettingError
from bot.blocks import section
from bot.slack import team_and_user
from handlers.common import after_ack
from handlers.home import publish_home

DAILY_USAGE = ("Try `/lesson daily 09:00`, `/lesson daily weekdays 08:30`, `/lesson daily off`, "
               "`/lesson daily pause` or `/lesson daily resume`.")


def daily_command(services, client, team_id: str, user_id: str, text: str) -> str:
    """Apply `/lesson daily <args>` and return the reply for the learner."""
    words = text.lower().split()
    user = services.users.ensure(team_id, user_id, client, refresh=True)
    if not words:
        return views.drip_settings_text(services.drips.subscription(team_id, user_id), user.tz) + "\n" + DAILY_USAGE
    if words == ["off"]:
        services.drips.unsubscribe(team_id, user_id)
        return "Daily lessons are now *off*. Turn them back on any time with `/lesson daily 09:00`."
    if words in (["pause"], ["resume"]):
        sub = services.drips.set_paused(team_id, user_id, words[0] == "pause")
        if sub is None:
            return "You have no daily lessons yet. " + DAILY_USAGE
        return views.drip_settings_text(sub, user.tz)
    weekdays = words[0] == "weekdays"
    if weekdays:
        words = words[1:]
    if len(words) != 1:
        return DAILY_USAGE
    try:
        sub = services.drips.subscribe(team_id, user_id, words[0], weekdays, user.tz)
    except DripSettingError as error:
        return f"{error} {DAILY_USAGE}"
    return views.drip_settings_text(sub, user.tz)


def _change(services, body, client, *, enabled: bool = True, local_time: str | None = None,
            weekdays: bool | None = None) -> None:
    """Apply one App Home control, keeping the settings it does not touch, and republish Home."""
    team_id, user_id = team_and_user(body)
    user = services.users.ensure(team_id, user_id, client)
    sub = services.drips.subscription(team_id, user_id)
    if enabled:
        services.drips.subscribe(team_id, user_id, local_time or (sub.local_time if sub else "09:00"),
                                 bool(sub and sub.weekdays_only) if weekdays is None else weekdays, user.tz)
    else:
        services.drips.unsubscribe(team_id, user_id)
    publish_home(services, client, team_id, user_id, user)


def toggle_clicked(body, action, client, services):
    if (toggle := read_click(ToggleDrip, body, action).click) is not None:
        _change(services, body, client, enabled=toggle.state == "on")


def time_picked(body, action, client, services):
    _change(services, body, client, local_time=action["selected_time"])


def weekdays_toggled(body, action, client, services):
    _change(services, body, client,
            weekdays=any(o.get("value") == WEEKDAYS_OPTION for o in action.get("selected_options") or []))


def pause_clicked(body, action, client, services):
    read = read_click(PauseDrip, body, action)
    if read.click is None:
        return
    team_id, user_id = read.team_id, read.user_id
    sub = services.drips.set_paused(team_id, user_id, read.click.state == "pause")
    container = body.get("container") or {}
    if container.get("type") == "view":
        publish_home(services, client, team_id, user_id)
    elif sub is not None and body.get("message"):
        user = services.users.get(team_id, user_id)
        client.chat_update(channel=body["channel"]["id"], ts=body["message"]["ts"], text="Daily lessons resumed",
                           blocks=[section(views.drip_settings_text(sub, user.tz if user else "UTC"))])


def user_changed(event, body, services):
    user = event.get("user") or {}
    team_id = body.get("team_id") or user.get("team_id")
    if not user.get("id") or not user.get("tz"):
        return
    if services.users.profile_changed(team_id, user) is not None:
        services.drips.refresh_tz(team_id, user["id"], user["tz"])


def register(app) -> None:
    app.action(ToggleDrip.matcher())(after_ack(toggle_clicked))
    app.action(DRIP_TIME)(after_ack(time_picked))
    app.action(DRIP_WEEKDAYS)(after_ack(weekdays_toggled))
    app.action(PauseDrip.matcher())(after_ack(pause_clicked))
    app.event("user_change")(after_ack(user_changed))
