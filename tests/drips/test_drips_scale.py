"""Exactly once at scale: two schedulers (two bot replicas) on one database, and Slack rate limiting."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.runtime import BotRuntime
from bot.store.models import DripSubscription
from drip_steps import TEAM, deliveries

UTC = timezone.utc
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SPREAD_ZONES = ["Europe/London", "America/Los_Angeles", "Asia/Kolkata", "Africa/Accra", "Australia/Sydney"]


def add_due_learners(tutor, count: int, prefix: str) -> list[str]:
    """`count` sandbox people subscribed at the current minute of their own zone, so all are due now."""
    users = [f"{prefix}{i:05d}" for i in range(count)]
    with tutor.services.db.session() as session:
        for index, user in enumerate(users):
            tz = SPREAD_ZONES[index % len(SPREAD_ZONES)]
            tutor.ws.add_user(user, f"learner{index}", tz=tz)
            session.add(DripSubscription(
                team_id=TEAM, user_id=user, enabled=True, paused=False, weekdays_only=False, tz=tz,
                local_time=NOW.astimezone(ZoneInfo(tz)).strftime("%H:%M"), ignored_in_a_row=0,
                next_due_at=NOW, updated_at=NOW))
    return users


def posts_per_channel(ws) -> Counter:
    """Per DM (a first post names the learner, `channel=U…`; Slack posts it in their DM all the same)."""
    return Counter(ws.state.resolve_channel(e["args"]["channel"]) for e in ws.journal("chat.postMessage", kind="api")
                   if e.get("ok"))


def assert_each_got_exactly_one(tutor, users: list[str]) -> None:
    per_channel = posts_per_channel(tutor.ws)
    expected = {tutor.ws.dm_channel(user) for user in users}
    assert set(per_channel) == expected
    duplicates = {channel: n for channel, n in per_channel.items() if n != 1}
    assert not duplicates, f"{len(duplicates)} learners got more than one message: {list(duplicates.items())[:5]}"
    rows = deliveries(tutor)
    assert len(rows) == len(users) and {r.status for r in rows} == {"sent"}
    assert {r.user_id for r in rows} == set(users)


@pytest.fixture(params=["sqlite", "postgres"])
def shared_database(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.mark.slow  # about 25 s on SQLite and 35 s on Postgres with 2 cores: 1,000 real sends through the sandbox
def test_two_schedulers_on_one_database_send_each_of_1000_drips_once(tutor_at, shared_database):
    tutor = tutor_at(NOW, database_url=shared_database)
    users = add_due_learners(tutor, 1000, "U9")
    replica = BotRuntime(tutor.settings, clock=tutor.clock, start_scheduler=False, sends_per_second=200).start()
    try:
        start = threading.Barrier(2)
        claimed: dict[str, int] = {}
        errors: list[BaseException] = []

        def run_tick(name: str, runtime: BotRuntime) -> None:
            try:
                start.wait()
                claimed[name] = runtime.tick()
            except BaseException as error:  # surfaced below, not lost in the thread
                errors.append(error)

        threads = [threading.Thread(target=run_tick, args=(name, runtime))
                   for name, runtime in (("first", tutor.runtime), ("second", replica))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
        assert sum(claimed.values()) == 1000, claimed
        tutor.runtime.sender.queue.join()
        replica.sender.queue.join()
        # a second round of ticks on both replicas finds nothing more to send
        assert tutor.runtime.tick() == 0 and replica.tick() == 0
    finally:
        replica.stop()
    assert_each_got_exactly_one(tutor, users)


@pytest.mark.slow
def test_rate_limited_slack_still_gets_every_drip_once(tutor_at):
    tutor = tutor_at(NOW)
    users = add_due_learners(tutor, 30, "U8")
    tutor.ws.set_rate_limit("chat.postMessage", 5, 1.0, retry_after=1)
    assert tutor.runtime.tick() == 30
    tutor.runtime.sender.queue.join()
    limited = [e for e in tutor.ws.journal("chat.postMessage", kind="api") if e.get("status") == 429]
    assert limited, "the sandbox never rate limited: the test did not test anything"
    assert_each_got_exactly_one(tutor, users)


def test_a_tick_hands_claims_to_the_sender_while_it_claims_the_rest(tutor_at, monkeypatch):
    """10,000 learners due at once: the first are being sent while the tick still claims the others."""
    from bot.services.drips import CLAIM_CHUNK

    tutor = tutor_at(NOW)
    users = add_due_learners(tutor, CLAIM_CHUNK * 3, "U7")
    sender, seen = tutor.runtime.sender, []
    submit = sender.submit

    def counting_submit(claims):
        seen.append((len(claims), len(deliveries(tutor))))  # rows claimed in the database so far
        submit(claims)

    monkeypatch.setattr(sender, "submit", counting_submit)
    assert tutor.runtime.tick() == len(users)
    sender.queue.join()
    assert [size for size, _ in seen] == [CLAIM_CHUNK] * 3
    assert seen[0][1] == CLAIM_CHUNK, "the first claims waited for the whole tick"
    assert_each_got_exactly_one(tutor, users)
