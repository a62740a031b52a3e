"""A send interrupted mid-way (the process died in `sending`): the next tick after the timeout looks
in the learner's DM for the delivery's metadata, then records it as sent or sends it, never twice."""

from __future__ import annotations

from datetime import timedelta

from drip_steps import TEAM, deliveries, lessons_received, local_moment, tick_at

LIN = "U0LIN"


def interrupted_claim(tutor, *, posted: bool):
    """A delivery claimed and marked `sending`, as a process that died right there leaves it."""
    from bot.services.drip_sender import PostRecorder

    drips = tutor.services.drips
    drips.subscribe(TEAM, LIN, "09:00", False, "America/Los_Angeles")
    tutor.clock.set(local_moment("America/Los_Angeles", 2026, 3, 3, 9, 0))
    claim = drips.due_claims()[0]
    assert drips.mark_sending(claim)
    if posted:  # the lesson reached Slack, the process died before recording it
        tutor.services.drip_sender.deliver(PostRecorder(tutor.services.client, claim.delivery_id), claim)
    return claim


def test_posted_before_the_crash_is_recorded_not_resent(tutor_at):
    tutor = tutor_at(local_moment("America/Los_Angeles", 2026, 3, 3, 8, 0))
    claim = interrupted_claim(tutor, posted=True)
    assert len(lessons_received(tutor.ws, LIN)) == 1
    tick_at(tutor, tutor.clock.now() + timedelta(seconds=30))  # not yet stale: nothing happens
    assert deliveries(tutor, LIN)[0].status == "sending"
    tick_at(tutor, tutor.clock.now() + tutor.services.drips.sending_timeout)
    row = deliveries(tutor, LIN)[0]
    assert row.id == claim.delivery_id and row.status == "sent" and row.message_ts
    assert len(lessons_received(tutor.ws, LIN)) == 1
    assert tutor.ws.journal("conversations.history")


def test_never_posted_is_sent_once_after_the_timeout(tutor_at):
    tutor = tutor_at(local_moment("America/Los_Angeles", 2026, 3, 3, 8, 0))
    interrupted_claim(tutor, posted=False)
    assert lessons_received(tutor.ws, LIN) == []
    tick_at(tutor, tutor.clock.now() + tutor.services.drips.sending_timeout + timedelta(seconds=1))
    assert deliveries(tutor, LIN)[0].status == "sent"
    assert len(lessons_received(tutor.ws, LIN)) == 1
    tick_at(tutor, tutor.clock.now() + tutor.services.drips.sending_timeout * 2)
    assert len(lessons_received(tutor.ws, LIN)) == 1
