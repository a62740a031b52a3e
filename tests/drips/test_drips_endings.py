"""How drips end: the course is finished, or Slack refuses a learner for good (others still get theirs),
or the bot stopped between claiming a drip and sending it."""

from __future__ import annotations

import pytest

from datetime import datetime, timezone

from bot.runtime import BotRuntime
from bot.store.models import LessonProgress
from tests.helpers import lesson_count
from drip_steps import TEAM, daily, deliveries, lessons_received, posted_texts, posts_to, subscription, tick_at

UTC = timezone.utc
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_course_end_sends_the_congratulation_and_stops(tutor_at):
    tutor = tutor_at(MONDAY)
    lessons = [lesson.id for lesson in tutor.services.course.lessons]
    assert len(lessons) == lesson_count()
    with tutor.services.db.session() as session:
        for lesson_id in lessons:
            session.add(LessonProgress(team_id=TEAM, user_id="U0ADA", lesson_id=lesson_id, page=0,
                                       started_at=MONDAY, completed_at=MONDAY, completed_local_date="2026-03-02",
                                       score=4, questions=4))
    daily(tutor, "U0ADA", "09:00")
    tick_at(tutor, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert posted_texts(tutor.ws, "U0ADA") == ["You finished the course!"]
    final = tutor.ws.messages("U0ADA")[-1]
    assert f"*{len(lessons)} of {len(lessons)}* lessons done" in str(final["blocks"]) and "congratulations" in str(final["blocks"])
    assert subscription(tutor, "U0ADA").enabled is False
    for day in (3, 4, 5):
        tick_at(tutor, datetime(2026, 3, day, 9, 0, tzinfo=UTC))
    assert len(posts_to(tutor.ws, "U0ADA")) == 1
    assert [r.local_date for r in deliveries(tutor)] == ["2026-03-02"]


def test_a_deactivated_learner_is_recorded_as_failed_and_others_still_get_theirs(tutor_at):
    tutor = tutor_at(MONDAY)
    for user in ("U0ADA", "U0LIN", "U0KOF"):
        daily(tutor, user, "09:00")
    # Kofi has had a lesson before, so the bot knows his DM channel already
    tutor.ws.slash("U0KOF", "/lesson", "")
    tutor.ws.wait_for(lambda: lessons_received(tutor.ws, "U0KOF"), message="Kofi's first lesson")
    tutor.ws.deactivate("U0LIN")
    tutor.ws.deactivate("U0KOF")
    tick_at(tutor, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # London and Accra
    tick_at(tutor, datetime(2026, 3, 2, 17, 0, tzinfo=UTC))  # Los Angeles
    rows = {r.user_id: r for r in deliveries(tutor)}
    assert rows["U0ADA"].status == "sent" and len(lessons_received(tutor.ws, "U0ADA")) == 1
    for user in ("U0LIN", "U0KOF"):
        assert rows[user].status == "failed" and rows[user].error == "user_disabled", user
        assert rows[user].sent_at is None
    assert len(lessons_received(tutor.ws, "U0KOF")) == 1  # only the one asked for before


def test_a_claim_left_by_a_stopped_bot_is_sent_once_on_restart(tutor_at):
    tutor = tutor_at(MONDAY)
    daily(tutor, "U0ADA", "09:00")
    tutor.clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    claims = tutor.services.drips.due_claims()  # claimed, then the process "died" before sending
    assert len(claims) == 1 and deliveries(tutor)[0].status == "claimed"
    assert tutor.runtime.tick() == 0  # the schedule moved on: no second claim
    second = BotRuntime(tutor.settings, clock=tutor.clock, start_scheduler=False).start()
    try:
        second.sender.queue.join()
        assert deliveries(tutor)[0].status == "sent"
        tutor.runtime.sender.submit(claims)  # a stale copy of the claim somewhere else: ignored
        tutor.runtime.sender.queue.join()
    finally:
        second.stop()
    assert len(lessons_received(tutor.ws, "U0ADA")) == 1


@pytest.mark.slow
def test_a_delivery_that_failed_half_way_is_not_sent_again(tutor_at):
    """The last page went out, then Slack kept refusing the quiz: retrying the whole delivery would
    post the page twice, so the delivery is recorded as failed instead."""
    tutor = tutor_at(MONDAY)
    ws = tutor.ws
    tutor.services.learning.reach_page(TEAM, "U0ADA", "1.1", 2)  # the drip is the last page, then the quiz
    daily(tutor, "U0ADA", "09:00")
    ws.set_rate_limit("chat.postMessage", 1, 3600, retry_after=0)  # one message, then 429 until cleared
    tutor.clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert tutor.runtime.tick() == 1
    refused = lambda: len([e for e in ws.journal("chat.postMessage") if e.get("status") == 429])  # noqa: E731
    ws.wait_for(lambda: refused() >= 6, timeout=20, message="the client gave up on the quiz")
    ws.clear_rate_limits()  # a re-run of the delivery would now succeed and post the page again
    tutor.runtime.sender.queue.join()
    assert posted_texts(ws, "U0ADA") == ["📚 Lesson 1.1: What is Fine-Tuning? (page 3 of 3)"]
    row = deliveries(tutor)[0]
    assert row.status == "failed" and row.error == "ratelimited (after a partial send)"


def test_each_workspace_is_sent_to_with_its_own_token(tutor_at):
    """In OAuth mode the sender asks for the claim's team client; a revoked token or a missing
    installation is recorded on the delivery, never left half-done."""
    from bot.services.drip_sender import DripSender
    from bot.slack import make_client

    tutor = tutor_at(MONDAY)
    daily(tutor, "U0ADA", "09:00")
    daily(tutor, "U0KOF", "09:00")
    tutor.clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    claims = {claim.user_id: claim for claim in tutor.services.drips.due_claims()}
    asked = []

    def client_for_team(team_id):
        asked.append(team_id)
        if len(asked) == 1:
            return make_client(tutor.ws.api_url, "xoxb-revoked")
        raise LookupError(f"no installation for team {team_id}")

    sender = DripSender(tutor.services.drips, tutor.services.drip_sender.deliver, tutor.services.client,
                         client_for_team=client_for_team)
    sender.send(claims["U0ADA"])
    sender.send(claims["U0KOF"])
    assert asked == [TEAM, TEAM]
    rows = {r.user_id: r for r in deliveries(tutor)}
    assert (rows["U0ADA"].status, rows["U0ADA"].error) == ("failed", "invalid_auth")
    assert rows["U0KOF"].status == "failed" and rows["U0KOF"].error.startswith("LookupError: no installation")
    assert posts_to(tutor.ws, "U0ADA") == [] and posts_to(tutor.ws, "U0KOF") == []
