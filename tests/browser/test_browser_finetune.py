"""A fine-tune from the browser with a real worker: the progress message moves in place, the
results and the plot image show, and "Try it" answers with a prediction in the modal."""

from __future__ import annotations

import time

import pytest

from bot.processes import stop_process
from tests.browser.conftest import screenshot
from tests.helpers import spawn_worker

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def worker(tutor):
    process = spawn_worker(tutor, quiet=True)
    yield process
    stop_process(process)


def test_finetune_progress_results_plot_and_try_it(tutor, worker, open_page):
    started = time.monotonic()
    page = open_page(tutor.ws.url, "U0LIN")
    page.fill("#composer-input", "/finetune data=support_tickets model=tiny epochs=2")
    page.press("#composer-input", "Enter")
    job = page.locator(".message:not(.ephemeral)", has_text="Fine-tune #1").first
    job.wait_for()
    job_ts = job.get_attribute("data-ts")
    # the bar moves in place: the same message shows a percentage strictly between 0 and 100
    page.wait_for_function(
        """() => [...document.querySelectorAll('.message .section-text')].some(node => {
             const found = /(\\d+)%/.exec(node.textContent);
             return found && Number(found[1]) > 0 && Number(found[1]) < 100; })""", timeout=240_000)
    screenshot(page, "finetune.png")
    print(f"progress moved after {time.monotonic() - started:.0f}s")

    results = page.locator(".message", has_text="Results of fine-tune #1")
    results.wait_for(timeout=240_000)
    assert "Accuracy" in results.inner_text()
    print(f"results after {time.monotonic() - started:.0f}s")
    plot = page.locator(".message .file-image").first
    plot.wait_for(timeout=30_000)
    page.wait_for_function("() => { const i = document.querySelector('.message .file-image');"
                           " return i && i.complete && i.naturalWidth > 100; }")
    page.locator(f".message[data-ts='{job_ts}']", has_text="Finished").wait_for()  # the same message, updated

    results.locator("[data-action-id='finetune_try']").click()
    modal = page.locator(".modal[data-callback-id='finetune_try_modal']")
    modal.wait_for()
    modal.locator(".modal-submit").click()  # empty: the bot answers with errors on the field
    modal.locator(".input-error", has_text="Type a sentence").wait_for()
    page.locator(".modal textarea[data-action-id='value']").fill("I was charged twice for my subscription")
    page.locator(".modal .modal-submit").click()
    prediction = page.locator(".modal .section-text", has_text="Prediction:")
    prediction.wait_for(timeout=30_000)
    labels = {"billing", "technical", "shipping", "account", "feedback"}
    assert any(label in prediction.inner_text() for label in labels)
    plot.scroll_into_view_if_needed()
    screenshot(page, "finetune-try.png")

    page.locator(".modal .modal-close").click()
    page.locator(".modal").wait_for(state="detached")
    page.click("#dev-toggle")
    page.locator(".journal-entry .journal-title", has_text="chat.update").first.wait_for()
    entry = page.locator(".journal-entry", has_text="files.completeUploadExternal").first
    entry.locator("summary").click()
    assert "files" in entry.locator(".journal-json").inner_text()
    screenshot(page, "devpanel.png")
