"""App Home in the browser: the daily-lesson time set with the time picker, and the admin's team view."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_change_daily_lesson_time_with_the_time_picker(tutor, open_page):
    page = open_page(tutor.ws.url, "U0LIN")
    page.click("#nav-home")
    setting = page.locator(".home-view .section-text", has_text="Daily lesson:")
    setting.wait_for()
    assert "off" in setting.inner_text()
    page.fill(".home-view input[data-action-id='drip_time']", "07:45")
    page.locator(".home-view .section-text", has_text="every day at 07:45").wait_for()
    assert page.locator(".home-view input[data-action-id='drip_time']").input_value() == "07:45"
    assert page.locator(".home-view", has_text="Team view").count() == 0  # Lin is no admin
    picked = [d["payload"]["actions"][0] for d in tutor.ws.deliveries("block_actions")]
    assert picked[-1]["action_id"] == "drip_time" and picked[-1]["selected_time"] == "07:45"


def test_admin_sees_the_team_view(tutor, open_page):
    page = open_page(tutor.ws.url, "U0ADA", place="home")
    page.locator(".home-view .header", has_text="Team view").wait_for()
    assert page.locator(".home-view", has_text="Completion funnel").count() == 1
    screenshot(page, "home.png")
    page.select_option("#user-switcher", "U0KOF")
    page.locator(".home-view .section-text", has_text="Daily lesson:").wait_for()
    page.wait_for_function("!document.querySelector('.home-view')?.textContent.includes('Team view')")
