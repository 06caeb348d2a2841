"""Hours are UTC: totals stay continuous across Europe/Bucharest DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from shared.metering import HOUR_MS, Reading, hourly_totals

BUCHAREST = ZoneInfo("Europe/Bucharest")
TEN_MINUTES_MS = 600_000
KWH_PER_TEN_MINUTES = 0.5


def local_day_utc_bounds_ms(day: date) -> tuple[int, int]:
    """UTC epoch-ms bounds of one local calendar day in Bucharest."""
    start = datetime.combine(day, time(), tzinfo=BUCHAREST)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=BUCHAREST)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def steady_readings(start_ms: int, end_ms: int) -> list[Reading]:
    """A constant 3 kWh/h meter read every 10 minutes from start to end."""
    count = (end_ms - start_ms) // TEN_MINUTES_MS + 1
    return [Reading(start_ms + i * TEN_MINUTES_MS, i * KWH_PER_TEN_MINUTES) for i in range(count)]


@pytest.mark.parametrize(
    ("day", "local_hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)]
)
def test_utc_hours_are_continuous_on_dst_change_days(day: date, local_hours: int) -> None:
    day_start_ms, day_end_ms = local_day_utc_bounds_ms(day)
    totals = hourly_totals(steady_readings(day_start_ms - 3 * HOUR_MS, day_end_ms + 3 * HOUR_MS))
    day_hours = [h for h in sorted(totals) if day_start_ms <= h < day_end_ms]
    assert len(day_hours) == local_hours
    assert all(b - a == HOUR_MS for a, b in pairwise(day_hours))
    assert all(totals[h] == pytest.approx(3.0) for h in day_hours)
    local_starts = [datetime.fromtimestamp(h / 1000, UTC).astimezone(BUCHAREST) for h in day_hours]
    assert len({start.isoformat() for start in local_starts}) == local_hours
    assert {start.date() for start in local_starts} == {day}


def test_spring_forward_skips_local_three_oclock_but_not_a_utc_hour() -> None:
    day_start_ms, day_end_ms = local_day_utc_bounds_ms(date(2026, 3, 29))
    totals = hourly_totals(steady_readings(day_start_ms, day_end_ms))
    local_clock = [
        datetime.fromtimestamp(h / 1000, UTC).astimezone(BUCHAREST).hour for h in sorted(totals)
    ]
    assert 3 not in local_clock
    assert sum(totals.values()) == pytest.approx(23 * 3.0)


def test_fall_back_repeats_local_three_oclock_as_two_utc_hours() -> None:
    day_start_ms, day_end_ms = local_day_utc_bounds_ms(date(2026, 10, 25))
    totals = hourly_totals(steady_readings(day_start_ms, day_end_ms))
    local_starts = [
        datetime.fromtimestamp(h / 1000, UTC).astimezone(BUCHAREST) for h in sorted(totals)
    ]
    threes = [start.isoformat() for start in local_starts if start.hour == 3]
    assert threes == ["2026-10-25T03:00:00+03:00", "2026-10-25T03:00:00+02:00"]
    assert sum(totals.values()) == pytest.approx(25 * 3.0)
