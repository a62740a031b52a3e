"""Learners steer their drips: opt out by command, the App Home controls, pausing after ignored drips,
resuming with the button, and reading that proves the drips are not ignored."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from drip_steps import TEAM, daily, deliveries, lessons_received, local_moment, posted_texts, subscription, tick_at

UTC = timezone.utc
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_opt_out_by_command_stops_the_drips(tutor_at):
    tutor = tutor_at(MONDAY)
    daily(tutor, "U0ADA", "09:00")
    tick_at(tutor, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert len(lessons_received(tutor.ws, "U0ADA")) == 1
    reply = daily(tutor, "U0ADA", "off")
    assert "*off*" in reply
    assert subscription(tutor, "U0ADA").enabled is False
    for day in (3, 4, 5):
        tick_at(tutor, datetime(2026, 3, day, 9, 0, tzinfo=UTC))
    assert len(lessons_received(tutor.ws, "U0ADA")) == 1
    assert "Daily lessons are *off*" in daily(tutor, "U0ADA", "")


def test_a_mistyped_time_changes_nothing_and_says_what_to_type(tutor_at):
    tutor = tutor_at(MONDAY)
    reply = daily(tutor, "U0ADA", "9am")
    assert "`9am` is not a time" in reply and "/lesson daily 09:00" in reply
    assert subscription(tutor, "U0ADA") is None
    reply = daily(tutor, "U0ADA", "<!channel>")
    assert "<!channel>" not in reply and "&lt;!channel&gt;" in reply


def _home(tutor, user: str) -> dict:
    return tutor.ws.wait_for(lambda: tutor.ws.home_view(user), message=f"{user}'s App Home")


def _home_text(tutor, user: str) -> str:
    return json.dumps(tutor.ws.home_view(user) or {})


def test_app_home_toggle_time_picker_and_weekdays_change_the_setting(tutor_at):
    tutor = tutor_at(MONDAY)
    ws = tutor.ws
    ws.open_home("U0KOF")
    home = _home(tutor, "U0KOF")
    assert "Daily lesson:* off" in json.dumps(home) and "Africa/Accra" in json.dumps(home)

    ws.click("U0KOF", home, "drip_toggle")
    ws.wait_for(lambda: subscription(tutor, "U0KOF") and subscription(tutor, "U0KOF").enabled, message="turned on")
    ws.wait_for(lambda: "on, every day at 09:00" in _home_text(tutor, "U0KOF"), message="home shows on")

    ws.pick_time("U0KOF", ws.home_view("U0KOF"), "drip_time", "07:15")
    ws.wait_for(lambda: subscription(tutor, "U0KOF").local_time == "07:15", message="time picked")
    ws.wait_for(lambda: "on, every day at 07:15" in _home_text(tutor, "U0KOF"), message="home shows 07:15")

    tick_at(tutor, local_moment("Africa/Accra", 2026, 3, 2, 9, 0))  # the old time: nothing
    tick_at(tutor, local_moment("Africa/Accra", 2026, 3, 3, 7, 14))
    assert lessons_received(ws, "U0KOF") == []
    tick_at(tutor, local_moment("Africa/Accra", 2026, 3, 3, 7, 15))
    assert len(lessons_received(ws, "U0KOF")) == 1

    ws.select("U0KOF", ws.home_view("U0KOF"), "drip_weekdays", ["weekdays"])
    ws.wait_for(lambda: subscription(tutor, "U0KOF").weekdays_only, message="weekdays only")
    assert subscription(tutor, "U0KOF").local_time == "07:15"
    ws.wait_for(lambda: "every weekday at 07:15" in _home_text(tutor, "U0KOF"), message="home shows weekdays")

    ws.click("U0KOF", ws.home_view("U0KOF"), "drip_toggle")
    ws.wait_for(lambda: not subscription(tutor, "U0KOF").enabled, message="turned off")
    ws.wait_for(lambda: "Daily lesson:* off" in _home_text(tutor, "U0KOF"), message="home shows off")
    tick_at(tutor, local_moment("Africa/Accra", 2026, 3, 4, 7, 15))
    assert len(lessons_received(ws, "U0KOF")) == 1


def test_three_ignored_drips_pause_and_the_resume_button_brings_them_back(tutor_at):
    tutor = tutor_at(MONDAY)
    ws = tutor.ws
    daily(tutor, "U0ADA", "09:00")
    for day in (2, 3, 4):  # Monday to Wednesday: lessons, never opened
        tick_at(tutor, datetime(2026, 3, day, 9, 0, tzinfo=UTC))
    assert len(lessons_received(ws, "U0ADA")) == 3
    tick_at(tutor, datetime(2026, 3, 5, 9, 0, tzinfo=UTC))  # Thursday: the pause notice instead
    assert len(lessons_received(ws, "U0ADA")) == 3
    assert posted_texts(ws, "U0ADA")[-1] == "Daily lessons paused"
    assert subscription(tutor, "U0ADA").paused is True
    assert [r.status for r in deliveries(tutor)] == ["sent", "sent", "sent", "skipped"]
    tick_at(tutor, datetime(2026, 3, 6, 9, 0, tzinfo=UTC))  # Friday: nothing at all
    assert posted_texts(ws, "U0ADA")[-1] == "Daily lessons paused" and len(deliveries(tutor)) == 4

    notice = next(m for m in ws.messages("U0ADA") if m.get("text") == "Daily lessons paused")
    ws.click("U0ADA", notice, "drip_pause")
    ws.wait_for(lambda: not subscription(tutor, "U0ADA").paused, message="resumed")
    updated = ws.wait_for(lambda: [m for m in ws.messages("U0ADA") if m["ts"] == notice["ts"]
                                   and m.get("text") == "Daily lessons resumed"], message="notice updated")
    assert "drip_pause" not in json.dumps(updated[0].get("blocks"))  # no second Resume click
    tick_at(tutor, datetime(2026, 3, 7, 9, 0, tzinfo=UTC))  # Saturday: lessons again
    assert len(lessons_received(ws, "U0ADA")) == 4
    assert deliveries(tutor)[-1].local_date == "2026-03-07" and deliveries(tutor)[-1].status == "sent"


def test_continue_resets_the_ignored_count(tutor_at):
    tutor = tutor_at(MONDAY)
    ws = tutor.ws
    daily(tutor, "U0LIN", "09:00")
    for day in (2, 3):
        tick_at(tutor, local_moment("America/Los_Angeles", 2026, 3, day, 9, 0))
    assert subscription(tutor, "U0LIN").ignored_in_a_row == 2
    page = [m for m in ws.messages("U0LIN") if m.get("text", "").startswith("📚 Lesson")][-1]
    ws.click("U0LIN", page, "lesson_continue")
    ws.wait_for(lambda: subscription(tutor, "U0LIN").ignored_in_a_row == 0, message="count reset")
    ws.wait_for(lambda: "(page 2 of 3)" in posted_texts(ws, "U0LIN")[-1], message="page 2 sent")
    for day in (4, 5):  # without the reset Thursday would be the pause notice
        tick_at(tutor, local_moment("America/Los_Angeles", 2026, 3, day, 9, 0))
    assert "Daily lessons paused" not in posted_texts(ws, "U0LIN")
    assert [r.status for r in deliveries(tutor)] == ["sent"] * 4
    assert deliveries(tutor)[0].opened and deliveries(tutor)[1].opened and not deliveries(tutor)[3].opened


def test_answering_the_quiz_resets_the_ignored_count(tutor_at):
    tutor = tutor_at(MONDAY)
    ws = tutor.ws
    tutor.services.learning.reach_page(TEAM, "U0PRI", "1.1", 2)  # the next drip is the last page and the quiz
    daily(tutor, "U0PRI", "09:00")
    for day in (3, 4):
        tick_at(tutor, local_moment("Asia/Kolkata", 2026, 3, day, 9, 0))
    assert subscription(tutor, "U0PRI").ignored_in_a_row == 2
    question = next(m for m in ws.messages("U0PRI") if "quiz_answer_0" in json.dumps(m.get("blocks")))
    ws.click("U0PRI", question, "quiz_answer_0")
    ws.wait_for(lambda: subscription(tutor, "U0PRI").ignored_in_a_row == 0, message="count reset by an answer")
    for day in (5, 6):
        tick_at(tutor, local_moment("Asia/Kolkata", 2026, 3, day, 9, 0))
    assert "Daily lessons paused" not in posted_texts(ws, "U0PRI")
    assert subscription(tutor, "U0PRI").paused is False
