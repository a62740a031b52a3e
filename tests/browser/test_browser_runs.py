"""Runs in the browser: `/finetune runs` lists them, and `/finetune compare` shows one message with the
summary, the tables and the validation-curve image (drawn by the worker task, here in Huey's immediate
mode, from the curves stored in the job rows)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.handlers.test_handlers_runs import finished_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_runs_list_and_a_comparison_with_its_plot(tutor, open_page):
    tutor.services.queues.predict.immediate = True
    slow = finished_run(tutor, lr=5e-5, f1=0.61, val=((1, 0.7), (2, 0.58), (3, 0.52)))
    fast = finished_run(tutor, lr=3e-4, f1=0.74, val=((1, 0.4), (2, 0.48), (3, 0.6)))
    page = open_page(tutor.ws.url, "U0LIN")
    page.fill("#composer-input", "/finetune runs")
    page.press("#composer-input", "Enter")
    page.locator(".message", has_text="Your runs").first.wait_for()
    page.fill("#composer-input", f"/finetune compare {slow} {fast}")
    page.press("#composer-input", "Enter")
    message = page.locator(".message:not(.ephemeral)", has_text=f"Comparing runs #{slow} vs #{fast}").first
    message.wait_for()
    assert "The higher learning rate" in message.inner_text()
    page.wait_for_function("() => { const i = document.querySelector('.message .block-image');"
                           " return i && i.complete && i.naturalWidth > 100; }")
    message.scroll_into_view_if_needed()
    screenshot(page, "compare.png")
