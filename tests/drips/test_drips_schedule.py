"""Pure scheduling: `parse_local_time` and `next_occurrence`, including daylight-saving days."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.services.drips import DripSettingError, next_occurrence, parse_local_time

UTC = timezone.utc


def local(tz: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz))


@pytest.mark.parametrize("typed, stored", [("09:00", "09:00"), ("9:05", "09:05"), (" 17:30 ", "17:30"),
                                           ("00:00", "00:00"), ("23:59", "23:59")])
def test_parse_local_time_accepts_24_hour_times(typed, stored):
    assert parse_local_time(typed) == stored


@pytest.mark.parametrize("typed", ["24:00", "9", "9am", "09:60", "09:5", "", "nine", "-1:00", "09:00:00", "１０:００"])
def test_parse_local_time_refuses_anything_else_and_says_what_to_type(typed):
    with pytest.raises(DripSettingError) as raised:
        parse_local_time(typed)
    assert "09:00" in str(raised.value)


def test_next_occurrence_is_later_the_same_day_when_the_time_is_still_ahead():
    after = local("Europe/London", 2026, 3, 2, 8, 59)
    assert next_occurrence("09:00", "Europe/London", after, False) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_next_occurrence_is_strictly_after_so_the_moment_itself_moves_to_tomorrow():
    after = local("Europe/London", 2026, 3, 2, 9, 0)
    assert next_occurrence("09:00", "Europe/London", after, False) == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def test_next_occurrence_returns_utc_for_the_learners_wall_clock():
    after = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday
    assert next_occurrence("09:00", "America/Los_Angeles", after, False) == datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    # 13:30 in Kolkata already: the next 09:00 there is Tuesday, 03:30 UTC
    assert next_occurrence("09:00", "Asia/Kolkata", after, False) == datetime(2026, 3, 3, 3, 30, tzinfo=UTC)
    assert next_occurrence("09:00", "Africa/Accra", after, False).tzinfo is not None


def test_weekdays_only_skips_saturday_and_sunday():
    friday_after = local("Europe/London", 2026, 3, 6, 9, 0)
    found = next_occurrence("08:30", "Europe/London", friday_after, True)
    assert found == datetime(2026, 3, 9, 8, 30, tzinfo=UTC)
    assert found.astimezone(ZoneInfo("Europe/London")).strftime("%A") == "Monday"
    every_day = next_occurrence("08:30", "Europe/London", friday_after, False)
    assert every_day.astimezone(ZoneInfo("Europe/London")).strftime("%A") == "Saturday"


@pytest.mark.parametrize("tz, before_change, utc_hour_before, utc_hour_after", [
    ("Europe/London", (2026, 3, 28), 9, 8),         # BST starts Sunday 29 March
    ("America/Los_Angeles", (2026, 3, 7), 17, 16),  # PDT starts Sunday 8 March
    ("Europe/London", (2026, 10, 24), 8, 9),        # BST ends Sunday 25 October
    ("America/Los_Angeles", (2026, 10, 31), 16, 17),  # PDT ends Sunday 1 November
])
def test_daylight_saving_keeps_the_wall_clock_time(tz, before_change, utc_hour_before, utc_hour_after):
    first = next_occurrence("09:00", tz, local(tz, *before_change, 8, 0), False)
    second = next_occurrence("09:00", tz, first, False)
    assert first.hour == utc_hour_before and second.hour == utc_hour_after
    assert second - first == timedelta(hours=24 + utc_hour_after - utc_hour_before)
    for moment in (first, second):
        assert moment.astimezone(ZoneInfo(tz)).strftime("%H:%M") == "09:00"


def test_a_time_in_the_spring_forward_gap_resolves_after_the_gap():
    # 01:30 does not exist in London on 29 March 2026 (01:00 GMT jumps to 02:00 BST)
    found = next_occurrence("01:30", "Europe/London", local("Europe/London", 2026, 3, 29, 0, 10), False)
    assert found == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert found.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M") == "02:30"


@pytest.mark.parametrize("after_utc", [
    datetime(2026, 10, 25, 0, 15, tzinfo=UTC),  # 01:15 BST, before the first 01:30
    datetime(2026, 10, 25, 0, 45, tzinfo=UTC),  # 01:45 BST, between the two 01:30s
    datetime(2026, 10, 25, 1, 15, tzinfo=UTC),  # 01:15 GMT, the repeated hour
    datetime(2026, 10, 25, 1, 45, tzinfo=UTC),  # 01:45 GMT, after both
])
def test_the_fall_back_hour_never_gives_a_moment_in_the_past(after_utc):
    found = next_occurrence("01:30", "Europe/London", after_utc, False)
    assert found > after_utc
    assert found.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M") == "01:30"
    assert found - after_utc <= timedelta(hours=25)


@pytest.mark.parametrize("tz", ["Europe/London", "America/Los_Angeles", "Asia/Kolkata", "Africa/Accra",
                                "Pacific/Chatham", "Australia/Lord_Howe"])
def test_every_day_of_a_year_gets_exactly_one_delivery(tz):
    """Chained occurrences over a year: one per local day, always strictly increasing."""
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    days = []
    for _ in range(365):
        following = next_occurrence("09:00", tz, moment, False)
        assert following > moment
        days.append(following.astimezone(ZoneInfo(tz)).date())
        moment = following
    assert len(set(days)) == 365
    assert all((b - a).days == 1 for a, b in zip(days, days[1:]))


def test_an_unknown_zone_falls_back_to_utc():
    after = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert next_occurrence("09:00", "Mars/Olympus_Mons", after, False) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
