"""Sum a period's stored hours into buckets with their cost (pure, list-based for speed).

A year is 8,784 hours: everything here works on parallel lists of hour offsets (from the
period's first UTC hour), micro-kWh and flags, with per-period lookup tables cached, so the
range view spends its time reading, not looping (docs/consumption.md, "Performance").
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import compress, pairwise, repeat
from operator import add, floordiv, mod, mul, not_
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


@dataclass(frozen=True, slots=True)
class HourCosts:
    """Exact cost of each stored hour (1e-5 currency units) and whether a tariff priced it."""

    raw: list[int]  # 0 where not priced
    priced: list[bool]

    def at(self, index: int) -> int | None:
        """The cost of the index-th stored hour, None when no tariff applies to it."""
        return self.raw[index] if self.priced[index] else None


@lru_cache(maxsize=64)
def rule_prices(
    rule: TariffRule, start_utc: datetime, hours: int
) -> tuple[tuple[int, ...], tuple[bool, ...]]:
    """Price (0 when outside the validity) and validity of each hour after start_utc."""
    ordinals, week_hours = local_hours(start_utc, hours, rule.zone)
    low = rule.valid_from.toordinal()
    high = rule.valid_to.toordinal() if rule.valid_to is not None else 10**9
    grid = rule.grid
    valid = tuple(
        low <= o <= high and grid[w] is not None for o, w in zip(ordinals, week_hours, strict=True)
    )
    prices = tuple(grid[w] or 0 if ok else 0 for w, ok in zip(week_hours, valid, strict=True))
    return prices, valid


def hour_costs(series: HourSeries, assignments: Sequence[Assignment]) -> HourCosts:
    """The exact cost of each stored hour under the device's tariff history.

    No per-hour Python arithmetic: prices come from cached per-period tables, and the products,
    the rounding (half up, then exact ties moved to even) and the tie search are `map` chains of
    C builtins; only the rare exact ties are fixed in Python.
    """
    n = len(series.offsets)
    if not assignments or not n:
        return HourCosts([0] * n, [False] * n)
    span = series.offsets[-1] + 1
    ordered = sorted(assignments, key=lambda a: a.effective_from_utc)
    price_by_offset: list[int] = [0] * span
    priced_by_offset: list[bool] = [False] * span
    for i, assignment in enumerate(ordered):
        first = offset_at(series.start_utc, assignment.effective_from_utc, span)
        last = (
            offset_at(series.start_utc, ordered[i + 1].effective_from_utc, span)
            if i + 1 < len(ordered)
            else span
        )
        if first >= last:
            continue
        prices, valid = rule_prices(assignment.rule, series.start_utc, span)
        price_by_offset[first:last] = prices[first:last]
        priced_by_offset[first:last] = valid[first:last]
    prices_now = list(map(price_by_offset.__getitem__, series.offsets))
    priced = list(map(priced_by_offset.__getitem__, series.offsets))
    return HourCosts(_costs(series.micros, prices_now), priced)


def _costs(micros: list[int], prices: list[int]) -> list[int]:
    """hour_cost() of every (micro-kWh, price) pair, computed in bulk."""
    divisor = COST_DIVISOR
    shifted = list(map(add, map(mul, micros, prices), repeat(divisor // 2)))
    quotients = list(map(floordiv, shifted, repeat(divisor)))
    for i in compress(range(len(shifted)), map(not_, map(mod, shifted, repeat(divisor)))):
        if quotients[i] & 1:  # an exact tie rounded up to an odd number: to even instead
            quotients[i] -= 1
    return quotients


def offset_at(start_utc: datetime, moment: datetime, span: int) -> int:
    """Hours from start_utc to the first whole hour at or after moment, clamped to [0, span]."""
    seconds = (moment - start_utc).total_seconds()
    hours = -int(-seconds // 3600)
    return max(0, min(span, hours))


# Keyed on what a period is made of (dates, zone, grouping), not on the Period: hashing one
# hashes every bucket, 8,784 of them for a year by hour.
_EDGES: dict[tuple[object, ...], tuple[int, ...]] = {}
_EDGES_MAX = 256


def bucket_edges(period: Period) -> tuple[int, ...]:
    """Hour offsets (from the period's start) of every bucket boundary, first and last included."""
    if period.group_by == "hour":  # one bucket per hour: not worth keeping
        return tuple(range(len(period.buckets) + 1))
    edges = _EDGES.get(period.key)
    if edges is None:
        start = period.start_utc
        edges = (0, *(int((b.end_utc - start) / HOUR) for b in period.buckets))
        if len(_EDGES) >= _EDGES_MAX:
            _EDGES.clear()
        _EDGES[period.key] = edges
    return edges


def bucket_totals(period: Period, series: HourSeries, costs: HourCosts) -> list[BucketTotal]:
    """Sum a series (whose start_utc is the period's) into the period's buckets.

    The series is sorted, so each bucket is one slice found by bisection and summed by `sum`.
    """
    offsets, micros, estimated = series.offsets, series.micros, series.estimated
    raw, priced = costs.raw, costs.priced
    cuts = [bisect_left(offsets, edge) for edge in bucket_edges(period)]
    out = []
    for a, b in pairwise(cuts):
        if a == b:
            out.append(BucketTotal(None, 0, None))
            continue
        cost = sum(raw[a:b]) if any(priced[a:b]) else None
        out.append(BucketTotal(sum(micros[a:b]), sum(estimated[a:b]), cost))
    return out


def grand_total(totals: Sequence[BucketTotal]) -> BucketTotal:
    """The sum of bucket totals (None where every bucket is None)."""
    kwh = [t.kwh_micro for t in totals if t.kwh_micro is not None]
    cost = [t.cost_units for t in totals if t.cost_units is not None]
    return BucketTotal(
        sum(kwh) if kwh else None,
        sum(t.estimated_hours for t in totals),
        sum(cost) if cost else None,
    )
