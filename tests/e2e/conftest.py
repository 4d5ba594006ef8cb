"""Browser tests of the built site: Playwright for Python driving the system's Chromium.

The browser comes from ``TP8_CHROMIUM`` (default ``/usr/bin/chromium``, Debian's package); Playwright
never downloads one. The site is served from ``site/`` on 127.0.0.1 (a free port) by a thread of the
test session. Every request to another host is blocked and recorded, so that a page that would
reach a third party fails its test while still being checked as a student would see it offline.

Without Chromium these tests fail, saying how to install it; set ``TP8_SKIP_E2E=1`` to skip them
on a machine without a browser (CI never does).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import sitekit

sys.path.insert(0, str(sitekit.ROOT / "tools"))
import site_server

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
VIEWPORT = {"width": 1280, "height": 900}


def chromium_path() -> str:
    return os.environ.get("TP8_CHROMIUM", "").strip() or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def e2e_enabled() -> str:
    """The browser executable; skips (TP8_SKIP_E2E=1) or fails loudly when there is none."""
    if sitekit.env_flag("TP8_SKIP_E2E"):
        pytest.skip("browser tests skipped: TP8_SKIP_E2E is set")
    path = chromium_path()
    found = path if Path(path).is_file() else shutil.which(path)
    if not found or not os.access(found, os.X_OK):
        pytest.fail(
            f"no Chromium at {path!r} for the browser tests: install it (`apt-get install chromium`), or point "
            "TP8_CHROMIUM at a Chromium/Chrome executable; TP8_SKIP_E2E=1 skips these tests on a machine "
            "without a browser",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="session")
def site(e2e_enabled) -> Path:
    return sitekit.ensure_site()


@pytest.fixture(scope="session")
def base_url(site) -> str:
    """``http://127.0.0.1:PORT/<site_url's path>``, serving ``site/`` for the whole session."""
    with site_server.serving(site) as root:
        yield root


@pytest.fixture(scope="session")
def serve_site():
    """``serve_site(folder)``: serve another built site (e.g. the playground's small harness) as
    ``base_url`` serves ``site/``, for the rest of the session; returns its root URL."""
    with contextlib.ExitStack() as stack:
        yield lambda folder: stack.enter_context(site_server.serving(Path(folder)))


@pytest.fixture(scope="session")
def browser(e2e_enabled):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=e2e_enabled, args=CHROMIUM_ARGS, timeout=120_000)
        yield browser
        browser.close()


class Guard:
    """A browser context that blocks and records third-party requests, console errors, HTTP errors."""

    def __init__(self, browser, **options):
        self.blocked: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.http_errors: list[str] = []
        settings = {"viewport": VIEWPORT, "locale": "fr-FR", "color_scheme": "light", **options}
        self.context = browser.new_context(service_workers="block", **settings)
        self.context.set_default_timeout(30_000)
        self.context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def new_page(self):
        page = self.context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("response", lambda r: r.status >= 400 and self.http_errors.append(f"HTTP {r.status} {r.url}"))
        return page

    def _console(self, message):
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            self.console_errors.append(f"{message.text} [{where}]")

    def problems(self) -> list[str]:
        return (
            [f"console error: {e}" for e in self.console_errors]
            + [f"page error: {e}" for e in self.page_errors]
            + self.http_errors
            + [f"third-party request blocked: {u}" for u in self.blocked]
        )

    def close(self):
        self.context.close()


@pytest.fixture(scope="session")
def make_guard(browser):
    """``make_guard()``: a new guarded browser context (close it when done)."""
    return functools.partial(Guard, browser)


@pytest.fixture
def guard(make_guard):
    guard = make_guard()
    yield guard
    guard.close()
