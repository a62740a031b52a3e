"""`profile_due`: drips re-read a learner's Slack profile about once a week, spread over the week."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from bot.services.users import profile_due

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
LEARNERS = [f"U{i:06d}" for i in range(7000)]


def test_a_never_read_profile_is_due():
    assert profile_due("U1", None, MONDAY_9)


def test_a_profile_read_today_is_not_due():
    assert not any(profile_due(user, MONDAY_9 - timedelta(hours=2), MONDAY_9) for user in LEARNERS)


def test_a_cohort_read_on_one_day_is_spread_over_the_next_week():
    """7,000 learners who all subscribed on one Sunday: each later morning re-reads about 1,000, not 7,000."""
    read_at = MONDAY_9 - timedelta(days=1)
    last_read = dict.fromkeys(LEARNERS, read_at)
    per_day = Counter()
    for day in range(21):
        now = MONDAY_9 + timedelta(days=day)
        for user in LEARNERS:
            if profile_due(user, last_read[user], now):
                last_read[user] = now
                per_day[day] += 1
    assert 800 <= min(per_day[d] for d in range(21)) and max(per_day.values()) <= 1200, per_day
    assert all(MONDAY_9 + timedelta(days=20) - read < timedelta(days=7) for read in last_read.values())


def test_a_profile_older_than_eight_days_is_due_whatever_the_day():
    """A learner on weekdays-only drips whose refresh day is a Saturday still gets re-read."""
    stale = MONDAY_9 - timedelta(days=8)
    assert all(profile_due(user, stale, MONDAY_9) for user in LEARNERS[:100])


def test_naive_datetimes_from_sqlite_count_as_utc():
    assert not profile_due("U1", (MONDAY_9 - timedelta(hours=1)).replace(tzinfo=None), MONDAY_9)
