"""Opening a challenge: its arguments, each bad one refused with what to fix, and the hidden split."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.services.challenges import ChallengeRefused, hidden_indices, parse_new


def test_a_challenge_is_parsed_and_bad_arguments_say_what_to_fix():
    samples = {"support_tickets": Path("x.csv")}
    today = date(2026, 3, 2)
    assert parse_new("data=support_tickets metric=accuracy ends=2026-12-20 limit=5", samples, today) == (
        "support_tickets", "accuracy", date(2026, 12, 20), 5)
    for text, says in (("data=nope ends=2026-12-20", "`data=` must be one of"),
                       ("data=support_tickets metric=loss ends=2026-12-20", "`metric=` must be"),
                       ("data=support_tickets ends=tomorrow", "`ends=` must be a date"),
                       ("data=support_tickets ends=2026-02-30", "is not a date"),
                       ("data=support_tickets ends=2026-12-20 limit=0", "`limit=`"),
                       ("data=support_tickets ends=2026-12-20 <!here>", "`&lt;!here&gt;`")):
        with pytest.raises(ChallengeRefused, match=says):
            parse_new(text, samples, today)
    labels = ["a"] * 10 + ["b"] * 5 + ["c"]
    hidden = hidden_indices(labels, "seed")
    assert sorted(labels[i] for i in hidden) == ["a", "a", "b"]  # a fifth of each class; a lone row stays
    assert hidden == hidden_indices(labels, "seed")
