"""The API served by the local Functions host over real HTTP, on each database backend."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from local.funchost.server import create_host, start_host
from local.webpubsub.background import RunningTwin, twin_in_thread
from local.webpubsub.connstr import format_connection_string
from shared.db import dispose_all
from shared.platform import reset_platform
from tests.utils.live import serve_in_thread

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = REPO_ROOT / "functions"
PASSWORD = "correct-horse-battery"
TWIN_KEY = "functions-twin-key-" + "k" * 32


class Api:
    """A small HTTP client for the platform API with login helpers."""

    password = PASSWORD

    def __init__(self, base_url: str, jwt_secret: str) -> None:
        self.base_url = base_url
        self.jwt_secret = jwt_secret
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.admin_token = self.login(os.environ["ADMIN_USERNAME"], os.environ["ADMIN_PASSWORD"])

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request; token becomes a bearer Authorization header."""
        merged = dict(headers or {})
        if token is not None:
            merged["Authorization"] = f"Bearer {token}"
        return self.http.request(method, path, headers=merged, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def login(self, username: str, password: str = PASSWORD) -> str:
        """Return an access token for username."""
        r = self.post("/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def create_user(self, *, role: str = "client", name: str = "Test User") -> dict[str, Any]:
        """Create a user through the API (as admin)."""
        body = {
            "username": f"{role}_{uuid.uuid4().hex[:10]}",
            "name": name,
            "password": PASSWORD,
            "role": role,
        }
        r = self.post("/users", json=body, token=self.admin_token)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def create_device(self, *, owner_id: str | None = None, max_kwh: float = 2.0) -> dict[str, Any]:
        """Create a device through the API (as admin)."""
        body = {
            "description": f"Meter {uuid.uuid4().hex[:6]}",
            "address": "1 Test Street",
            "max_hourly_kwh": max_kwh,
            "owner_id": owner_id,
        }
        r = self.post("/devices", json=body, token=self.admin_token)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def send_readings(self, device: dict[str, Any], items: list[dict[str, Any]]) -> None:
        """POST readings with the device's key; every one must be accepted."""
        r = self.post("/measurements", json=items, headers={"X-Device-Key": device["device_key"]})
        assert r.status_code == 200 and r.json()["rejected"] == 0, r.text

    def socket_url(self, token: str) -> str:
        """The live-updates WebSocket URL negotiated for `token`."""
        r = self.post("/realtime/negotiate", token=token)
        assert r.status_code == 200, r.text
        return str(r.json()["url"])


SILENCE_TIMER_OFF = "AzureWebJobs.scan_silent_meters.Disabled"


@contextmanager
def serve_api(database_url: str, **env: str) -> Iterator[str]:
    """Serve functions/function_app.py through the local host; yield the /api base URL."""
    # Tests drive the silent-meter scan themselves; the host's own 5-minute tick could run it
    # first, so the timer is off unless a caller turns it on (Azure's per-function switch).
    env = {SILENCE_TIMER_OFF: "true", **env}
    saved = {name: os.environ.get(name) for name in ("DATABASE_URL", *env)}
    os.environ.update(DATABASE_URL=database_url, **env)
    reset_platform()
    host = create_host(FUNCTIONS_DIR / "function_app.py", FUNCTIONS_DIR / "host.json")
    try:
        with serve_in_thread(lambda: start_host(host, port=0)) as port:
            yield f"http://127.0.0.1:{port}/api"
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_platform()
        dispose_all()


@pytest.fixture(scope="module")
def twin() -> Iterator[RunningTwin]:
    """A Web PubSub twin for the module (modules whose API pushes point it at this one)."""
    with twin_in_thread(format_connection_string("127.0.0.1", 0, TWIN_KEY)) as running:
        yield running


@pytest.fixture(scope="module")
def api_base_url(migrated_url: str) -> Iterator[str]:
    """The API against the migrated database."""
    with serve_api(migrated_url) as base:
        yield base


@pytest.fixture(scope="module")
def api(api_base_url: str) -> Iterator[Api]:
    """An API client logged in as the bootstrap admin."""
    client = Api(api_base_url, os.environ["JWT_SECRET"])
    yield client
    client.http.close()
