"""Stable timestamps: a virtual clock for replays, persisted clock stamps for live sends."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sensor_client.csvsource import CsvSource, Reading
from sensor_client.errors import StateError
from sensor_client.message import Measurement
from sensor_client.state import DeviceState


def check_state(
    state: DeviceState, device_id: str, source: CsvSource, path: Path, *, replay: bool
) -> None:
    """Refuse to resume from a state file written for another device, CSV or mode."""
    if state.device_id != device_id:
        raise StateError(f"state file {path} belongs to device {state.device_id}, not {device_id}")
    if state.source_sha256 != source.sha256 or state.total != len(source.readings):
        raise StateError(
            f"state file {path} was written for a different CSV than {source.path}; "
            "delete it (or choose another --state-dir) to start over"
        )
    if replay != (state.start_ms is not None):
        mode = "replay" if state.start_ms is not None else "live"
        raise StateError(f"state file {path} was written in {mode} mode; run in that mode again")
    if not 0 <= state.next_index <= state.total:
        raise StateError(f"state file {path} has next_index {state.next_index} out of range")


def replay_stamp_ms(state: DeviceState, reading: Reading, index: int) -> int:
    """The virtual clock: the CSV's own stamp, else start + interval × index."""
    if reading.timestamp_ms is not None:
        return reading.timestamp_ms
    assert state.start_ms is not None and state.interval_ms is not None
    return state.start_ms + state.interval_ms * index


def live_stamp_ms(state: DeviceState, index: int, clock: Callable[[], float]) -> int:
    """The local clock at first send, remembered in `pending` so a resend keeps it."""
    if index in state.pending:
        return state.pending[index]
    floor = max([*state.pending.values(), state.last_ms or 0]) + 1
    stamp = max(int(clock() * 1000), floor)
    state.pending[index] = stamp
    return stamp


def stamp_batch(
    state: DeviceState, readings: Sequence[Reading], stop: int, clock: Callable[[], float]
) -> list[Measurement]:
    """Measurements for readings[state.next_index:stop] with their stable stamps."""
    batch = []
    for index in range(state.next_index, stop):
        reading = readings[index]
        if state.start_ms is not None:
            stamp = replay_stamp_ms(state, reading, index)
        else:
            stamp = live_stamp_ms(state, index, clock)
        batch.append(Measurement(state.device_id, stamp, reading.value_kwh))
    return batch
