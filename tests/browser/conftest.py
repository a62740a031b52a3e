"""Fixtures for the browser suite: Debian's chromium driven by Playwright, and a page opened on a
running tutor's sandbox as a chosen person. Screenshots land in docs/img/ for the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"
VIEWPORT = {"width": 1280, "height": 860}


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium)"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and TUTOR_REQUIRE_SERVICES=1")
    pytest.skip(message + "; CI sets TUTOR_REQUIRE_SERVICES=1")


@pytest.fixture(scope="session")
def browser():
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser):
    """`open_page(url, user)` -> a live page as that person; page errors fail the test at the end."""
    contexts, errors = [], []

    def opener(base_url: str, user: str = "U0ADA", place: str = "dm"):
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{base_url}/?user={user}&place={place}")
        page.wait_for_selector("body[data-live='1']")
        return page

    yield opener
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    return path
