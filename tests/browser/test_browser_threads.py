"""Threads in the browser: a learner asks the tutor in the DM, sees "1 reply" under the question,
opens the thread in the side panel (the answer cites its lesson), and asks a follow-up from the
panel's reply box, which is answered in the same thread."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_ask_in_the_dm_and_follow_the_answer_in_its_thread(tutor, open_page):
    page = open_page(tutor.ws.url, "U0LIN")
    page.fill("#composer-input", "what learning rate should I use?")
    page.press("#composer-input", "Enter")
    question = page.locator(".messages .message", has_text="what learning rate should I use?")
    question.locator(".thread-replies", has_text="1 reply").wait_for()
    assert page.locator(".messages .message", has_text="Lesson 3.2").count() == 0  # the answer is in the thread
    question.locator(".thread-replies").click()
    panel = page.locator("#thread-panel")
    panel.wait_for(state="visible")
    panel.locator(".message.from-bot", has_text="Lesson 3.2").wait_for()
    assert panel.locator("[data-action-id^='tutor_feedback_']").count() == 2
    page.fill("#thread-input", "and what does warmup do?")
    page.press("#thread-input", "Enter")
    panel.locator(".message", has_text="and what does warmup do?").wait_for()
    panel.locator(".thread-count", has_text="3 replies").wait_for()
    question.locator(".thread-replies", has_text="3 replies").wait_for()
    page.locator("#thread-close").click()
    panel.wait_for(state="hidden")
