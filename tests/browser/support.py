"""Helpers of the browser tests: building the app, the running platform, API setup, pages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.utils.services import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
STATIC_SITE = REPO_ROOT / "static_site"
DIST_INDEX = STATIC_SITE / "dist" / "index.html"
BUILD_INPUTS = (
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
)
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENS_DIR = Path(os.environ.get("SCREENS_DIR", "/tmp/screens"))

ADMIN_USERNAME = "browser-admin"
ADMIN_PASSWORD = "browser-admin-password-1"
CLIENT_PASSWORD = "client-password-1"
# The browser's zone: days are cut here, so seeded hours are placed in it too.
TIME_ZONE = "Europe/Bucharest"
HEALTH_TIMEOUT_S = 60.0
UI_TIMEOUT_MS = 15_000
SESSION_KEY = "energy-utility.session.v1"


def fail_or_skip(reason: str) -> None:
    """In CI a missing prerequisite is a failure; on a developer machine, a skip."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


# ---------------------------------------------------------------- build


def _newest_input_mtime() -> float:
    newest = 0.0
    for name in BUILD_INPUTS:
        path = STATIC_SITE / name
        files = path.rglob("*") if path.is_dir() else [path]
        for f in files:
            if f.is_file():
                newest = max(newest, f.stat().st_mtime)
    return newest


def _run_npm(*args: str) -> None:
    npm = shutil.which("npm")
    if npm is None:
        fail_or_skip("npm is not installed: cannot build static_site")
    done = subprocess.run(
        [str(npm), *args], cwd=STATIC_SITE, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"npm {' '.join(args)} failed:\n{(done.stdout + done.stderr)[-4000:]}")


def ensure_web_app_built() -> None:
    """Build static_site/dist when it is missing or older than its sources."""
    if DIST_INDEX.exists() and DIST_INDEX.stat().st_mtime >= _newest_input_mtime():
        return
    if not (STATIC_SITE / "node_modules").is_dir():
        _run_npm("ci", "--no-audit", "--no-fund")
    _run_npm("run", "build")


# ---------------------------------------------------------------- platform


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"local.run exited with {proc.returncode}:\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as res:
                if res.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} not healthy after {HEALTH_TIMEOUT_S:.0f} s:\n{_tail(log_path)}")


def _tail(path: Path, chars: int = 4000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


@dataclass(frozen=True)
class Platform:
    """The running platform: where the browser goes and where the data lives."""

    web_url: str
    database_url: str


# ---------------------------------------------------------------- API and data helpers


@contextmanager
def run_platform(data_dir: Path, **extra_env: str) -> Iterator[Platform]:
    """Build the app and run `python -m local.run` on free ports with a SQLite file in data_dir."""
    if not (REPO_ROOT / "local" / "run.py").exists():
        fail_or_skip("local/run.py does not exist yet")
    ensure_web_app_built()
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
        **extra_env,
    }
    # The Web PubSub twin, the chat service and its gRPC-Web bridge on free ports too, so a
    # `make run` or another test run never collides.
    ports = ["--pubsub-port", "0", "--chat-port", "0", "--grpcweb-port", "0"]
    command = [
        sys.executable,
        "-m",
        "local.run",
        "--api-port",
        str(api_port),
        "--web-port",
        str(web_port),
        "--data-dir",
        str(data_dir),
        *ports,
    ]
    log_path = data_dir / "local-run.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
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


class ApiError(AssertionError):
    """An API call in a test's setup did not answer as expected."""


class Api:
    """A minimal JSON client for test setup, through the web app's /api proxy."""

    def __init__(self, web_url: str) -> None:
        self.base = web_url.rstrip("/") + "/api"
        self.admin_token = self.login(ADMIN_USERNAME, ADMIN_PASSWORD)["access_token"]

    def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        token: str | None = None,
        expect: int = 200,
    ) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                status, raw = res.status, res.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
            err.close()
        if status != expect:
            raise ApiError(f"{method} {path}: expected {expect}, got {status}: {raw[:500]!r}")
        return json.loads(raw) if raw else None

    def login(self, username: str, password: str) -> dict[str, Any]:
        body = {"username": username, "password": password}
        return dict(self.call("POST", "/auth/login", body))

    def create_client(self, name: str) -> dict[str, Any]:
        body = {
            "username": f"client_{uuid.uuid4().hex[:8]}",
            "name": name,
            "password": CLIENT_PASSWORD,
            "role": "client",
        }
        return dict(self.call("POST", "/users", body, self.admin_token, expect=201))

    def create_device(
        self, description: str, max_kwh: float, owner_id: str | None
    ) -> dict[str, Any]:
        body = {
            "description": description,
            "address": "7 Meter Lane, Cluj",
            "max_hourly_kwh": max_kwh,
            "owner_id": owner_id,
        }
        return dict(self.call("POST", "/devices", body, self.admin_token, expect=201))

    def device(self, device_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"/devices/{device_id}", None, self.admin_token))


