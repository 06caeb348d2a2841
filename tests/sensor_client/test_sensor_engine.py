"""The engine: virtual clock, stable stamps, retries, pause/resume, resume after restart."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from sensor_fakes import DEVICE, RecordingTransport

from sensor_client.csvsource import CsvSource, read_csv
from sensor_client.engine import Engine, EngineConfig, Progress
from sensor_client.errors import RetriesExhaustedError, StateError, TransportError
from sensor_client.state import device_lock

START_MS = 1767225600000  # 2026-01-01T00:00:00Z


def replay_config(tmp_path: Path, **changes: object) -> EngineConfig:
    options: dict[str, object] = {
        "device_id": DEVICE,
        "state_path": tmp_path / "state" / f"{DEVICE}.json",
        "replay": True,
        "start_ms": START_MS,
        "batch_size": 10,
        "backoff_initial_s": 0.001,
    }
    options.update(changes)
    return EngineConfig(**options)  # type: ignore[arg-type]


def test_replay_uses_the_virtual_clock(
    tmp_path: Path, values_csv: CsvSource, transport: RecordingTransport
) -> None:
    seen: list[Progress] = []
    final = Engine(replay_config(tmp_path), values_csv, transport, seen.append).run()
    assert [m.timestamp_ms for m in transport.confirmed] == [
        START_MS + 600_000 * i for i in range(25)
    ]
    assert [m.value_kwh for m in transport.confirmed] == [i * 1.5 for i in range(25)]
    assert [len(b) for b in transport.attempts] == [10, 10, 5]
    assert final.done and final.sent == 25 and final.total == 25
    assert final.last_value_kwh == 36.0 and final.connection == "closed"
    assert "connected" in {p.connection for p in seen}
    state = json.loads((tmp_path / "state" / f"{DEVICE}.json").read_text())
    assert state["next_index"] == 25 and state["start_ms"] == START_MS


def test_csv_timestamps_are_kept_in_replay(tmp_path: Path, transport: RecordingTransport) -> None:
    path = tmp_path / "ts.csv"
    path.write_text("1767225600000,1\n1767225900000,2\n")
    Engine(replay_config(tmp_path), read_csv(path), transport).run()
    assert [m.timestamp_ms for m in transport.confirmed] == [1767225600000, 1767225900000]


def test_restart_resumes_with_the_same_stamps(
    tmp_path: Path, values_csv: CsvSource, transport: RecordingTransport
) -> None:
    def stop_after_first_batch(progress: Progress) -> None:
        if progress.sent >= 10:
            first.stop()

    first = Engine(replay_config(tmp_path), values_csv, transport, stop_after_first_batch)
    assert first.run().sent == 10
    # a later start time on the command line must not move the stamps of a resumed run
    second = Engine(replay_config(tmp_path, start_ms=START_MS + 999), values_csv, transport)
    assert second.run().done
    stamps = [m.timestamp_ms for m in transport.confirmed]
    assert stamps == [START_MS + 600_000 * i for i in range(25)]


def test_crash_before_confirm_resends_only_the_unconfirmed_batch(
    tmp_path: Path, values_csv: CsvSource, transport: RecordingTransport
) -> None:
    def crash_on_second_batch() -> None:
        if len(transport.attempts) == 2:
            raise SystemExit("killed")  # the broker may have the batch, the client never heard

    transport.on_publish.append(crash_on_second_batch)
    with pytest.raises(SystemExit):
        Engine(replay_config(tmp_path), values_csv, transport).run()
    transport.on_publish.clear()
    Engine(replay_config(tmp_path), values_csv, transport).run()
    delivered = [m.timestamp_ms for batch in transport.attempts for m in batch]
    assert sorted(set(delivered)) == [START_MS + 600_000 * i for i in range(25)]
    assert len(delivered) == 35  # readings 10..19 went out twice, nothing else
    assert len(transport.confirmed) == 25


def test_transient_failures_are_retried(
    tmp_path: Path, values_csv: CsvSource, transport: RecordingTransport
) -> None:
    transport.fail_next = 2
    final = Engine(replay_config(tmp_path), values_csv, transport).run()
    assert final.done and final.retries == 2
    assert transport.connects == 3
    assert len({m.timestamp_ms for m in transport.confirmed}) == 25


def test_retries_give_up_with_a_clear_error(
    tmp_path: Path, values_csv: CsvSource, transport: RecordingTransport
) -> None:
    transport.fail_next = 100
    engine = Engine(replay_config(tmp_path, max_retries=2), values_csv, transport)
    with pytest.raises(RetriesExhaustedError, match="gave up after 2 retries"):
        engine.run()
    assert engine.progress.error is not None and engine.progress.sent == 0


def test_pause_holds_and_resume_continues(
    tmp_path: Path, values_csv: CsvSource, transport: RecordingTransport
) -> None:
    def pause_at_five(progress: Progress) -> None:
        if progress.sent == 5 and not progress.paused and not paused_once.is_set():
            paused_once.set()
            engine.pause()

    paused_once = threading.Event()
    engine = Engine(replay_config(tmp_path, rate=500.0), values_csv, transport, pause_at_five)
    worker = threading.Thread(target=engine.run)
    worker.start()
    assert paused_once.wait(5)
    time.sleep(0.2)
    assert len(transport.confirmed) == 5 and engine.progress.paused
    engine.resume()
    worker.join(5)
    assert engine.progress.done and len(transport.confirmed) == 25


def test_live_mode_stamps_with_the_clock_and_keeps_stamps_on_resend(
    tmp_path: Path, transport: RecordingTransport
) -> None:
    path = tmp_path / "v.csv"
    path.write_text("1\n2\n3\n4\n")
    source = read_csv(path)
    config = EngineConfig(DEVICE, tmp_path / "s.json", interval_s=0.05, backoff_initial_s=0.001)

    def crash_on_third() -> None:
        if len(transport.attempts) == 3:
            raise SystemExit("killed")

    transport.on_publish.append(crash_on_third)
    before = int(time.time() * 1000)
    with pytest.raises(SystemExit):
        Engine(config, source, transport).run()
    transport.on_publish.clear()
    Engine(config, source, transport).run()
    stamps = [batch[0].timestamp_ms for batch in transport.attempts]
    assert stamps[2] == stamps[3]  # the resent reading kept its first stamp
    confirmed = [m.timestamp_ms for m in transport.confirmed]
    assert len(confirmed) == 4 and confirmed == sorted(set(confirmed))
    assert confirmed[0] >= before and confirmed[1] - confirmed[0] >= 45


def test_state_for_another_csv_or_mode_is_refused(
    tmp_path: Path, values_csv: CsvSource, transport: RecordingTransport
) -> None:
    Engine(replay_config(tmp_path), values_csv, transport).run()
    other = tmp_path / "other.csv"
    other.write_text("1\n2\n")
    with pytest.raises(StateError, match="different CSV"):
        Engine(replay_config(tmp_path), read_csv(other), transport).run()
    with pytest.raises(StateError, match="replay mode"):
        Engine(replay_config(tmp_path, replay=False), values_csv, transport).run()
    (tmp_path / "state" / f"{DEVICE}.json").write_text("{not json")
    with pytest.raises(StateError, match="unreadable"):
        Engine(replay_config(tmp_path), values_csv, transport).run()


class IdleDropTransport(RecordingTransport):
    """Loses its connection during the first idle wait."""

    def __init__(self) -> None:
        super().__init__()
        self.keepalives = 0

    def keepalive(self) -> None:
        self.keepalives += 1
        if self.keepalives == 1:
            raise TransportError("heartbeat missed")


def test_link_lost_while_idle_reconnects_without_a_retry(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text("1\n2\n3\n")
    transport = IdleDropTransport()
    config = EngineConfig(DEVICE, tmp_path / "s.json", interval_s=0.05)
    final = Engine(config, read_csv(path), transport).run()
    assert final.sent == 3 and final.retries == 0
    assert transport.connects == 2 and len(transport.confirmed) == 3


def test_a_second_client_for_the_same_device_is_refused(
    tmp_path: Path, values_csv: CsvSource, transport: RecordingTransport
) -> None:
    config = replay_config(tmp_path)
    with device_lock(config.state_path), pytest.raises(StateError, match="another sensor client"):
        Engine(config, values_csv, transport).run()
    assert Engine(config, values_csv, transport).run().done  # the lock is released with it
