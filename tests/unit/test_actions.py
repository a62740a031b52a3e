"""The button protocol: what a renderer writes is what a handler reads; buttons already posted by the
first version keep working; forged values and other learners' clicks are told apart."""

from __future__ import annotations

import json

import pytest

from bot import actions
from bot.actions import (CancelRun, ContinueLesson, PauseDrip, QuizAnswer, ReviewAnswer, StartCourse, ToggleDrip,
                         read_click)


def click_body(user: str, team: str = "T1") -> dict:
    return {"user": {"id": user, "team_id": team}}


@pytest.mark.parametrize("click", [
    ContinueLesson(owner="U1", lesson="2.1", page=3),
    QuizAnswer(owner="U1", lesson="1.1", question="q2", choice=1),
    ReviewAnswer(owner="U1", review=7, stage=2, choice=0),
    CancelRun(owner="U1", job=12),
    ToggleDrip(state="off"),
    PauseDrip(state="resume"),
    StartCourse(),
])
def test_a_button_reads_back_as_the_click_it_was_built_from(click):
    index = 1 if click.INDEXED else None
    button = click.button("Go", index=index)
    assert type(click).decode(button) == click
    matcher = type(click).matcher()
    assert matcher.match(button["action_id"]) if hasattr(matcher, "match") else matcher == button["action_id"]


def test_buttons_posted_by_the_first_version_still_decode():
    old_quiz = {"action_id": "quiz_answer_2", "value": json.dumps({"l": "1.1", "q": "reviews_5000", "c": 2, "u": "U1"})}
    assert QuizAnswer.decode(old_quiz) == QuizAnswer(owner="U1", lesson="1.1", question="reviews_5000", choice=2)
    old_cancel = {"action_id": "finetune_cancel", "value": '{"j": 5, "u": "U1"}'}
    assert CancelRun.decode(old_cancel) == CancelRun(owner="U1", job=5)
    assert ToggleDrip.decode({"value": "on"}) == ToggleDrip(state="on")


@pytest.mark.parametrize("value", ["", "not json", "[1]", '{"l": "1.1", "q": "x", "c": "two", "u": "U1"}',
                                   '{"l": "1.1", "q": "x", "c": true, "u": "U1"}', '{"l": "1.1", "q": "x", "c": 1}',
                                   '{"l": 1.1, "q": "x", "c": 1, "u": "U1"}'])
def test_forged_or_broken_values_decode_to_nothing(value):
    assert QuizAnswer.decode({"value": value}) is None


def test_values_outside_a_set_are_refused():
    assert ToggleDrip.decode({"value": "maybe"}) is None and PauseDrip.decode({"value": "<!channel>"}) is None


def test_the_owner_check_tells_mine_from_foreign_from_forged():
    button = CancelRun(owner="U1", job=3).button("Cancel")
    assert read_click(CancelRun, click_body("U1"), button).mine
    foreign = read_click(CancelRun, click_body("U2"), button)
    assert foreign.foreign and not foreign.mine
    forged = read_click(CancelRun, click_body("U1"), {"value": "{}"})
    assert not forged.mine and not forged.foreign
    assert read_click(StartCourse, click_body("U9"), StartCourse().button("Start")).mine  # nobody owns Home


def test_an_index_is_required_exactly_for_indexed_buttons():
    with pytest.raises(ValueError):
        QuizAnswer(owner="U1", lesson="1.1", question="q", choice=0).button("A")
    with pytest.raises(ValueError):
        CancelRun(owner="U1", job=1).button("Cancel", index=0)
    assert actions.QuizAnswer.matcher().match("quiz_answer_12") and not actions.QuizAnswer.matcher().match("quiz_answer_x")
