"""Sum hourly rows into a period's buckets with their cost (pure)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.usage.periods import Period
from shared.usage.pricing import Assignment, hour_cost, hourly_prices, kwh_to_micro


@dataclass(frozen=True, slots=True)
class HourRow:
    """One stored hour: naive UTC start, energy, whether it was estimated."""

    hour_utc: datetime
    kwh: float
    estimated: bool


@dataclass(frozen=True, slots=True)
class PricedHour:
    """One stored hour with its exact energy and cost (None when no tariff applies)."""

    hour_utc: datetime
    kwh_micro: int
    estimated: bool
    cost_units: int | None


@dataclass(frozen=True, slots=True)
class BucketTotal:
    """Sums over one bucket; kwh_micro is None when the bucket has no data at all."""

    kwh_micro: int | None
    estimated_hours: int
    cost_units: int | None


def price_hours(rows: Sequence[HourRow], assignments: Sequence[Assignment]) -> list[PricedHour]:
    """Attach exact energy and cost to each row (rows ascending by hour)."""
    if assignments:
        prices = hourly_prices(assignments, [row.hour_utc for row in rows])
    else:
        prices = [None] * len(rows)
    out = []
    for row, price in zip(rows, prices, strict=True):
        micro = kwh_to_micro(row.kwh)
        cost = None if price is None else hour_cost(micro, price)
        out.append(PricedHour(row.hour_utc, micro, row.estimated, cost))
    return out


def bucket_totals(period: Period, hours: Sequence[PricedHour]) -> list[BucketTotal]:
    """Sum priced hours into the period's buckets; hours outside the period are ignored."""
    starts = [bucket.start_utc for bucket in period.buckets]
    kwh: list[int | None] = [None] * len(starts)
    estimated = [0] * len(starts)
    cost: list[int | None] = [None] * len(starts)
    end = period.end_utc
    for hour in hours:
        if hour.hour_utc >= end:
            continue
        index = bisect_right(starts, hour.hour_utc) - 1
        if index < 0:
            continue
        kwh[index] = (kwh[index] or 0) + hour.kwh_micro
        estimated[index] += hour.estimated
        if hour.cost_units is not None:
            cost[index] = (cost[index] or 0) + hour.cost_units
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
