"""Browser fixtures: build the web app, run `python -m local.run`, drive headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import pytest

from tests.browser.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TIME_ZONE,
    UI_TIMEOUT_MS,
    Api,
    Platform,
    fail_or_skip,
    run_platform,
)


@pytest.fixture(scope="package")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Build the app, start `python -m local.run` on free ports with a temp SQLite database."""
    with run_platform(tmp_path_factory.mktemp("platform")) as running:
        yield running


@pytest.fixture(scope="package")
def api(platform: Platform) -> Api:
    """An API client logged in as the bootstrap administrator."""
    return Api(platform.web_url)


@pytest.fixture(scope="package")
def seed_hours(platform: Platform) -> Iterator[Any]:
    """Write hourly totals for a device straight into the platform's database."""
    from shared.db import dispose_all, session_factory, transaction
    from tests.utils.factories import write_hours

    factory = session_factory(platform.database_url)

    def seed(device_id: str, energy_by_hour: Mapping[datetime, float]) -> None:
        with transaction(factory) as session:
            write_hours(session, device_id=device_id, energy_by_hour=energy_by_hour)

    yield seed
    dispose_all()


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """Headless Debian Chromium (never a downloaded build), stopped when this package is done.

    Playwright's sync API keeps an event loop running in this thread while it is started, which
    breaks asyncio tests that run later, so it must not outlive the browser tests.
    """
    if not CHROMIUM.exists():
        fail_or_skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()
        pw.stop()


@pytest.fixture
def new_page(chromium: Any, platform: Platform) -> Iterator[Any]:
    """Factory of fresh pages (own context: own localStorage) that fail the test on JS errors."""
    contexts: list[Any] = []
    errors: list[str] = []

    def make() -> Any:
        context = chromium.new_context(
            base_url=platform.web_url,
            viewport={"width": 1360, "height": 900},
            timezone_id=TIME_ZONE,
            locale="en-GB",
            reduced_motion="reduce",
        )
        context.set_default_timeout(UI_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.fixture
def page(new_page: Any) -> Any:
    """A fresh page in its own browser context."""
    return new_page()
