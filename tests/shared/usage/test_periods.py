"""Local-calendar buckets: DST days, Monday weeks, clipped months, limits and bad input."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shared.errors import ValidationFailed
from shared.usage.periods import MAX_DAYS, parse_period


def _hours(bucket_start: datetime, bucket_end: datetime) -> int:
    return int((bucket_end - bucket_start) / timedelta(hours=1))


def test_days_follow_the_zone_calendar_across_dst() -> None:
    period = parse_period("2026-03-28", "2026-03-30", "Europe/Bucharest", "day")
    assert [_hours(b.start_utc, b.end_utc) for b in period.buckets] == [24, 23, 24]
    assert period.local_iso(period.buckets[1].start_utc) == "2026-03-29T00:00:00+02:00"
    assert period.local_iso(period.buckets[1].end_utc) == "2026-03-30T00:00:00+03:00"
    autumn = parse_period("2026-10-25", "2026-10-25", "Europe/Bucharest", "hour")
    assert len(autumn.buckets) == 25


def test_weeks_start_on_monday_and_are_clipped_to_the_range() -> None:
    period = parse_period("2026-03-04", "2026-03-19", "UTC", "week")  # Wed .. Thu
    starts = [b.start_utc.date().isoformat() for b in period.buckets]
    assert starts == ["2026-03-04", "2026-03-09", "2026-03-16"]
    assert [b.start_utc.weekday() for b in period.buckets[1:]] == [0, 0]
    assert period.end_utc == datetime(2026, 3, 20)


def test_months_of_a_year_in_a_zone() -> None:
    period = parse_period("2025-01-01", "2025-12-31", "Europe/Bucharest", "month")
    assert len(period.buckets) == 12
    assert period.buckets[0].start_utc == datetime(2024, 12, 31, 22)
    assert period.buckets[3].start_utc == datetime(2025, 3, 31, 21)  # April, summer time
    total = sum(_hours(b.start_utc, b.end_utc) for b in period.buckets)
    assert total == 365 * 24


def test_group_by_defaults_to_day_and_a_leap_year_fits() -> None:
    period = parse_period("2024-01-01", "2024-12-31", None, None)
    assert period.group_by == "day" and len(period.buckets) == MAX_DAYS


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("2025-01-01", "2026-01-02", "UTC", "day"), "to"),  # 367 days
        (("2025-02-01", "2025-01-01", "UTC", "day"), "to"),
        (("2025-02-30", "2025-03-01", "UTC", "day"), "from"),
        ((None, "2025-03-01", "UTC", "day"), "from"),
        (("2025-01-01", "2025-1-2", "UTC", "day"), "to"),
        (("2025-01-01", "2025-01-02", "UTC", "quarter"), "group_by"),
        (("2025-01-01", "2025-01-02", "Mars/Olympus", "day"), "tz"),
        (("2025-01-01", "2025-01-02", "Asia/Kathmandu", "day"), "tz"),
        (("1999-12-31", "2000-01-02", "UTC", "day"), "from"),
    ],
)
def test_bad_ranges_name_the_field(args: tuple[str | None, ...], field: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_period(*args)
    assert info.value.errors[0].field == field
