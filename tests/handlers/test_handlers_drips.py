"""Daily-lesson controls on App Home and in the paused notice, and time-zone changes, in process."""

from __future__ import annotations

from bot import views
from tests.helpers import LIN, TEAM, wait_journal
from tests.inprocess import covers


def subscription(t):
    return t.services.drips.subscription(TEAM, LIN)


def fresh_home(t, publishes_before: int) -> dict:
    """The Home view once it has been republished after the last control."""
    wait_journal(t.ws, "views.publish", count=publishes_before + 1)
    return t.ws.home_view(LIN)


@covers("handlers.drips.toggle_clicked", "handlers.drips.time_picked", "handlers.drips.weekdays_toggled")
def test_home_controls_turn_on_set_time_and_weekdays_then_off(tutor_inproc):
    t = tutor_inproc
    t.ws.open_home(LIN)
    home = fresh_home(t, 0)
    t.ws.click(LIN, home, "drip_toggle")
    home = fresh_home(t, 1)
    sub = subscription(t)
    assert sub.enabled and sub.local_time == "09:00" and not sub.weekdays_only
    assert sub.tz == "America/Los_Angeles", "the zone comes from the Slack profile"
    t.ws.pick_time(LIN, home, "drip_time", "07:30")
    home = fresh_home(t, 2)
    assert subscription(t).local_time == "07:30"
    t.ws.select(LIN, home, "drip_weekdays", ["weekdays"])
    home = fresh_home(t, 3)
    sub = subscription(t)
    assert sub.weekdays_only and sub.local_time == "07:30", "one control keeps the others' settings"
    assert "every weekday at 07:30" in str(home)
    t.ws.click(LIN, home, "drip_toggle")
    fresh_home(t, 4)
    assert not subscription(t).enabled


@covers("handlers.drips.pause_clicked")
def test_pause_and_resume_from_home(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "daily 09:00")
    t.wait(lambda: subscription(t))
    t.ws.open_home(LIN)
    home = fresh_home(t, 0)
    t.ws.click(LIN, home, "drip_pause")
    home = fresh_home(t, 1)
    assert subscription(t).paused
    t.ws.click(LIN, home, "drip_pause")
    fresh_home(t, 2)
    assert not subscription(t).paused


@covers("handlers.drips.pause_clicked")
def test_resume_from_the_paused_notice_updates_it(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "daily 09:00")
    t.wait(lambda: subscription(t))
    t.services.drips.set_paused(TEAM, LIN, True)
    channel = t.services.lessons.dm(t.services.client, TEAM, LIN)
    notice = t.services.client.chat_postMessage(channel=channel, **views.drip_paused_message(LIN))
    t.ws.click(LIN, {"channel": channel, "ts": notice["ts"]}, "drip_pause")
    update = wait_journal(t.ws, "chat.update", where=lambda e: e["args"].get("ts") == notice["ts"])
    assert "Daily lessons are *on*" in str(update[0]["args"])
    assert not subscription(t).paused


@covers("handlers.drips.user_changed")
def test_a_time_zone_change_moves_the_subscription(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "daily 09:00")
    t.wait(lambda: subscription(t))
    assert t.ws.set_tz(LIN, "Asia/Tokyo").status == 200
    t.wait(lambda: subscription(t).tz == "Asia/Tokyo", message="the new zone stored")


@covers("handlers.drips.user_changed")
def test_a_user_change_without_a_zone_changes_nothing(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "daily 09:00")
    t.wait(lambda: subscription(t))
    user = t.ws.user(LIN)
    user.pop("tz", None)
    assert t.ws.deliver_event({"type": "user_change", "user": user}).status == 200
    t.settle()
    assert subscription(t).tz == "America/Los_Angeles"
