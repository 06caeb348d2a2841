"""Whole batches through the real databases settle on exactly the full recompute.

The batch path queues its writes (one INSERT for all new readings, one upsert for changed
registers) and reads every late window in one statement; these tests check the stored points,
registers, hourly totals and estimated flags against the pure full recompute, for any arrival
order, redeliveries and batch cut, including a late reading whose re-folded registers reach
far beyond the window read for it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared.db import transaction
from shared.ingestion.messages import Measurement
from shared.ingestion.service import IngestPolicy, ingest
from shared.ingestion.store import hour_ms
from shared.metering import HOUR_MS, MeterPoint, Reading, hourly_energy, meter_points
from shared.models import HourlyConsumption, MeterState, StoredReading
from tests.utils.factories import make_device

START_MS = int(datetime(2026, 1, 5, 0, 0, tzinfo=UTC).timestamp() * 1000)
TEN_MINUTES_MS = 600_000


def stored_state(
    sessions: sessionmaker[Session], device_id: str
) -> tuple[list[MeterPoint], dict[int, tuple[float, bool]], MeterPoint | None]:
    with sessions() as session:
        points = [
            MeterPoint(r.timestamp_ms, r.value_kwh, r.register_kwh)
            for r in session.execute(
                select(StoredReading)
                .where(StoredReading.device_id == device_id)
                .order_by(StoredReading.timestamp_ms)
            ).scalars()
        ]
        hours = {
            hour_ms(r.hour_start_utc): (r.energy_kwh, bool(r.estimated))
            for r in session.execute(
                select(HourlyConsumption).where(HourlyConsumption.device_id == device_id)
            ).scalars()
        }
        state = session.get(MeterState, device_id)
        last = (
            None
            if state is None or state.last_timestamp_ms is None
            else MeterPoint(state.last_timestamp_ms, state.last_value_kwh, state.last_register_kwh)  # type: ignore[arg-type]
        )
    return points, hours, last


def assert_matches_full_recompute(
    sessions: sessionmaker[Session], device_id: str, history: list[Reading]
) -> None:
    points, hours, last = stored_state(sessions, device_id)
    expected_points = meter_points(history)
    assert [(p.timestamp_ms, p.value_kwh) for p in points] == [
        (p.timestamp_ms, p.value_kwh) for p in expected_points
    ]
    for got, want in zip(points, expected_points, strict=True):
        assert abs(got.register_kwh - want.register_kwh) < 1e-9, got
    totals, estimated = hourly_energy(history)
    assert set(hours) == set(totals)
    for hour, kwh in totals.items():
        assert abs(hours[hour][0] - kwh) < 1e-6, hour
        assert hours[hour][1] == (hour in estimated), hour
    assert last == expected_points[-1]


def run(sessions: sessionmaker[Session], batches: list[list[Measurement]]) -> None:
    for batch in batches:
        with transaction(sessions) as session:
            ingest(session, batch, IngestPolicy())


def new_device(sessions: sessionmaker[Session]) -> str:
    with transaction(sessions) as session:
        return make_device(session, max_kwh=10_000).id


def test_late_readings_whose_refold_reaches_far_beyond_their_window(
    sessions: sessionmaker[Session],
) -> None:
    """Six hours of noise dips are re-registered by a late reset, then restored by another.

    A late reset at 0:30 turns the dips after 1:00 into increases (new registers up to 7:00);
    a late reading at 0:40 equal to the old register turns them back into noise. Read for
    0:30-0:40, the window ends at 2:40, so both re-folds run past it on the database: the
    second must see the first's registers there, whatever the batch cut.
    """
    dips = [Reading(START_MS + HOUR_MS + i * TEN_MINUTES_MS, 95.0 + i * 0.01) for i in range(36)]
    history = [Reading(START_MS, 100.0), *dips, Reading(START_MS + 8 * HOUR_MS, 120.0)]
    late = [
        Reading(START_MS + 30 * 60_000, 50.0),
        Reading(START_MS + 40 * 60_000, 100.0),
        Reading(START_MS + 7 * HOUR_MS + 5 * 60_000, 96.0),
    ]
    full = sorted([*history, *late], key=lambda r: r.timestamp_ms)
    for cuts in ([2], [3], [1, 2]):
        device_id = new_device(sessions)
        items = [Measurement(device_id, r) for r in late]
        bounds = [0, *cuts, len(items)]
        batches = [items[a:b] for a, b in pairwise(bounds) if b > a]
        run(sessions, [[Measurement(device_id, r) for r in history], *batches])
        assert_matches_full_recompute(sessions, device_id, full)


def next_value(previous: float, move: str, fraction: float) -> float:
    if move == "up":
        return previous + 40.0 * fraction
    if move == "dip":
        return previous * (1.0 - 0.1 * fraction)
    if move == "reset":
        return previous * 0.5 * fraction
    return previous


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[Reading], list[Reading], list[int]]:
    """A history with rises, dips, resets and gaps; its arrival order; the batch cuts."""
    step = st.one_of(
        st.integers(1, 12).map(lambda k: k * TEN_MINUTES_MS),
        st.integers(1, 5 * HOUR_MS),
    )
    gaps = draw(st.lists(step, min_size=1, max_size=30))
    stamps = [START_MS]
    for gap in gaps:
        stamps.append(stamps[-1] + gap)
    moves = st.sampled_from(["up", "up", "up", "dip", "dip", "reset", "same"])
    value = draw(st.floats(1.0, 500.0))
    history = [Reading(stamps[0], value)]
    for stamp in stamps[1:]:
        value = next_value(value, draw(moves), draw(st.floats(0.0, 1.0)))
        history.append(Reading(stamp, value))
    # Mostly in order, some late, some redelivered: the traffic ingestion sees.
    arrivals = list(history)
    for _ in range(draw(st.integers(0, len(history)))):
        i = draw(st.integers(0, len(arrivals) - 1))
        j = draw(st.integers(0, len(arrivals) - 1))
        arrivals.insert(j, arrivals.pop(i))
    redelivered = draw(st.lists(st.sampled_from(history), max_size=8))
    for reading in redelivered:
        arrivals.insert(draw(st.integers(0, len(arrivals))), reading)
    cuts = draw(st.lists(st.integers(1, len(arrivals)), max_size=4))
    return history, arrivals, sorted(set(cuts))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(deliveries(), deliveries())
def test_any_batching_of_two_devices_matches_the_full_recompute(
    sessions: sessionmaker[Session],
    one: tuple[list[Reading], list[Reading], list[int]],
    two: tuple[list[Reading], list[Reading], list[int]],
) -> None:
    devices = [new_device(sessions), new_device(sessions)]
    streams = [
        [Measurement(devices[0], r) for r in one[1]],
        [Measurement(devices[1], r) for r in two[1]],
    ]
    # Interleave the two devices' streams, then cut at the first device's cut points.
    merged = [m for pair in zip(*streams, strict=False) for m in pair]
    shorter = min(len(s) for s in streams)
    merged += streams[0][shorter:] + streams[1][shorter:]
    bounds = [0, *(c for c in one[2] if c < len(merged)), len(merged)]
    run(sessions, [merged[a:b] for a, b in pairwise(bounds) if b > a])
    assert_matches_full_recompute(sessions, devices[0], one[0])
    assert_matches_full_recompute(sessions, devices[1], two[0])
