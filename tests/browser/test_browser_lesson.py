"""A learner takes lesson 1.1 in the browser: types the command, reads with Continue, answers every
quiz question by clicking, and sees the score."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

STEP_BUTTONS = "[data-action-id='lesson_continue'], [data-action-id^='quiz_answer_']"


def test_lesson_read_and_quiz_by_clicking(tutor, open_page):
    page = open_page(tutor.ws.url, "U0LIN")
    page.fill("#composer-input", "/les")
    assert page.locator("#command-suggestions [data-command='/lesson']").is_visible()
    page.fill("#composer-input", "/lesson 1.1")
    page.press("#composer-input", "Enter")
    page.locator(".message.from-bot .header", has_text="Lesson 1.1").first.wait_for()
    page.locator("[data-action-id='lesson_continue']").first.wait_for()
    screenshot(page, "lesson.png")

    complete = page.locator(".message", has_text=re.compile(r"Lesson 1\.1 complete"))
    clicks = {"lesson_continue": 0, "quiz_answer": 0}
    step_or_done = page.locator(STEP_BUTTONS).or_(complete)
    for _ in range(30):
        # the score arrives as its own message after the last answer's update: wait for whichever
        # comes next, a step button or the score (waiting for buttons alone raced the score)
        step_or_done.first.wait_for()
        if complete.count():
            break
        button = page.locator(STEP_BUTTONS).first
        action_id = button.get_attribute("data-action-id")
        ts = button.locator("xpath=ancestor::div[@data-ts][1]").get_attribute("data-ts")
        assert ts
        button.click()
        clicks["lesson_continue" if action_id == "lesson_continue" else "quiz_answer"] += 1
        # the message updates in place: the clicked buttons go, the next step arrives
        page.locator(f".message[data-ts='{ts}'] [data-action-id='{action_id}']").wait_for(state="detached")
    complete.wait_for()
    assert clicks["lesson_continue"] >= 1 and clicks["quiz_answer"] >= 1
    assert re.search(r"You scored \d+/\d+", complete.inner_text())
    answered = page.locator(".message", has_text="your answer")
    assert answered.count() == clicks["quiz_answer"]
    assert page.locator("[data-action-id^='quiz_answer_']").count() == 0
    complete.scroll_into_view_if_needed()
    screenshot(page, "quiz.png")