def local_hour_starts_utc(day: date, tz: str = TIME_ZONE) -> list[datetime]:
    """UTC starts (naive) of each local hour of `day` in `tz`: 23, 24 or 25 of them."""
    zone = ZoneInfo(tz)
    start = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
    nxt = day + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone).astimezone(UTC)
    count = int((end - start) / timedelta(hours=1))
    return [(start + timedelta(hours=i)).replace(tzinfo=None) for i in range(count)]


def today_local(tz: str = TIME_ZONE) -> date:
    return datetime.now(ZoneInfo(tz)).date()


# ---------------------------------------------------------------- pages


def screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Save /tmp/screens/<name>.png (SCREENS_DIR) for a human to look at."""
    SCREENS_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENS_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def login(page: Any, username: str, password: str) -> None:
    """Sign in through the login form (the page must show it)."""
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


# ---------------------------------------------------------------- readings over HTTP


def post_measurements(web_url: str, device_key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """POST /api/measurements as the meter (X-Device-Key); every item must be stored."""
    req = urllib.request.Request(
        web_url.rstrip("/") + "/api/measurements",
        data=json.dumps(items).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-Device-Key": device_key},
    )
    with urllib.request.urlopen(req, timeout=30) as res:
        body = dict(json.loads(res.read()))
    if body.get("stored") != len(items):
        raise ApiError(f"readings not all stored: {body}")
    return body


class Meter:
    """A device's cumulative register, sending readings stamped just before now, in order.

    Each `send` places its readings after the previous ones (never before), within the last
    couple of seconds, so they land in the current clock hour unless one is just starting.
    """

    def __init__(
        self,
        web_url: str,
        device: Mapping[str, Any],
        start_kwh: float = 100.0,
        publish: Callable[[list[dict[str, Any]]], object] | None = None,
    ) -> None:
        self.web_url = web_url
        self.device_id = str(device["id"])
        self.key = str(device["device_key"])
        self.publish = publish or (lambda items: post_measurements(web_url, self.key, items))
        self.value = start_kwh
        self.last_ms = 0

    def send(self, *increments: float) -> int:
        """Send one reading per increment (kWh added); return the last reading's epoch ms."""
        now_ms = int(time.time() * 1000)
        hour_start_ms = now_ms - now_ms % 3_600_000
        if now_ms - hour_start_ms < 3_000:  # an hour is just starting: keep all in one hour
            time.sleep(3.2 - (now_ms - hour_start_ms) / 1000)
            return self.send(*increments)
        first = max(self.last_ms + 1, hour_start_ms + 1, now_ms - 2_000)
        step = max(1, (now_ms - 500 - first) // max(1, len(increments)))
        items = []
        for i, inc in enumerate(increments):
            self.value = round(self.value + inc, 6)
            self.last_ms = first + i * step
            items.append(
                {
                    "timestamp": self.last_ms,
                    "device_id": self.device_id,
                    "measurement_value": self.value,
                }
            )
        self.publish(items)
        return self.last_ms


def keep_within_one_hour(needed_s: float) -> None:
    """Wait for the next clock hour when fewer than `needed_s` seconds are left in this one.

    Tests that compare one hour's total send readings over some seconds; across an hour
    boundary the energy of an interval is split between two hours (and may alert in both).
    """
    left = 3600 - time.time() % 3600
    if left < needed_s:
        time.sleep(left + 3.5)


def local_hour_label(epoch_ms: int, tz: str = TIME_ZONE) -> str:
    """The day view's row label ("14:00") of the local hour holding this instant."""
    return datetime.fromtimestamp(epoch_ms / 1000, ZoneInfo(tz)).strftime("%H:00")
