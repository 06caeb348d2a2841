"""Sum a period's stored hours into buckets with their cost (pure, list-based for speed).

A year is 8,784 hours: everything here works on parallel lists of hour offsets (from the
period's first UTC hour), micro-kWh and flags, with per-period lookup tables cached, so the
range view spends its time reading, not looping (docs/consumption.md, "Performance").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from shared.usage.periods import Period
from shared.usage.pricing import COST_DIVISOR, Assignment, TariffRule

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class HourSeries:
    """The stored hours of a period: ascending offsets (hours after start_utc) and values."""

    start_utc: datetime
    offsets: list[int]
    micros: list[int]
    estimated: list[bool]

    def hour_utc(self, index: int) -> datetime:
        """The naive UTC start of the index-th stored hour."""
        return self.start_utc + self.offsets[index] * HOUR


@dataclass(frozen=True, slots=True)
class BucketTotal:
    """Sums over one bucket; kwh_micro is None when the bucket has no data at all."""

    kwh_micro: int | None
    estimated_hours: int
    cost_units: int | None


# Each entry holds up to 2 x 8,784 ints (a year): keep the caches small.
@lru_cache(maxsize=64)
def local_hours(start_utc: datetime, hours: int, zone: ZoneInfo) -> tuple[list[int], list[int]]:
    """For each hour after start_utc: its local date (ordinal) and local hour of the week.

    One zone conversion per local day, not per hour; hours of a DST day are converted one by
    one (the only days whose local hours are not 0..23 in order).
    """
    ordinals: list[int] = []
    week_hours: list[int] = []
    utc = start_utc.replace(tzinfo=UTC)
    index = 0
    while index < hours:
        local = (utc + index * HOUR).astimezone(zone)
        day = local.date()
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
        nxt = day + timedelta(days=1)
        next_midnight = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone).astimezone(UTC)
        length = int((next_midnight - midnight) / HOUR)
        first = int((utc + index * HOUR - midnight) / HOUR)
        count = min(length - first, hours - index)
        base = day.weekday() * 24
        if length == 24 and local.hour == first:
            week_hours.extend(range(base + first, base + first + count))
        else:
            for k in range(count):
                week_hours.append(base + (utc + (index + k) * HOUR).astimezone(zone).hour)
        ordinals.extend([day.toordinal()] * count)
        index += count
    return ordinals, week_hours


def _rule_prices(rule: TariffRule, start_utc: datetime, hours: int) -> list[int | None]:
    ordinals, week_hours = local_hours(start_utc, hours, rule.zone)
    low = rule.valid_from.toordinal()
    high = rule.valid_to.toordinal() if rule.valid_to is not None else 10**9
    grid = rule.grid
    return [
        grid[w] if low <= o <= high else None for o, w in zip(ordinals, week_hours, strict=True)
    ]


def hour_costs(series: HourSeries, assignments: Sequence[Assignment]) -> list[int | None]:
    """The exact cost (1e-5 currency units) of each stored hour; None where no tariff applies."""
    if not assignments or not series.offsets:
        return [None] * len(series.offsets)
    span = series.offsets[-1] + 1
    ordered = sorted(assignments, key=lambda a: a.effective_from_utc)
    price_by_offset: list[int | None] = [None] * span
    for i, assignment in enumerate(ordered):
        first = _offset(series.start_utc, assignment.effective_from_utc, span)
        last = (
            _offset(series.start_utc, ordered[i + 1].effective_from_utc, span)
            if i + 1 < len(ordered)
            else span
        )
        if first >= last:
            continue
        prices = _rule_prices(assignment.rule, series.start_utc, span)
        price_by_offset[first:last] = prices[first:last]
    return _costs(series.offsets, series.micros, price_by_offset)


def _costs(
    offsets: list[int], micros: list[int], price_by_offset: list[int | None]
) -> list[int | None]:
    """hour_cost() for every hour, inlined: round half up, then move exact ties to even."""
    divisor = COST_DIVISOR
    half = divisor // 2
    out: list[int | None] = []
    append = out.append
    for offset, micro in zip(offsets, micros, strict=True):
        price = price_by_offset[offset]
        if price is None:
            append(None)
            continue
        quotient, remainder = divmod(micro * price + half, divisor)
        append(quotient - 1 if remainder == 0 and quotient & 1 else quotient)
    return out


def _offset(start_utc: datetime, moment: datetime, span: int) -> int:
    """Hours from start_utc to the first whole hour at or after moment, clamped to [0, span]."""
    seconds = (moment - start_utc).total_seconds()
    hours = -int(-seconds // 3600)
    return max(0, min(span, hours))


@lru_cache(maxsize=128)
def bucket_index(period: Period) -> list[int]:
    """For each hour of the period, the index of its bucket."""
    out: list[int] = []
    for i, bucket in enumerate(period.buckets):
        out.extend([i] * int((bucket.end_utc - bucket.start_utc) / HOUR))
    return out


def bucket_totals(
    period: Period, series: HourSeries, costs: Sequence[int | None]
) -> list[BucketTotal]:
    """Sum a series (whose start_utc is the period's) into the period's buckets."""
    index = bucket_index(period)
    n = len(period.buckets)
    kwh: list[int | None] = [None] * n
    estimated = [0] * n
    cost: list[int | None] = [None] * n
    limit = len(index)
    for offset, micro, est, c in zip(
        series.offsets, series.micros, series.estimated, costs, strict=True
    ):
        if not 0 <= offset < limit:
            continue
        b = index[offset]
        previous = kwh[b]
        kwh[b] = micro if previous is None else previous + micro
        if est:
            estimated[b] += 1
        if c is not None:
            so_far = cost[b]
            cost[b] = c if so_far is None else so_far + c
    return [BucketTotal(k, e, c) for k, e, c in zip(kwh, estimated, cost, strict=True)]


def grand_total(totals: Sequence[BucketTotal]) -> BucketTotal:
    """The sum of bucket totals (None where every bucket is None)."""
    kwh = [t.kwh_micro for t in totals if t.kwh_micro is not None]
    cost = [t.cost_units for t in totals if t.cost_units is not None]
    return BucketTotal(
        sum(kwh) if kwh else None,
        sum(t.estimated_hours for t in totals),
        sum(cost) if cost else None,
    )
