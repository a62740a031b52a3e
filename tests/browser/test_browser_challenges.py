"""A challenge's leaderboard in the browser: App Home shows the learners best first, with the majority
and TF-IDF baselines on the hidden split as reference lines (the screenshot in the README)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.handlers.test_handlers_challenges import run_scored
from tests.helpers import ADA, KOFI, LIN, PRIYA, TEAM, make_worker

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_leaderboard_in_app_home(tutor, open_page, monkeypatch):
    services = tutor.services
    for user in (ADA, LIN, KOFI, PRIYA):
        services.users.ensure(TEAM, user, services.client)
    services.challenges.create(TEAM, ADA, "data=support_tickets metric=macro_f1 ends=2026-12-20")
    worker = make_worker(tutor.settings, services.jobs)
    for user, share in ((LIN, 0.92), (KOFI, 0.81), (PRIYA, 0.55)):
        run_scored(tutor, worker, monkeypatch, user, share)
    page = open_page(tutor.ws.url, "U0KOF", place="home")
    board = page.locator(".home-view .section-text", has_text="Challenge #1").first
    board.wait_for()
    text = board.inner_text()
    assert text.index("TF-IDF baseline") >= 0 and "majority class" in text
    names = [services.users.ensure(TEAM, u, services.client).name or u for u in (LIN, KOFI, PRIYA)]
    assert text.index(names[0]) < text.index(names[1]) < text.index(names[2])
    board.scroll_into_view_if_needed()
    screenshot(page, "leaderboard.png")
