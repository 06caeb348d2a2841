"""Properties: any arrival order and any redelivery give the same hours as one full recompute."""

from __future__ import annotations

import math
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from metering_helpers import MeterStore

from shared.metering import HOUR_MS, Reading, hourly_totals, meter_points

TEN_MINUTES_MS = 600_000


def next_value(previous: float, move: str, fraction: float) -> float:
    """The next raw register value after `previous` for one generated move."""
    if move == "up":
        return previous + 40.0 * fraction
    if move == "dip":
        return previous * (1.0 - 0.1 * fraction)
    if move == "edge":
        return previous * 0.9
    if move == "reset":
        return previous * 0.5 * fraction
    return previous


@st.composite
def histories(draw: st.DrawFn) -> list[Reading]:
    """A device history: strictly ascending timestamps, values with rises, dips and resets."""
    aligned = st.integers(0, 36 * 6).map(lambda i: i * TEN_MINUTES_MS)
    anywhere = st.integers(0, 36 * HOUR_MS)
    stamps = sorted(draw(st.sets(st.one_of(aligned, anywhere), min_size=1, max_size=24)))
    moves = st.sampled_from(["up", "up", "up", "dip", "edge", "reset", "same"])
    value = draw(st.floats(0.0, 500.0))
    history = [Reading(stamps[0], value)]
    for stamp in stamps[1:]:
        value = next_value(value, draw(moves), draw(st.floats(0.0, 1.0)))
        history.append(Reading(stamp, value))
    return history


@dataclass(frozen=True)
class Delivery:
    """A history and the order its readings (plus redeliveries and conflicts) arrive in."""

    history: list[Reading]
    arrivals: list[Reading]


@st.composite
def deliveries(draw: st.DrawFn, *, conflicts: bool) -> Delivery:
    """Shuffle a history and sprinkle in redeliveries (and conflicting values if asked)."""
    history = draw(histories())
    arrivals = list(draw(st.permutations(history)))
    extra = st.tuples(st.sampled_from(history), st.integers(0, len(arrivals)), st.booleans())
    for reading, position, conflicting in draw(st.lists(extra, max_size=10)):
        if conflicts and conflicting:
            reading = Reading(reading.timestamp_ms, reading.value_kwh + 1.0)
        arrivals.insert(position, reading)
    return Delivery(history, arrivals)


def first_seen(arrivals: list[Reading]) -> list[Reading]:
    """The history the store should keep: the first value per timestamp, in time order."""
    kept: dict[int, Reading] = {}
    for reading in arrivals:
        kept.setdefault(reading.timestamp_ms, reading)
    return [kept[ts] for ts in sorted(kept)]


def plain_interval_energies(history: list[Reading]) -> list[float]:
    """Interval energies by the rule, written out plainly as an independent reference."""
    energies = []
    trusted = history[0].value_kwh
    for reading in history[1:]:
        value = reading.value_kwh
        if value >= trusted:
            energies.append(value - trusted)
            trusted = value
        elif trusted - value <= 0.1 * trusted + max(1e-9, 1e-9 * trusted):
            energies.append(0.0)
        else:
            energies.append(value)
            trusted = value
    return energies


def assert_same_totals(actual: dict[int, float], expected: dict[int, float]) -> None:
    """Same hours, same totals within 1e-6 kWh."""
    assert actual.keys() == expected.keys()
    for hour, kwh in expected.items():
        assert math.isclose(actual[hour], kwh, rel_tol=1e-9, abs_tol=1e-6), hour


@settings(max_examples=300, deadline=None)
@given(deliveries(conflicts=False))
def test_any_order_and_redelivery_match_the_full_recompute(delivery: Delivery) -> None:
    store = MeterStore()
    seen: list[Reading] = []
    for reading in delivery.arrivals:
        store.ingest(reading)
        seen.append(reading)
        assert_same_totals(store.totals, hourly_totals(first_seen(seen)))
    assert store.points == {p.timestamp_ms: p for p in meter_points(delivery.history)}


@settings(max_examples=200, deadline=None)
@given(deliveries(conflicts=True))
def test_conflicting_redeliveries_keep_the_first_value(delivery: Delivery) -> None:
    store = MeterStore()
    for reading in delivery.arrivals:
        store.ingest(reading)
    kept = first_seen(delivery.arrivals)
    assert_same_totals(store.totals, hourly_totals(kept))
    assert [p.value_kwh for _, p in sorted(store.points.items())] == [r.value_kwh for r in kept]


@settings(max_examples=300, deadline=None)
@given(histories())
def test_hour_totals_add_up_to_the_interval_energies_and_are_not_negative(
    history: list[Reading],
) -> None:
    totals = hourly_totals(history)
    expected_kwh = math.fsum(plain_interval_energies(history))
    assert math.isclose(math.fsum(totals.values()), expected_kwh, rel_tol=1e-9, abs_tol=1e-6)
    assert all(kwh >= 0.0 for kwh in totals.values())
    assert all(hour % HOUR_MS == 0 for hour in totals)
