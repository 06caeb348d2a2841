"""The headless CLI: exit codes and messages for bad input, HTTP runs, config, many devices."""

from __future__ import annotations

import json
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from ingest_server import ADMIN_TOKEN, DEVICE_KEY, IngestState, running_server
from sensor_fakes import DEVICE, REPO_ROOT

from sensor_client.cli import main
from sensor_client.config import load_config


@pytest.fixture
def server() -> Iterator[tuple[str, IngestState]]:
    """The ingestion test server."""
    with running_server() as served:
        yield served


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    """A 30-reading values CSV."""
    path = tmp_path / "r.csv"
    path.write_text("".join(f"{i / 4}\n" for i in range(30)))
    return path


def replay_args(url: str, csv_file: Path, tmp_path: Path) -> list[str]:
    return [
        *("--device-id", DEVICE, "--csv", str(csv_file), "--dest", url),
        *("--device-key", DEVICE_KEY, "--replay", "--start", "2026-01-01T00:00:00Z"),
        *("--state-dir", str(tmp_path / "state")),
    ]


def test_http_replay_sends_everything_once_even_when_run_twice(
    server: tuple[str, IngestState],
    csv_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, state = server
    assert main(replay_args(url, csv_file, tmp_path)) == 0
    assert "30/30 100%" in capsys.readouterr().err
    assert main(replay_args(url, csv_file, tmp_path)) == 0  # resumes at the end: nothing to send
    assert "all 30 readings were already confirmed" in caplog.text
    assert len(state.stored) == 30 and sum(len(r) for r in state.requests) == 30
    saved = json.loads((tmp_path / "state" / f"{DEVICE}.json").read_text())
    assert saved["next_index"] == 30 and saved["start_ms"] == 1767225600000


def test_config_file_supplies_options(
    server: tuple[str, IngestState], csv_file: Path, tmp_path: Path
) -> None:
    url, state = server
    config = tmp_path / "sensor.toml"
    config.write_text(
        f'device-id = "{DEVICE}"\ncsv = "{csv_file}"\ndest = "{url}"\n'
        f'device_key = "{DEVICE_KEY}"\nreplay = true\nstate_dir = "{tmp_path / "s"}"\n'
    )
    assert main(["--config", str(config)]) == 0
    assert len(state.stored) == 30


def test_many_devices_each_with_their_own_state(
    server: tuple[str, IngestState], csv_file: Path, tmp_path: Path
) -> None:
    url, state = server
    args = [*replay_args(url, csv_file, tmp_path), "--devices", "3"]
    assert main(args) == 0  # one device key for three devices: two are rejected
    assert {device for device, _ in state.stored} == {DEVICE}
    shutil.rmtree(tmp_path / "state")
    assert main([*args, "--device-key", "", "--token", ADMIN_TOKEN]) == 0
    devices = {device for device, _ in state.stored}
    assert len(devices) == 3 and DEVICE in devices and len(state.stored) == 90
    assert len(list((tmp_path / "state").glob("*.json"))) == 3
    ids = [str(uuid.uuid4()) for _ in range(2)]
    state.keys.update({f"key-{i}": device for i, device in enumerate(ids)})
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("".join(f"{device},key-{i}\n" for i, device in enumerate(ids)))
    args = [*replay_args(url, csv_file, tmp_path), "--devices", "2"]
    assert main([*args, "--device-ids-file", str(ids_file)]) == 0
    assert len(state.stored) == 150


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--device-id", "not-a-uuid"], "device id 'not-a-uuid' is not a UUID"),
        (["--interval", "0"], "--interval must be positive"),
        (["--start", "2026-01-01"], "needs a UTC offset"),
        (["--dest", "ftp://x"], "is none of amqp://"),
        (["--device-key", ""], "needs --device-key"),
    ],
)
def test_bad_options_exit_2_with_a_message(
    extra: list[str],
    message: str,
    csv_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = replay_args("http://127.0.0.1:9", csv_file, tmp_path) + extra
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_csv_exit_2_with_line_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("1\nfoo\n-3\n")
    assert main(replay_args("http://127.0.0.1:9", bad, tmp_path)) == 2
    err = capsys.readouterr().err
    assert "line 2: value 'foo' is not a number" in err and "line 3: value '-3' is negative" in err


def test_missing_options_and_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--device-id", DEVICE]) == 2
    assert "missing --csv, --dest" in capsys.readouterr().err
    config = tmp_path / "c.json"
    config.write_text('{"devcies": 3}')
    assert main(["--config", str(config)]) == 2
    assert "unknown key 'devcies'" in capsys.readouterr().err


def test_unreachable_broker_exits_3(
    csv_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = replay_args(f"amqp://guest:guest@127.0.0.1:{port}/", csv_file, tmp_path)
    assert main([*args, "--max-retries", "1"]) == 3
    assert "gave up after 1 retries" in capsys.readouterr().err
    assert main([*args, "--max-retries", "0", "--devices", "3"]) == 3
    err = capsys.readouterr().err
    assert err.count("gave up after 0 retries") == 1 and "(3 devices)" in err


def test_shipped_example_config_is_valid() -> None:
    options = load_config(REPO_ROOT / "sensor_client" / "samples" / "example.toml")
    assert options["replay"] is True and (REPO_ROOT / options["csv"]).exists()
