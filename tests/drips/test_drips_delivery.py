"""When drips arrive: 09:00 local in several zones, weekdays only, across daylight-saving changes,
after the bot was down, and after the learner moved to another zone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.services.users import profile_due
from drip_steps import (ZONES, daily, deliveries, lessons_received, local_moment, posts_to, subscription,
                        tick_at)

UTC = timezone.utc


def test_nine_oclock_in_three_zones_on_the_right_local_day(tutor_at):
    tutor = tutor_at(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))  # Monday 08:00 in London
    ws = tutor.ws
    for user in ("U0ADA", "U0LIN", "U0PRI"):
        reply = daily(tutor, user, "09:00")
        assert ZONES[user] in reply and "09:00" in reply and "*on*" in reply
    # 09:00 Monday in London and Los Angeles; Kolkata is past 09:00 already, so Tuesday there
    local_day = {"U0ADA": (2026, 3, 2), "U0LIN": (2026, 3, 2), "U0PRI": (2026, 3, 3)}
    order = sorted(local_day, key=lambda u: local_moment(ZONES[u], *local_day[u], 9))
    assert order == ["U0ADA", "U0LIN", "U0PRI"]
    for user in order:
        tz = ZONES[user]
        counts = {u: len(lessons_received(ws, u)) for u in ZONES}
        tick_at(tutor, local_moment(tz, *local_day[user], 8, 59))
        assert {u: len(lessons_received(ws, u)) for u in ZONES} == counts, f"{user} got a drip at 08:59"
        tick_at(tutor, local_moment(tz, *local_day[user], 9, 0))
        received = lessons_received(ws, user)
        assert len(received) == 1 and received[0].startswith("📚 Lesson 1.1"), received
        rows = deliveries(tutor, user)
        assert [(r.local_date, r.status, r.lesson_id) for r in rows] == [
            ("%04d-%02d-%02d" % local_day[user], "sent", "1.1")]
        assert rows[0].channel == ws.dm_channel(user)
    assert posts_to(ws, "U0KOF") == []  # never subscribed
    assert {u: len(lessons_received(ws, u)) for u in ("U0ADA", "U0LIN", "U0PRI")} == dict.fromkeys(
        ("U0ADA", "U0LIN", "U0PRI"), 1)


def test_weekdays_only_skips_saturday_and_sunday(tutor_at):
    tutor = tutor_at(datetime(2026, 3, 6, 7, 0, tzinfo=UTC))  # Friday
    reply = daily(tutor, "U0ADA", "weekdays 08:30")
    assert "every weekday at *08:30*" in reply and "Europe/London" in reply
    sent_on = []
    for day in range(6, 11):  # Friday 6 to Tuesday 10 March
        before = len(lessons_received(tutor.ws, "U0ADA"))
        tick_at(tutor, local_moment("Europe/London", 2026, 3, day, 8, 29))
        assert len(lessons_received(tutor.ws, "U0ADA")) == before
        tick_at(tutor, local_moment("Europe/London", 2026, 3, day, 8, 30))
        tick_at(tutor, local_moment("Europe/London", 2026, 3, day, 23, 59))
        if len(lessons_received(tutor.ws, "U0ADA")) > before:
            sent_on.append(datetime(2026, 3, day).strftime("%a"))
    assert sent_on == ["Fri", "Mon", "Tue"]
    assert [r.local_date for r in deliveries(tutor)] == ["2026-03-06", "2026-03-09", "2026-03-10"]


@pytest.mark.parametrize("user, first_day, utc_hours", [
    ("U0ADA", (2026, 3, 28), [9, 8, 8]),      # London: BST starts Sunday 29 March
    ("U0LIN", (2026, 3, 7), [17, 16, 16]),    # Los Angeles: PDT starts Sunday 8 March
    ("U0ADA", (2026, 10, 24), [8, 9, 9]),     # London: BST ends Sunday 25 October
    ("U0LIN", (2026, 10, 31), [16, 17, 17]),  # Los Angeles: PDT ends Sunday 1 November
], ids=["london-spring", "la-spring", "london-autumn", "la-autumn"])
def test_daylight_saving_change_keeps_nine_oclock_local(tutor_at, user, first_day, utc_hours):
    tutor = tutor_at(datetime(*first_day, 0, 0, tzinfo=UTC))
    daily(tutor, user, "09:00")
    first = datetime(*first_day, tzinfo=UTC)
    for offset, hour in enumerate(utc_hours):
        nine = first.replace(hour=hour) + timedelta(days=offset)
        before = len(lessons_received(tutor.ws, user))
        tick_at(tutor, nine - timedelta(minutes=1))
        assert len(lessons_received(tutor.ws, user)) == before, f"early drip before {nine}"
        tick_at(tutor, nine)
        assert len(lessons_received(tutor.ws, user)) == before + 1, f"no drip at {nine}"
    rows = deliveries(tutor, user)
    assert [r.local_date for r in rows] == [(first + timedelta(days=d)).date().isoformat() for d in range(3)]


def test_catch_up_after_two_hours_down_but_not_after_five(tutor_at):
    tutor = tutor_at(datetime(2026, 3, 2, 5, 0, tzinfo=UTC))  # Monday; London and Accra are both on UTC
    daily(tutor, "U0ADA", "09:00")
    daily(tutor, "U0KOF", "06:00")
    # no tick from 05:00 until 11:00: Ada's 09:00 is 2 hours late, Kofi's 06:00 is 5 hours late
    tick_at(tutor, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    assert len(lessons_received(tutor.ws, "U0ADA")) == 1
    assert [r.local_date for r in deliveries(tutor, "U0ADA")] == ["2026-03-02"]
    assert posts_to(tutor.ws, "U0KOF") == [] and deliveries(tutor, "U0KOF") == []
    # the skipped learner's schedule moved on: tomorrow's drip comes as usual
    assert subscription(tutor, "U0KOF").next_due_at.replace(tzinfo=UTC) == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    tick_at(tutor, datetime(2026, 3, 3, 6, 0, tzinfo=UTC))
    assert [r.local_date for r in deliveries(tutor, "U0KOF")] == ["2026-03-03"]


def test_down_for_days_sends_only_the_newest_missed_drip(tutor_at):
    tutor = tutor_at(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    daily(tutor, "U0ADA", "09:00")
    tick_at(tutor, datetime(2026, 3, 4, 10, 30, tzinfo=UTC))  # Monday's and Tuesday's 09:00 were missed
    assert len(lessons_received(tutor.ws, "U0ADA")) == 1
    assert [r.local_date for r in deliveries(tutor)] == ["2026-03-04"]
    tick_at(tutor, datetime(2026, 3, 4, 11, 0, tzinfo=UTC))
    assert len(lessons_received(tutor.ws, "U0ADA")) == 1


def test_time_zone_change_moves_the_next_drip_to_nine_in_the_new_zone(tutor_at):
    tutor = tutor_at(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    ws = tutor.ws
    daily(tutor, "U0ADA", "09:00")
    tick_at(tutor, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert len(lessons_received(ws, "U0ADA")) == 1
    delivery = ws.set_tz("U0ADA", "America/Los_Angeles")
    assert delivery is not None and delivery.status == 200
    ws.wait_for(lambda: subscription(tutor, "U0ADA").tz == "America/Los_Angeles", message="user_change applied")
    assert tutor.services.users.get("T0SANDBOX", "U0ADA").tz == "America/Los_Angeles"
    tick_at(tutor, datetime(2026, 3, 3, 9, 0, tzinfo=UTC))  # 09:00 in London, 01:00 in Los Angeles
    tick_at(tutor, datetime(2026, 3, 3, 16, 59, tzinfo=UTC))
    assert len(lessons_received(ws, "U0ADA")) == 1
    tick_at(tutor, datetime(2026, 3, 3, 17, 0, tzinfo=UTC))  # 09:00 Tuesday in Los Angeles
    assert len(lessons_received(ws, "U0ADA")) == 2
    assert [r.local_date for r in deliveries(tutor)] == ["2026-03-02", "2026-03-03"]
    assert "America/Los_Angeles" in daily(tutor, "U0ADA", "")


def test_a_zone_change_without_an_event_is_picked_up_at_the_weekly_profile_read(tutor_at):
    """Slack may not tell us (event lost): drips re-read `users.info` on the learner's weekly refresh day
    (not every morning: that call is rate-limited) and re-plan in the new zone from then on."""
    tutor = tutor_at(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    daily(tutor, "U0ADA", "09:00")
    read_at = tutor.clock.now()
    tutor.ws.state.change_person("U0ADA", tz="Asia/Kolkata")  # no user_change event delivered
    day = next(d for d in range(2, 11) if profile_due("U0ADA", read_at, datetime(2026, 3, d, 9, 0, tzinfo=UTC)))
    profile_reads = len(users_info_calls(tutor.ws))
    for earlier in range(2, day):
        tick_at(tutor, datetime(2026, 3, earlier, 9, 0, tzinfo=UTC))
        assert subscription(tutor, "U0ADA").tz == "Europe/London"
        read_todays_lesson(tutor, "U0ADA")  # a reader: drips do not pause
    assert len(users_info_calls(tutor.ws)) == profile_reads, "users.info was called before the refresh day"
    tick_at(tutor, datetime(2026, 3, day, 9, 0, tzinfo=UTC))
    assert len(users_info_calls(tutor.ws)) == profile_reads + 1
    assert [r.status for r in deliveries(tutor)] == ["sent"] * (day - 1)  # one drip a morning, none missed
    sub = subscription(tutor, "U0ADA")
    assert sub.tz == "Asia/Kolkata"
    assert sub.next_due_at.replace(tzinfo=UTC) == datetime(2026, 3, day + 1, 3, 30, tzinfo=UTC)  # 09:00 IST


def read_todays_lesson(tutor, user: str) -> None:
    """Click the newest "Continue" or quiz button the learner has: either counts as reading."""
    for message in reversed(tutor.ws.messages(user)):
        actions = [e["action_id"] for b in message.get("blocks", []) if b.get("type") == "actions"
                   for e in b["elements"]]
        action = next((a for a in actions if a == "lesson_continue" or a.startswith("quiz_answer_")), None)
        if action:
            tutor.ws.click(user, message, action)
            break
    tutor.ws.wait_for(lambda: subscription(tutor, user).ignored_in_a_row == 0, message="drip opened")


def users_info_calls(ws) -> list[dict]:
    return [e for e in ws.journal(kind="api") if e["method"] == "users.info"]


def test_a_learner_who_opened_app_home_gets_drips_without_opening_a_dm(tutor_at):
    """`app_home_opened` names the learner's DM with the app; a drip then needs no `conversations.open`
    (Tier 3, 50 a minute: the bound of a big first morning)."""
    tutor = tutor_at(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    tutor.ws.open_home("U0ADA")
    tutor.ws.wait_for(lambda: tutor.services.users.remembered_dm("T0SANDBOX", "U0ADA"), message="DM remembered")
    daily(tutor, "U0ADA", "09:00")
    tick_at(tutor, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert len(lessons_received(tutor.ws, "U0ADA")) == 1
    assert tutor.services.users.remembered_dm("T0SANDBOX", "U0ADA") == tutor.ws.dm_channel("U0ADA")
    assert [e for e in tutor.ws.journal(kind="api") if e["method"] == "conversations.open"] == []


def test_a_first_drip_reaches_the_dm_by_the_learners_id_and_keeps_the_dm_id(tutor_at):
    """No `conversations.open` (Tier 3, 50 a minute) before a first drip: chat.postMessage takes the
    user id as `channel` and answers with the DM's id, which the next drip uses."""
    tutor = tutor_at(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    daily(tutor, "U0LIN", "09:00")
    tick_at(tutor, datetime(2026, 3, 2, 17, 0, tzinfo=UTC))  # 09:00 in Los Angeles
    first = posts_to(tutor.ws, "U0LIN")
    assert first[0]["args"]["channel"] == "U0LIN" and len(lessons_received(tutor.ws, "U0LIN")) == 1
    assert tutor.services.users.remembered_dm("T0SANDBOX", "U0LIN") == tutor.ws.dm_channel("U0LIN")
    assert deliveries(tutor, "U0LIN")[0].channel == tutor.ws.dm_channel("U0LIN")
    tick_at(tutor, datetime(2026, 3, 3, 17, 0, tzinfo=UTC))
    assert len(lessons_received(tutor.ws, "U0LIN")) == 2
    assert posts_to(tutor.ws, "U0LIN")[-1]["args"]["channel"] == tutor.ws.dm_channel("U0LIN")
    assert [e for e in tutor.ws.journal(kind="api") if e["method"] == "conversations.open"] == []


def test_a_learner_subscribed_without_talking_to_the_bot_costs_no_profile_read(tutor_at):
    """A subscription made for a learner the bot has never seen (in bulk): the drip goes out at the
    subscription's time zone with one chat.postMessage, no `users.info` (Tier 4) and no `conversations.open`."""
    tutor = tutor_at(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    tutor.services.drips.subscribe("T0SANDBOX", "U0KOF", "09:00", False, "Africa/Accra")
    tick_at(tutor, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert len(lessons_received(tutor.ws, "U0KOF")) == 1
    assert users_info_calls(tutor.ws) == []
    assert [e for e in tutor.ws.journal(kind="api") if e["method"] == "conversations.open"] == []
    assert deliveries(tutor, "U0KOF")[0].channel == tutor.ws.dm_channel("U0KOF")
