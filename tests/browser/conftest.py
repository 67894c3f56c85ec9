"""Fixtures of the browser tests: the demo on a plane, Debian's Chromium under Playwright.

Chromium comes from the system package manager (`make chromium`, which `make test` runs);
Playwright never downloads a browser here (``playwright install`` is never run): it drives
``/usr/bin/chromium`` with a fresh profile per test module. Screenshots go to
``.servingops/artifacts/browser/`` (gitignored) and each is checked not to be blank.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from demo_plane import deploy_demo
from plane_testing import RunningPlane, running_plane
from playwright.sync_api import BrowserContext, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Offline, quiet Chromium: no sandbox (root in a container), no calls home."""
TOKEN = "dapi-browser-test-token"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlane]:
    """A plane on 127.0.0.1 holding every demo endpoint, READY."""
    folder = tmp_path_factory.mktemp("plane")
    with running_plane(folder, token=TOKEN, settle_seconds=0, pt_settle_seconds=0, seed=1) as plane:
        with plane.client() as client:
            deploy_demo(client)
        yield plane


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Chromium with a fresh ``--user-data-dir`` (Playwright's persistent context)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (Debian's chromium package)")
    # absolute: a relative user_data_dir resolves against the browser's folder
    # (microsoft/playwright#34700)
    profile = tmp_path_factory.mktemp("chromium-profile").resolve()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1440, "height": 900},
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    """A new tab with no cookies (logged out)."""
    browser.clear_cookies()
    tab = browser.new_page()
    try:
        yield tab
    finally:
        tab.close()
