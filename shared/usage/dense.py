"""The range view's fast path: a period's hours as dense lists, priced and summed in bulk (pure).

The plain path (`aggregate.hour_costs` + `aggregate.bucket_totals`) keeps a sorted list of the
stored hours with their offsets and prices each hour through two lookups. Here a period of `span`
hours is one list of `span` micro-kWh (0 where nothing is stored) with the stored hours as
ranges, so

- a day row's 24 values land with one slice, a year of full days is one slice of one parse;
- an hour's price is the same position in a cached per-period price table (one per tariff rule:
  DST days, time-of-use bands and validity dates are in it), so no gather by offset;
- a bucket's cost is summed without a per-hour cost list: with N = micro-kWh x price and
  r = (N + D/2) mod D, the hour's cost rounded half up is (N + D/2 - r) / D, so a bucket costs
  (sum N + n D/2 - sum r) / D, and the exact ties (r = 0, rare) whose half-up result is odd are
  taken one down (half to even), as `pricing.hour_cost` rounds each hour.

Results are the plain path's exactly (tests/shared/usage/test_dense.py checks both against an
hour-by-hour reference with Hypothesis).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import pairwise, repeat
from math import gcd
from operator import add, floordiv, mod, mul

from shared.usage.aggregate import (
    BucketTotal,
    HourSeries,
    bucket_edges,
    offset_at,
    rule_prices,
)
from shared.usage.periods import Period
from shared.usage.pricing import COST_DIVISOR, Assignment, TariffRule

HALF = COST_DIVISOR // 2
EMPTY = BucketTotal(None, 0, None)
Run = tuple[int, int]


@dataclass(frozen=True, slots=True)
class DenseHours:
    """A period's stored hours: one value per hour of [start_utc, start_utc + span)."""

    start_utc: datetime
    micros: list[int]  # span entries; 0 where no hour is stored (or the caller may not see it)
    runs: list[Run]  # the stored hours: ascending, disjoint, merged [first, end) offset ranges
    estimated: list[int]  # ascending offsets of the stored hours flagged estimated

    def to_series(self) -> HourSeries:
        """The same hours as a sparse series (the plain path, exports)."""
        offsets: list[int] = []
        micros: list[int] = []
        for first, end in self.runs:
            offsets.extend(range(first, end))
            micros.extend(self.micros[first:end])
        flagged = set(self.estimated)
        flags = [o in flagged for o in offsets] if flagged else [False] * len(offsets)
        return HourSeries(self.start_utc, offsets, micros, flags)


def empty_hours(start_utc: datetime, span: int) -> DenseHours:
    """A period without any stored hour."""
    return DenseHours(start_utc, [0] * span, [], [])


def assemble(
    start_utc: datetime,
    span: int,
    lowest: int,
    days: Sequence[int],
    partial: dict[int, str],
    micros: list[int],
    estimated: Sequence[tuple[int, str]],
) -> DenseHours:
    """Lay day rows out over the period's hours [lowest, span) (earlier and later ones dropped).

    `days`: ascending day numbers (days after start_utc's UTC date) of the rows; `partial`: the
    hours text of the rows that are not the whole day 0..23; `micros`: every row's values in
    order; `estimated`: (day number, estimated hours text) of rows with estimated hours.
    ValueError when the values do not match the hours.
    """
    shift = start_utc.hour
    if not days:
        return empty_hours(start_utc, span)
    runs: list[Run] = []
    if not partial and days[-1] - days[0] + 1 == len(days):  # whole days, no gap: one slice
        if len(micros) != 24 * len(days):
            raise ValueError("day rows: values do not match the hours")
        base = days[0] * 24 - shift
        low, high = max(lowest, base), min(span, base + len(micros))
        if low >= high:
            return empty_hours(start_utc, span)
        values = micros[low - base : high - base]
        if low or high < span:
            values = [0] * low + values
            values.extend(repeat(0, span - high))
        runs.append((low, high))
    else:
        values = [0] * span
        at = 0  # position in micros
        for day in days:
            base = day * 24 - shift
            hours = partial.get(day)
            if hours is None:
                low, high = max(lowest, base), min(span, base + 24)
                if low < high:
                    values[low:high] = micros[at + low - base : at + high - base]
                    _add_run(runs, low, high)
                at += 24
                continue
            for hour in map(int, hours.split(",")):
                offset = base + hour
                if lowest <= offset < span:
                    values[offset] = micros[at]
                    _add_run(runs, offset, offset + 1)
                at += 1
        if at != len(micros) or len(values) != span:
            raise ValueError("day rows: values do not match the hours")
    flagged: list[int] = []
    for day, text in estimated:
        base = day * 24 - shift
        flagged.extend(o for o in (base + int(h) for h in text.split(",")) if lowest <= o < span)
    return DenseHours(start_utc, values, runs, flagged)


def _add_run(runs: list[Run], first: int, end: int) -> None:
    if runs and runs[-1][1] == first:
        runs[-1] = (runs[-1][0], end)
    else:
        runs.append((first, end))


