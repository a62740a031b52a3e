"""`/lesson` and the lesson buttons, in process: signed requests into the real Bolt app, the sandbox as Slack."""

from __future__ import annotations

import json

from bot.store.models import DripSubscription
from tests.helpers import (GENERAL, api_calls, LIN, TEAM, buttons, dm, ephemerals, lesson_count, rejected_api_calls,
                           text_of, wait_dm)
from tests.inprocess import covers


@covers("handlers.lessons.lesson_command")
def test_lesson_from_a_channel_lands_in_the_dm_with_a_notice(tutor_inproc):
    t = tutor_inproc
    delivery = t.ws.slash(LIN, "/lesson", "", channel=GENERAL)
    assert delivery.status == 200 and delivery.body == ""
    first = wait_dm(t.ws, LIN, lambda m: "Lesson 1.1" in text_of(m))
    assert f"Lesson 1 of {lesson_count()}" in text_of(first[0])
    notice = t.wait(lambda: ephemerals(t.ws, user=LIN))
    assert "in your DM" in notice[0]["text"]
    t.settle()
    assert not rejected_api_calls(t.ws)


@covers("handlers.lessons.lesson_command")
def test_lesson_help_rides_on_the_ack(tutor_inproc):
    t = tutor_inproc
    delivery = t.ws.slash(LIN, "/lesson", "help")
    assert delivery.json["response_type"] == "ephemeral" and "/lesson" in json.dumps(delivery.json)
    t.settle()
    assert not api_calls(t.ws), "help needs no Web API call"


@covers("handlers.lessons.lesson_command")
def test_lesson_list_and_a_chosen_lesson(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "list")
    syllabus = t.wait(lambda: [m for m in ephemerals(t.ws, user=LIN) if "Syllabus" in m.get("text", "")])
    assert "`1.1`" in text_of(syllabus[0]) and "`5.3`" in text_of(syllabus[0])
    t.ws.slash(LIN, "/lesson", "2.1", channel=t.ws.dm_channel(LIN))
    lesson = wait_dm(t.ws, LIN, lambda m: "Lesson 2.1" in text_of(m))
    assert "page 1 of" in lesson[0]["text"]


@covers("handlers.lessons.lesson_command")
def test_unknown_lesson_and_bad_argument_get_a_clear_answer(tutor_inproc):
    t = tutor_inproc
    bad = t.ws.slash(LIN, "/lesson", "<!channel> please")
    assert "Try" in bad.json["text"] or "/lesson" in bad.json["text"]
    assert "<!channel>" not in bad.json["text"]
    t.ws.slash(LIN, "/lesson", "9.9")
    t.wait(lambda: [m for m in ephemerals(t.ws, user=LIN) if "There is no lesson 9.9" in m.get("text", "")])
    t.settle()
    assert not dm(t.ws, LIN), "nothing was sent to the DM"


@covers("handlers.lessons.lesson_command")
def test_lesson_daily_sets_the_subscription(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "daily weekdays 08:30")
    reply = t.wait(lambda: ephemerals(t.ws, user=LIN))
    assert "08:30" in reply[0]["text"] and "weekday" in reply[0]["text"]
    with t.services.db.session() as session:
        sub = session.get(DripSubscription, (TEAM, LIN))
    assert sub.enabled and sub.weekdays_only and sub.local_time == "08:30"


@covers("handlers.lessons.continue_clicked")
def test_continue_sends_the_next_page_once_and_retires_the_button(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "1.1", channel=t.ws.dm_channel(LIN))
    first = wait_dm(t.ws, LIN, lambda m: buttons(m, "lesson_continue"))[0]
    click = t.ws.click(LIN, first, "lesson_continue")
    assert click.status == 200
    wait_dm(t.ws, LIN, lambda m: "page 2 of" in m.get("text", ""))
    t.ws.resend(click)  # a double click, or Slack retrying
    t.settle()
    assert len([m for m in dm(t.ws, LIN) if "page 2 of" in m.get("text", "")]) == 1
    retired = t.ws.messages(t.ws.dm_channel(LIN))[0]
    assert not buttons(retired, "lesson_continue") and "continued below" in text_of(retired)


@covers("handlers.lessons.continue_clicked")
def test_go_deeper_is_an_optional_page_after_the_lesson_and_sends_no_second_quiz(tutor_inproc):
    t = tutor_inproc
    t.ws.slash(LIN, "/lesson", "4.1", channel=t.ws.dm_channel(LIN))
    pages = t.services.course.page_count("4.1")
    for n in range(1, pages):
        page = wait_dm(t.ws, LIN, lambda m, n=n: f"(page {n} of {pages})" in m.get("text", ""))[0]
        assert "Go deeper" not in text_of(page)
        t.ws.click(LIN, page, "lesson_continue")
    last = wait_dm(t.ws, LIN, lambda m: f"(page {pages} of {pages})" in m.get("text", ""))[0]
    wait_dm(t.ws, LIN, lambda m: "Question 1 of" in m.get("text", ""))
    assert "Go deeper (optional)" in json.dumps(last["blocks"])
    t.ws.click(LIN, last, "lesson_continue")
    deeper = wait_dm(t.ws, LIN, lambda m: "go deeper, page 1 of" in m.get("text", ""))[0]
    assert "Real-world examples" in text_of(deeper) and "not in the quiz" in text_of(deeper)
    t.settle()
    assert len([m for m in dm(t.ws, LIN) if "Question 1 of" in m.get("text", "")]) == 1
    # `/lesson` resumes the unfinished lesson at its last page (with the quiz), not inside Go deeper
    t.ws.slash(LIN, "/lesson", "", channel=t.ws.dm_channel(LIN))
    wait_dm(t.ws, LIN, lambda m: len([x for x in dm(t.ws, LIN)
                                      if "Question 1 of" in x.get("text", "")]) == 2)
    resumed = [m for m in dm(t.ws, LIN) if f"(page {pages} of {pages})" in m.get("text", "")]
    assert len(resumed) == 2
