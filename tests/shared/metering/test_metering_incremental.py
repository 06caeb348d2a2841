"""The append fast path and the late-reading neighbourhood recompute, by hand."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from metering_helpers import MeterStore, at

from shared.metering import (
    MeterPoint,
    Reading,
    append_reading,
    hourly_totals,
    insert_reading,
    meter_points,
)


def stored(*pairs: tuple[int, float]) -> list[MeterPoint]:
    """Stored points (with registers) of a full history given as (timestamp_ms, value) pairs."""
    return meter_points(Reading(ts, value) for ts, value in pairs)


def test_first_append_has_no_energy() -> None:
    result = append_reading(None, Reading(at(10, 5), 42.0))
    assert result.point == MeterPoint(at(10, 5), 42.0, 42.0)
    assert (result.kind, dict(result.contributions)) == ("first", {})


def test_append_splits_the_step_over_the_hours_it_spans() -> None:
    result = append_reading(MeterPoint(at(10, 30), 5.0, 5.0), Reading(at(11, 30), 7.0))
    assert result.kind == "increase"
    assert dict(result.contributions) == pytest.approx({at(10): 1.0, at(11): 1.0})
    assert result.point == MeterPoint(at(11, 30), 7.0, 7.0)


def test_append_of_noise_keeps_the_trusted_register() -> None:
    result = append_reading(MeterPoint(at(10), 100.0, 100.0), Reading(at(10, 10), 95.0))
    assert result.kind == "noise"
    assert result.point == MeterPoint(at(10, 10), 95.0, 100.0)
    assert dict(result.contributions) == {at(10): 0.0}


@pytest.mark.parametrize("timestamp", [at(10), at(9)])
def test_append_refuses_a_reading_that_is_not_later(timestamp: int) -> None:
    with pytest.raises(ValueError, match="not after"):
        append_reading(MeterPoint(at(10), 1.0, 1.0), Reading(timestamp, 2.0))


def test_late_reading_between_two_points_recomputes_their_hours() -> None:
    history = stored((at(9, 50), 0.0), (at(10, 30), 4.0), (at(12, 30), 10.0))
    late = Reading(at(11, 30), 9.0)
    result = insert_reading(late, reversed(history[:2]), history[2:])
    assert result.kind == "increase"
    assert result.updated == ()
    assert result.hours == {at(10), at(11), at(12)}
    assert dict(result.totals) == pytest.approx({at(10): 5.5, at(11): 3.0, at(12): 0.5})


def test_late_reset_changes_a_later_noise_reading_into_an_increase() -> None:
    history = stored((at(10), 100.0), (at(10, 10), 95.0), (at(10, 20), 101.0))
    assert [p.register_kwh for p in history] == [100.0, 100.0, 101.0]
    result = insert_reading(Reading(at(10, 5), 50.0), [history[0]], history[1:])
    assert result.kind == "reset"
    assert result.updated == (MeterPoint(at(10, 10), 95.0, 95.0),)
    assert dict(result.totals) == pytest.approx({at(10): 101.0})
    full = [history[0], Reading(at(10, 5), 50.0), *history[1:]]
    assert dict(result.totals) == pytest.approx(hourly_totals(full))


def test_late_reading_before_the_first_becomes_the_first() -> None:
    history = stored((at(11, 30), 10.0), (at(12, 30), 12.0))
    result = insert_reading(Reading(at(10, 30), 6.0), [], history)
    assert result.kind == "first"
    assert result.point == MeterPoint(at(10, 30), 6.0, 6.0)
    assert dict(result.totals) == pytest.approx({at(10): 2.0, at(11): 3.0})


def test_insert_after_the_last_point_matches_the_append_path() -> None:
    history = stored((at(10, 30), 1.0), (at(10, 50), 2.0))
    result = insert_reading(Reading(at(11, 50), 5.0), reversed(history), [])
    appended = append_reading(history[-1], Reading(at(11, 50), 5.0))
    assert result.point == appended.point
    assert dict(result.totals) == pytest.approx({at(10): 1.5, at(11): 2.5})


def test_insert_into_an_empty_history_touches_no_hour() -> None:
    result = insert_reading(Reading(at(10), 3.0), [], [])
    assert (result.kind, result.updated, dict(result.totals)) == ("first", (), {})


def test_changed_registers_propagate_until_they_resync() -> None:
    values = [100.0, 95.0, 95.0, 96.0, 120.0, 130.0]
    history = stored(*((at(10, 10 * i), v) for i, v in enumerate(values)))
    result = insert_reading(Reading(at(10, 5), 10.0), [history[0]], history[1:])
    assert [p.register_kwh for p in result.updated] == [95.0, 95.0, 96.0]
    assert result.hours == {at(10)}
    full = [history[0], Reading(at(10, 5), 10.0), *history[1:]]
    assert dict(result.totals) == pytest.approx(hourly_totals(full))


class Counting:
    """An iterable that counts how many items were pulled from it."""

    def __init__(self, items: Iterable[MeterPoint]) -> None:
        self.items, self.pulled = list(items), 0

    def __iter__(self) -> Iterator[MeterPoint]:
        for item in self.items:
            self.pulled += 1
            yield item


def test_neighbourhood_is_consumed_lazily() -> None:
    history = stored(*((at(0, 10 * i), float(i)) for i in range(600)))
    late = Reading(at(50, 5), 300.5)
    earlier = Counting(p for p in reversed(history) if p.timestamp_ms < late.timestamp_ms)
    later = Counting(p for p in history if p.timestamp_ms > late.timestamp_ms)
    result = insert_reading(late, earlier, later)
    assert result.hours == {at(50)}
    assert (earlier.pulled, later.pulled) == (1, 6)
    assert dict(result.totals) == pytest.approx({at(50): 6.0})


def test_earlier_points_must_descend_and_later_points_ascend() -> None:
    history = stored((at(10), 1.0), (at(10, 20), 2.0), (at(10, 40), 3.0))
    with pytest.raises(ValueError, match="earlier points"):
        insert_reading(Reading(at(10, 30), 2.5), [history[1], history[1]], [history[2]])
    with pytest.raises(ValueError, match="later points"):
        insert_reading(Reading(at(10, 10), 1.5), [history[0]], [history[2], history[1]])
    with pytest.raises(ValueError, match="later points"):
        insert_reading(Reading(at(10, 20), 1.5), [history[0]], history[1:])


def test_store_ignores_duplicates_and_rejects_conflicts(store: MeterStore) -> None:
    assert store.ingest(Reading(at(10), 1.0)) == "new"
    assert store.ingest(Reading(at(10, 30), 2.0)) == "new"
    totals = dict(store.totals)
    assert store.ingest(Reading(at(10, 30), 2.0)) == "duplicate"
    assert store.ingest(Reading(at(10, 30), 9.0)) == "conflict"
    assert store.totals == totals == {at(10): 1.0}
    assert store.points[at(10, 30)].value_kwh == 2.0
