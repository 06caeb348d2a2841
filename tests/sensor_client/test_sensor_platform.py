"""The HTTP transport against the platform's real `POST /api/measurements` on the local host."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sensor_client.cli import main
from shared import migrate
from tests.functions.conftest import Api, serve_api

READINGS = 300  # 50 hours from 2026-01-01T00:00Z, one reading every 10 minutes


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The platform API on a fresh SQLite database, logged in as the bootstrap admin."""
    url = f"sqlite:///{tmp_path_factory.mktemp('platform') / 'energy.db'}"
    migrate.upgrade(url)
    with serve_api(url) as base:
        client = Api(base, os.environ["JWT_SECRET"])
        yield client
        client.http.close()


def replay(api: Api, device: dict[str, Any], csv: Path, state_dir: Path) -> int:
    root = api.base_url.removesuffix("/api")
    return main(
        [
            *("--device-id", device["id"], "--csv", str(csv), "--dest", root),
            *("--device-key", device["device_key"], "--replay"),
            *("--start", "2026-01-01T00:00:00Z", "--state-dir", str(state_dir)),
        ]
    )


def test_replay_is_stored_once_and_the_day_adds_up(api: Api, tmp_path: Path) -> None:
    device = api.create_device(max_kwh=1000.0)
    csv = tmp_path / "r.csv"
    values = [round(i * 0.37, 4) for i in range(READINGS)]
    csv.write_text("".join(f"{v}\n" for v in values))
    assert replay(api, device, csv, tmp_path / "a") == 0
    # a client that lost its state resends everything: the platform de-duplicates
    assert replay(api, device, csv, tmp_path / "b") == 0
    view = api.get(
        f"/devices/{device['id']}/consumption",
        params={"date": "2026-01-01", "tz": "UTC"},
        token=api.admin_token,
    )
    assert view.status_code == 200, view.text
    hours = [h["kwh"] for h in view.json()["hours"]]
    assert len(hours) == 24 and all(h is not None for h in hours)
    assert sum(hours) == pytest.approx(values[144] - values[0])
    assert hours[0] == pytest.approx(6 * 0.37)


def test_wrong_key_exits_4(api: Api, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    device = api.create_device()
    device["device_key"] = "dk_wrong"
    csv = tmp_path / "r.csv"
    csv.write_text("1\n2\n")
    assert replay(api, device, csv, tmp_path) == 4
    assert "401" in capsys.readouterr().err