@dataclass(frozen=True, slots=True)
class PriceTable:
    """Each hour of a period: its price (0 where none) and whether a tariff prices it.

    Prices are kept divided by `scale`, the greatest common divisor of D/2 and every price:
    N / D rounds as (N / scale) / (D / scale), and smaller products are cheaper integers
    (a price of 0.31 per kWh is 31 over D / scale = 1,000).
    """

    prices: Sequence[int]  # micro-units per kWh / scale
    priced: Sequence[bool]
    complete: bool  # every hour is priced
    scale: int


@lru_cache(maxsize=64)
def _rule_table(rule: TariffRule, start_utc: datetime, span: int) -> PriceTable:
    prices, priced = rule_prices(rule, start_utc, span)
    scale = gcd(HALF, *{price for price in rule.grid if price is not None})
    if scale > 1:
        prices = tuple(map(floordiv, prices, repeat(scale)))
    return PriceTable(prices, priced, all(priced), scale)


def price_table(history: Sequence[Assignment], start_utc: datetime, span: int) -> PriceTable | None:
    """The period's prices under a tariff history; None: no tariff rules any of its hours.

    Hour by hour as `aggregate.hour_costs`: an assignment rules from the first whole hour at
    or after its `effective_from_utc` until the next one's. One rule over the whole period (the
    usual case) is its cached table as it is, not a copy.
    """
    ordered = sorted(history, key=lambda a: a.effective_from_utc)
    segments = []
    for i, assignment in enumerate(ordered):
        first = offset_at(start_utc, assignment.effective_from_utc, span)
        end = (
            offset_at(start_utc, ordered[i + 1].effective_from_utc, span)
            if i + 1 < len(ordered)
            else span
        )
        if first < end:
            segments.append((first, end, _rule_table(assignment.rule, start_utc, span)))
    if not segments:
        return None
    if len(segments) == 1 and segments[0][:2] == (0, span):
        return segments[0][2]
    scale = gcd(*(table.scale for _, _, table in segments))
    prices: list[int] = [0] * span
    priced: list[bool] = [False] * span
    for first, end, table in segments:
        part = table.prices[first:end]
        if table.scale != scale:
            part = list(map(mul, part, repeat(table.scale // scale)))
        prices[first:end] = part
        priced[first:end] = table.priced[first:end]
    return PriceTable(prices, priced, all(priced), scale)


def dense_totals(
    period: Period, hours: DenseHours, assignments: Sequence[Assignment]
) -> list[BucketTotal]:
    """Sum a period's dense hours into its buckets with their exact cost (as `bucket_totals`)."""
    edges = bucket_edges(period)
    span = edges[-1]
    values, runs, estimated = hours.micros, hours.runs, hours.estimated
    stored = _stored_before(runs, edges)
    table = price_table(assignments, period.start_utc, span) if runs else None
    products: list[int] = []
    rests: list[int] = []
    ties: list[int] = []
    divisor = half = 1
    if table is not None:
        divisor, half = COST_DIVISOR // table.scale, HALF // table.scale
        products = list(map(mul, values, table.prices))
        rests = list(map(mod, map(add, products, repeat(half)), repeat(divisor)))
        ties = _odd_ties(products, rests, divisor)
    out = []
    for (a, b), (before, upto) in zip(pairwise(edges), pairwise(stored), strict=True):
        if before == upto:
            out.append(EMPTY)
            continue
        cost = None
        if table is not None and (table.complete or _any_priced(table.priced, runs, a, b)):
            cost = (sum(products[a:b]) + (b - a) * half - sum(rests[a:b])) // divisor
            if ties:
                cost -= bisect_left(ties, b) - bisect_left(ties, a)
        flagged = bisect_left(estimated, b) - bisect_left(estimated, a) if estimated else 0
        out.append(BucketTotal(sum(values[a:b]), flagged, cost))
    return out


def _stored_before(runs: list[Run], edges: Sequence[int]) -> list[int]:
    """How many stored hours lie before each edge."""
    if len(runs) == 1:
        first, end = runs[0]
        return [min(max(edge, first), end) - first for edge in edges]
    starts = [first for first, _ in runs]
    counts = [0]  # stored hours in the runs before each run
    for first, end in runs:
        counts.append(counts[-1] + end - first)
    out = []
    for edge in edges:
        i = bisect_right(starts, edge) - 1
        out.append(0 if i < 0 else counts[i] + min(edge, runs[i][1]) - runs[i][0])
    return out


def _any_priced(priced: Sequence[bool], runs: list[Run], a: int, b: int) -> bool:
    """Whether a stored hour of [a, b) is priced."""
    i = max(bisect_right(runs, (a, a)) - 1, 0)
    while i < len(runs) and runs[i][0] < b:
        first, end = max(a, runs[i][0]), min(b, runs[i][1])
        if first < end and any(priced[first:end]):
            return True
        i += 1
    return False


def _odd_ties(products: list[int], rests: list[int], divisor: int) -> list[int]:
    """Offsets whose cost is an exact tie that half up made odd (half to even: one less)."""
    out = []
    at = -1
    for _ in range(rests.count(0)):
        at = rests.index(0, at + 1)
        if (products[at] + divisor // 2) // divisor & 1:
            out.append(at)
    return out
