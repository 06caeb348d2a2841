"""Browser fixtures: build the web app, run `python -m local.run`, drive headless Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import pytest

from tests.browser.support import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO_ROOT,
    TIME_ZONE,
    UI_TIMEOUT_MS,
    Api,
    Platform,
    ensure_web_app_built,
    fail_or_skip,
    free_port,
    wait_healthy,
)


@pytest.fixture(scope="package")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Build the app, start `python -m local.run` on free ports with a temp SQLite database."""
    if not (REPO_ROOT / "local" / "run.py").exists():
        fail_or_skip("local/run.py does not exist yet")
    ensure_web_app_built()
    data_dir = tmp_path_factory.mktemp("platform")
    database_url = f"sqlite:///{data_dir / 'app.db'}"
    web_port, api_port = free_port(), free_port()
    env = {
        **os.environ,
        "APP_PROFILE": "test",
        "DATABASE_URL": database_url,
        "JWT_SECRET": "browser-tests-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "ADMIN_USERNAME": ADMIN_USERNAME,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "PYTHONUNBUFFERED": "1",
    }
    log_path = data_dir / "local-run.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "local.run",
                "--api-port",
                str(api_port),
                "--web-port",
                str(web_port),
                "--data-dir",
                str(data_dir),
                # The Web PubSub twin (live alerts), the chat service and its gRPC-Web bridge
                # on free ports too, so a `make run` or another test run never collides.
                "--pubsub-port",
                "0",
                "--chat-port",
                "0",
                "--grpcweb-port",
                "0",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            web_url = f"http://127.0.0.1:{web_port}/"
            wait_healthy(f"{web_url}api/health", proc, log_path)
            yield Platform(web_url=web_url, database_url=database_url)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


@pytest.fixture(scope="package")
def api(platform: Platform) -> Api:
    """An API client logged in as the bootstrap administrator."""
    return Api(platform.web_url)


@pytest.fixture(scope="package")
def seed_hours(platform: Platform) -> Iterator[Any]:
    """Write hourly totals for a device straight into the platform's database."""
    from shared.consumption import write_hours
    from shared.db import dispose_all, session_factory, transaction

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
