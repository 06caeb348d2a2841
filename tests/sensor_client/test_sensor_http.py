"""The HTTP transport against a test server of the ingestion contract."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ingest_server import DEVICE_KEY, IngestState, running_server
from sensor_fakes import DEVICE

from sensor_client.csvsource import CsvSource, read_csv
from sensor_client.engine import Engine, EngineConfig
from sensor_client.errors import PermanentTransportError, RetriesExhaustedError, TransportError
from sensor_client.message import Measurement
from sensor_client.transports.http import HttpTransport

START_MS = 1767225600000


@pytest.fixture
def server() -> Iterator[tuple[str, IngestState]]:
    """The ingestion test server."""
    with running_server() as served:
        yield served


def config(tmp_path: Path) -> EngineConfig:
    return EngineConfig(
        DEVICE,
        tmp_path / "state.json",
        replay=True,
        start_ms=START_MS,
        batch_size=10,
        backoff_initial_s=0.01,
    )


def test_stored_then_duplicate_on_resend(server: tuple[str, IngestState]) -> None:
    url, state = server
    transport = HttpTransport(url, DEVICE_KEY)
    batch = [Measurement(DEVICE, START_MS + i, float(i)) for i in range(3)]
    transport.publish(batch)
    transport.publish(batch)
    assert len(state.stored) == 3 and transport.duplicates == 3 and transport.rejected == 0
    assert state.requests[0][0] == {
        "timestamp": START_MS,
        "device_id": DEVICE,
        "measurement_value": 0.0,
    }


def test_rejected_items_are_counted_and_not_resent(
    tmp_path: Path, server: tuple[str, IngestState]
) -> None:
    url, state = server
    path = tmp_path / "r.csv"
    path.write_text("1\n2\n2000000\n3\n")
    transport = HttpTransport(url, DEVICE_KEY)
    final = Engine(config(tmp_path), read_csv(path), transport).run()
    assert final.done and final.sent == 4 and final.rejected == 1
    assert len(state.requests) == 1 and len(state.stored) == 3


def test_503_is_retried_until_stored(
    tmp_path: Path, server: tuple[str, IngestState], values_csv: CsvSource
) -> None:
    url, state = server
    state.fail_next = 2
    final = Engine(config(tmp_path), values_csv, HttpTransport(url, DEVICE_KEY)).run()
    assert final.done and final.retries == 2
    assert state.statuses[:3] == [503, 503, 200]
    assert sorted(t for _, t in state.stored) == [START_MS + 600_000 * i for i in range(25)]


def test_bad_key_is_permanent(server: tuple[str, IngestState]) -> None:
    url, _ = server
    with pytest.raises(PermanentTransportError, match=r"401.*device-key"):
        HttpTransport(url, "wrong").publish([Measurement(DEVICE, START_MS, 1.0)])


def test_unreachable_endpoint_gives_up(tmp_path: Path, values_csv: CsvSource) -> None:
    transport = HttpTransport("http://127.0.0.1:9", DEVICE_KEY, timeout_s=1)
    with pytest.raises(TransportError, match="cannot reach"):
        transport.publish([Measurement(DEVICE, START_MS, 1.0)])
    engine = Engine(
        EngineConfig(
            DEVICE, tmp_path / "s.json", replay=True, max_retries=1, backoff_initial_s=0.01
        ),
        values_csv,
        transport,
    )
    with pytest.raises(RetriesExhaustedError):
        engine.run()


def test_non_http_url_is_refused() -> None:
    with pytest.raises(PermanentTransportError, match="http"):
        HttpTransport("ftp://x", DEVICE_KEY)
