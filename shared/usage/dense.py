"""The range view's fast path: a period's hours as dense lists, priced and summed in bulk (pure).

The plain path (`aggregate.hour_costs` + `aggregate.bucket_totals`) keeps a sorted list of the
stored hours with their offsets and prices each hour through two lookups. Here a period of `span`
hours is one list of `span` micro-kWh (0 where nothing is stored) with the stored hours as
ranges, so

- a day row's 24 values land with one slice, a year of full days is one slice of one parse;
- an hour's price is the same position in a cached per-period price table (one per tariff rule:
  DST days, time-of-use bands and validity dates are in it), so no gather by offset;
- the period is priced and summed on numpy int64 (`_int64_sums`): N = micro-kWh x price per
  hour, its cost rounded half up as (N + D/2) // D and the exact ties (remainder 0) whose
  result is odd taken one down (half to even, as `pricing.hour_cost` rounds each hour), then
  each bucket's kWh and cost as differences of cumulative sums at the bucket edges;
- when an intermediate could leave int64 (bounds checked per call in Python integers, see
  `_int64_sums`), the same sums in Python integers (`_python_sums`): with r = (N + D/2) mod D
  a bucket costs (sum N + n D/2 - sum r) / D less its odd exact ties, without a per-hour cost.

Results are the plain path's exactly (tests/shared/usage/test_dense.py checks both sums, and
the plain path, against an hour-by-hour reference with Hypothesis).
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

import numpy as np
import numpy.typing as npt

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


# Every int64 intermediate of `_int64_sums` is kept within +-LIMIT (half of int64's range).
LIMIT = 2**62
Int64s = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class PriceTable:
    """Each hour of a period: its price (0 where none) and whether a tariff prices it.

    Prices are kept divided by `scale`, the greatest common divisor of D/2 and every price:
    N / D rounds as (N / scale) / (D / scale), and smaller products are cheaper integers
    (a price of 0.31 per kWh is 31 over D / scale = 1,000). `array` holds the same prices as
    read-only int64 (None when `peak`, a bound on their absolute values, exceeds LIMIT).
    """

    prices: Sequence[int]  # micro-units per kWh / scale
    priced: Sequence[bool]
    complete: bool  # every hour is priced
    scale: int
    peak: int  # >= |price| of every hour (prices over scale)
    array: Int64s | None


def _int64_prices(prices: Sequence[int], peak: int) -> Int64s | None:
    if peak > LIMIT:
        return None
    array = np.array(prices, dtype=np.int64)
    array.flags.writeable = False  # cached and shared between requests
    return array


@lru_cache(maxsize=64)
def _rule_table(rule: TariffRule, start_utc: datetime, span: int) -> PriceTable:
    prices, priced = rule_prices(rule, start_utc, span)
    grid = {price for price in rule.grid if price is not None}
    scale = gcd(HALF, *grid)
    peak = max(map(abs, grid), default=0) // scale  # the grid's prices are multiples of scale
    if scale > 1:
        prices = tuple(map(floordiv, prices, repeat(scale)))
    return PriceTable(prices, priced, all(priced), scale, peak, _int64_prices(prices, peak))


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
    peak = max(table.peak * (table.scale // scale) for _, _, table in segments)
    prices: list[int] = [0] * span
    priced: list[bool] = [False] * span
    for first, end, table in segments:
        part = table.prices[first:end]
        if table.scale != scale:
            part = list(map(mul, part, repeat(table.scale // scale)))
        prices[first:end] = part
        priced[first:end] = table.priced[first:end]
    array = _spliced(segments, span, scale) if peak <= LIMIT else None
    return PriceTable(prices, priced, all(priced), scale, peak, array)


def _spliced(segments: list[tuple[int, int, PriceTable]], span: int, scale: int) -> Int64s | None:
    """The segments' int64 prices over scale in one array (their peaks checked by the caller)."""
    array = np.zeros(span, dtype=np.int64)
    for first, end, table in segments:
        if table.array is None:
            return None
        array[first:end] = table.array[first:end] * (table.scale // scale)
    return array


def dense_totals(
    period: Period, hours: DenseHours, assignments: Sequence[Assignment]
) -> list[BucketTotal]:
    """Sum a period's dense hours into its buckets with their exact cost (as `bucket_totals`)."""
    edges = bucket_edges(period)
    span = edges[-1]
    runs, estimated = hours.runs, hours.estimated
    if not runs:
        return [EMPTY] * (len(edges) - 1)
    table = price_table(assignments, period.start_utc, span)
    sums = _int64_sums(edges, hours.micros, table)
    if sums is None:  # an intermediate could leave int64
        sums = _python_sums(edges, hours.micros, table)
    kwh, costs = sums
    stored = _stored_before(runs, edges)
    out = []
    for i, ((a, b), (before, upto)) in enumerate(
        zip(pairwise(edges), pairwise(stored), strict=True)
    ):
        if before == upto:
            out.append(EMPTY)
            continue
        cost = None
        if (
            table is not None
            and costs is not None
            and (table.complete or _any_priced(table.priced, runs, a, b))
        ):
            cost = costs[i]
        flagged = bisect_left(estimated, b) - bisect_left(estimated, a) if estimated else 0
        out.append(BucketTotal(kwh[i], flagged, cost))
    return out


# Each bucket's micro-kWh and, with a price table, its cost (1e-5 currency units).
Sums = tuple[list[int], list[int] | None]


def _int64_sums(
    edges: Sequence[int], micros: Sequence[int], table: PriceTable | None
) -> Sums | None:
    """The sums on int64; None when one of its intermediates could leave int64.

    With V >= |micro-kWh| and P >= |price| (over scale) of every hour, D' = D / scale, H = D'/2:
    - an hour's N + H is at most V P + H in absolute value, its rounded cost q = (N + H) // D'
      at most (V P + H) // D' + 1 (taking an odd tie one down keeps it within that bound);
    - a cumulative sum over the period's `span` hours is at most span V (kWh) or span times
      the bound on q (costs), and a bucket's sum, the difference of two of them, is one of
      these sums too (so the subtraction cannot wrap around either).
    Each bound is checked in Python integers against LIMIT = 2**62 before any int64 operation;
    values beyond int64 cannot even be converted. Both give None: `_python_sums` then.
    """
    span = edges[-1]
    try:
        values = np.fromiter(micros, dtype=np.int64, count=len(micros))
    except OverflowError:  # a value beyond int64
        return None
    peak = max(int(values.max()), -int(values.min())) if values.size else 0
    if span * peak > LIMIT:
        return None
    kwh = _bucket_sums(values, edges)
    if table is None:
        return kwh, None
    divisor, half = COST_DIVISOR // table.scale, HALF // table.scale
    shifted_peak = peak * table.peak + half
    if table.array is None or shifted_peak > LIMIT or span * (shifted_peak // divisor + 1) > LIMIT:
        return None
    shifted = values * table.array
    shifted += half
    costs, rests = np.divmod(shifted, divisor)
    costs[(rests == 0) & (costs & 1 == 1)] -= 1  # exact ties that half up made odd: to even
    return kwh, _bucket_sums(costs, edges)


def _bucket_sums(values: Int64s, edges: Sequence[int]) -> list[int]:
    """The sum of values[a:b] for each pair of consecutive edges, as Python integers."""
    running = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(values, out=running[1:])
    sums: list[int] = np.diff(running[np.array(edges)]).tolist()
    return sums


def _python_sums(edges: Sequence[int], values: Sequence[int], table: PriceTable | None) -> Sums:
    """The sums in Python integers, for values and prices of any size.

    With N = micro-kWh x price and r = (N + D/2) mod D, an hour's cost rounded half up is
    (N + D/2 - r) / D, so a bucket costs (sum N + n D/2 - sum r) / D: three C-level `map`
    passes over the period instead of a cost per hour; the exact ties (r = 0) whose half-up
    result is odd are taken one down (half to even).
    """
    kwh = [sum(values[a:b]) for a, b in pairwise(edges)]
    if table is None:
        return kwh, None
    divisor, half = COST_DIVISOR // table.scale, HALF // table.scale
    products = list(map(mul, values, table.prices))
    rests = list(map(mod, map(add, products, repeat(half)), repeat(divisor)))
    ties = _odd_ties(products, rests, divisor)
    costs = []
    for a, b in pairwise(edges):
        cost = (sum(products[a:b]) + (b - a) * half - sum(rests[a:b])) // divisor
        if ties:
            cost -= bisect_left(ties, b) - bisect_left(ties, a)
        costs.append(cost)
    return kwh, costs


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
