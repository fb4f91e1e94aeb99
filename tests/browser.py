"""Playwright driving Debian's Chromium (never a downloaded browser) against pytest-django's live server.

Without ``/usr/bin/chromium`` the browser tests are skipped, except under CI=true, where a missing
browser fails the run. They run in the SQLite pass of ``make test`` only. ``SCREENSHOT_DIR`` (``make
screenshots``) keeps a picture of each main page.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def require_chromium():
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing (CI=true: the browser tests must run)")
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")


@pytest.fixture(scope="session")
def chromium():
    # The pages in a browser once, in the SQLite pass (the embedded default that `make run` serves): what they
    # show is the same on PostgreSQL, where the test client covers every page again, and twice would add minutes.
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("browser tests run once, in the SQLite pass")
    require_chromium()
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API keeps an event loop in this thread; the ORM calls the tests make
    # between browser steps are still synchronous, which Django's guard cannot tell.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium, live_server):
    """A page factory: a fresh browser context (its own cookies) in Chinese, at a desktop or phone size."""
    contexts = []

    def _new_page(viewport=DESKTOP):
        context = chromium.new_context(
            locale="zh-CN", viewport=viewport, base_url=live_server.url, accept_downloads=True
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


def sign_in(page, person, password="correct-horse-battery"):
    page.goto("/signin/")
    page.fill("input[name=username]", person.username)
    page.fill("input[name=password]", password)
    page.click("button.primary")
    page.wait_for_url(lambda url: "/signin/" not in url)


def screenshot(page, name: str) -> None:
    directory = os.environ.get("SCREENSHOT_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)


def scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
