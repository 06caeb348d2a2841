"""The range view's fast path (shared/usage/dense.py) equals a plain hour-by-hour reference.

Random day rows (whole days, gaps, partial days, estimated hours), tariffs with time-of-use
bands, unpriced hours and validity dates in their own zones, histories that change tariff
mid-period (and mid-hour), owners' bounds, zones with DST, groupings by day, week and month.
The rows go through both readers' parsers (`_unpack` of the packed MySQL text, `_from_rows`)
before `assemble`; the totals are checked against `reference_totals` below, which prices each
stored hour on its own with `TariffRule.price_at` and `hour_cost`, and against the plain
bulk path (`hour_costs` + `bucket_totals`). Sums are taken on int64 (numpy) when every
intermediate fits and in Python integers otherwise: both are checked, and values and prices
large enough to leave int64 (up to the API's limits and beyond) must take the second.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import event, given, settings
from hypothesis import strategies as st

from shared.usage.aggregate import (
    BucketTotal,
    HourSeries,
    bucket_edges,
    bucket_totals,
    hour_costs,
)
from shared.usage.dense import (
    LIMIT,
    DenseHours,
    _int64_sums,
    _python_sums,
    assemble,
    dense_totals,
    price_table,
)
from shared.usage.periods import Period, parse_period
from shared.usage.pricing import WEEK_HOURS, Assignment, TariffRule, hour_cost
from shared.usage.store import FULL_DAY, _from_rows, _unpack

HOUR = timedelta(hours=1)
ZONES = ["Europe/Bucharest", "America/New_York", "UTC"]  # Asia/Kolkata: not whole hours
# Prices that make exact half-unit ties common (1.0 per kWh: every micro-kWh ending in 5).
PRICES = [0, 1_000_000, 50_000, 90_000, 310_000, 123_457, -50_000, 7]
TIE_PRONE = [0, 5, 15, 25, 100, 300, 500, 2_500, 1_500_000]


@dataclass(frozen=True)
class Hour:
    micros: int
    estimated: bool


def reference_totals(
    period: Period,
    hours: dict[datetime, Hour],
    history: list[Assignment],
    visible_from: datetime | None,
) -> list[BucketTotal]:
    """Each bucket hour by hour: the assignment in force, its rule's price, one rounding."""
    ordered = sorted(history, key=lambda a: a.effective_from_utc)
    out = []
    for bucket in period.buckets:
        kwh, flagged, cost, priced = 0, 0, 0, False
        seen = False
        hour = bucket.start_utc
        while hour < bucket.end_utc:
            stored = hours.get(hour)
            if stored is not None and (visible_from is None or hour >= visible_from):
                seen = True
                kwh += stored.micros
                flagged += stored.estimated
                active = [a for a in ordered if a.effective_from_utc <= hour]
                price = active[-1].rule.price_at(hour) if active else None
                if price is not None:
                    priced = True
                    cost += hour_cost(stored.micros, price)
            hour += HOUR
        out.append(BucketTotal(kwh if seen else None, flagged, cost if priced else None))
    return out


def _day_rows(hours: dict[datetime, Hour]) -> list[tuple[date, str, str, str]]:
    """The packed day rows shared/usage/daily.py would write for these hours."""
    days: dict[date, list[tuple[int, Hour]]] = defaultdict(list)
    for moment in sorted(hours):
        days[moment.date()].append((moment.hour, hours[moment]))
    return [
        (
            day,
            ",".join(str(h) for h, _ in values),
            ",".join(str(v.micros) for _, v in values),
            ",".join(str(h) for h, v in values if v.estimated),
        )
        for day, values in sorted(days.items())
    ]


def _packed_text(rows: list[tuple[date, str, str, str]], origin: date) -> str:
    """The one text store._PACKED_DAYS makes of these rows on MariaDB."""
    index = ";".join(
        str((d - origin).days) + ("" if h == FULL_DAY else ":" + h) for d, h, _, _ in rows
    )
    micros = ",".join(m for _, _, m, _ in rows)
    flagged = ";".join(f"{(d - origin).days}:{e}" for d, _, _, e in rows if e)
    return f"{len(rows)}#{16 * 1024 * 1024}#{index}#{micros}#{flagged}"


@st.composite
def grids(draw: st.DrawFn, *, gaps: bool) -> tuple[int | None, ...]:
    """A week of prices: each day split into a few bands; with gaps, some without a price."""
    price = st.one_of(st.sampled_from(PRICES), st.integers(-100_000, 2_000_000))
    grid: list[int | None] = []
    for _ in range(7):
        cuts = sorted(draw(st.sets(st.integers(1, 23), max_size=3)))
        for start, end in zip([0, *cuts], [*cuts, 24], strict=True):
            value = draw(st.one_of(price, price, price, st.none()) if gaps else price)
            grid += [value] * (end - start)
    assert len(grid) == WEEK_HOURS
    return tuple(grid)


@st.composite
def worlds(
    draw: st.DrawFn,
) -> tuple[Period, dict[datetime, Hour], list[Assignment], datetime | None]:
    zone = draw(st.sampled_from(ZONES))
    first = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 800)))
    days = draw(st.integers(1, 100))
    group_by = draw(st.sampled_from(["day", "week", "month"]))
    last = first + timedelta(days=days - 1)
    period = parse_period(first.isoformat(), last.isoformat(), zone, group_by)
    start, end = period.start_utc, period.end_utc
    # Hours of the UTC days around the period: whole days, missing days, partial days; values
    # from a seeded generator (thousands of draws would make Hypothesis slow), half of them
    # from a few that make exact ties likely.
    rng = random.Random(draw(st.integers(0, 2**32)))
    hours: dict[datetime, Hour] = {}
    day = datetime.combine(start.date() - timedelta(days=1), datetime.min.time())
    kinds = ["whole"] if rng.random() < 0.4 else ["whole", "whole", "whole", "none", "some"]
    while day < end + timedelta(days=1):
        kind = rng.choice(kinds)
        if kind != "none":
            chosen = range(24) if kind == "whole" else rng.sample(range(24), rng.randint(1, 23))
            for h in sorted(chosen):
                value = rng.choice([rng.randint(0, 3_000_000), rng.choice(TIE_PRONE)])
                hours[day + h * HOUR] = Hour(value, rng.random() < 0.1)
        day += timedelta(days=1)
    span_minutes = int((end - start) / timedelta(minutes=1))
    minutes = st.one_of(st.integers(-3 * 1440, 0), st.integers(0, span_minutes + 1440))
    moment = minutes.map(lambda m: start + timedelta(minutes=m))
    rules = []
    for i in range(draw(st.integers(1, 3))):
        zone_of_tariff = ZoneInfo(draw(st.sampled_from(ZONES)))
        if draw(st.booleans()):  # prices every hour of the period
            rules.append(
                TariffRule(
                    f"t{i}", "EUR", zone_of_tariff, date(2000, 1, 1), None, draw(grids(gaps=False))
                )
            )
            continue
        valid_from = first + timedelta(days=draw(st.integers(-10, days)))
        valid_to = draw(st.one_of(st.none(), st.integers(0, days + 5)))
        rules.append(
            TariffRule(
                f"t{i}",
                "EUR",
                zone_of_tariff,
                valid_from,
                None if valid_to is None else valid_from + timedelta(days=valid_to),
                draw(grids(gaps=True)),
            )
        )
    history = [
        Assignment(draw(moment), draw(st.sampled_from(rules)))
        for _ in range(draw(st.integers(1, 3)))
    ]
    visible_from = draw(st.one_of(st.none(), moment))
    return period, hours, history, visible_from


def _dense(
    period: Period,
    hours: dict[datetime, Hour],
    visible_from: datetime | None,
    packed: bool,
    from_bound: bool = True,
) -> DenseHours:
    """What store.read_hours makes of the day rows (through either reader's parser), read
    from the bound's day on (read_hours) or from the period's first day (device_hours)."""
    start, end = period.start_utc, period.end_utc
    span = int((end - start) / HOUR)
    lowest = 0
    if visible_from is not None and visible_from > start:
        lowest = min(span, -int(-(visible_from - start) // HOUR))
    read_from = (start + lowest * HOUR).date() if from_bound else start.date()
    last = (end - HOUR).date()
    rows = [r for r in _day_rows(hours) if read_from <= r[0] <= last]
    origin = start.date()
    parsed = _unpack(_packed_text(rows, origin)) if packed else _from_rows(rows, origin)
    assert parsed is not None
    return assemble(start, span, lowest, *parsed)


def _sums_of(period: Period, dense: DenseHours, history: list[Assignment]) -> tuple[object, object]:
    """Both ways of summing these hours: on int64 (None: refused) and in Python integers."""
    edges = bucket_edges(period)
    table = price_table(history, period.start_utc, edges[-1])
    return _int64_sums(edges, dense.micros, table), _python_sums(edges, dense.micros, table)


def _python_ints(totals: list[BucketTotal]) -> bool:
    return all(
        type(value) is int  # not a numpy scalar
        for t in totals
        for value in (t.kwh_micro, t.estimated_hours, t.cost_units)
        if value is not None
    )


@settings(max_examples=300, deadline=None)
@given(worlds(), st.booleans(), st.booleans())
def test_dense_totals_equal_the_hour_by_hour_reference(
    world: tuple[Period, dict[datetime, Hour], list[Assignment], datetime | None],
    packed: bool,
    from_bound: bool,
) -> None:
    period, hours, history, visible_from = world
    dense = _dense(period, hours, visible_from, packed, from_bound)
    expected = reference_totals(period, hours, history, visible_from)
    totals = dense_totals(period, dense, history)
    assert totals == expected
    assert _python_ints(totals)
    # these values and prices fit int64: the numpy sums are taken, and equal the Python ones
    on_int64, in_python = _sums_of(period, dense, history)
    assert on_int64 is not None
    assert on_int64 == in_python
    # the plain bulk path agrees, and the dense hours are the stored hours
    series = dense.to_series()
    assert bucket_totals(period, series, hour_costs(series, history)) == expected
    visible = {
        h: v
        for h, v in hours.items()
        if period.start_utc <= h < period.end_utc and (visible_from is None or h >= visible_from)
    }
    assert series == HourSeries(
        period.start_utc,
        [int((h - period.start_utc) / HOUR) for h in sorted(visible)],
        [visible[h].micros for h in sorted(visible)],
        [visible[h].estimated for h in sorted(visible)],
    )


# Prices up to the API's limit (999,999.999999 per kWh, either sign) and past it.
HUGE_PRICES = [10**12 - 1, -(10**12 - 1), 5 * 10**11, 2**62, 3**45, 7]


@st.composite
def huge_grids(draw: st.DrawFn) -> tuple[int | None, ...]:
    price = st.one_of(st.sampled_from(HUGE_PRICES), st.integers(-(10**12), 10**12))
    grid: list[int | None] = []
    for _ in range(7):
        cuts = sorted(draw(st.sets(st.integers(1, 23), max_size=3)))
        for start, end in zip([0, *cuts], [*cuts, 24], strict=True):
            grid += [draw(st.one_of(price, price, st.none()))] * (end - start)
    return tuple(grid)


@settings(max_examples=60, deadline=None)
@given(
    worlds(),
    st.sampled_from([10**7, 10**12, 2**62 // 3_000_000, 2**63, 10**30]),
    st.booleans(),
    huge_grids(),
)
def test_values_and_prices_beyond_int64_take_the_python_sums(
    world: tuple[Period, dict[datetime, Hour], list[Assignment], datetime | None],
    factor: int,
    packed: bool,
    grid: tuple[int | None, ...],
) -> None:
    """Micro-kWh up to 3e6 x factor (past int64 from 2**63 on: the parse falls back to JSON
    as well) with the worlds' tariffs and one of huge prices: exact whatever the path."""
    period, small, history, visible_from = world
    hours = {h: Hour(v.micros * factor + v.micros % 7, v.estimated) for h, v in small.items()}
    rule = TariffRule("huge", "EUR", ZoneInfo("Europe/Bucharest"), date(2000, 1, 1), None, grid)
    history = [*history, Assignment(period.start_utc + 5 * 24 * HOUR, rule)]
    dense = _dense(period, hours, visible_from, packed)
    totals = dense_totals(period, dense, history)
    assert totals == reference_totals(period, hours, history, visible_from)
    assert _python_ints(totals)
    on_int64, in_python = _sums_of(period, dense, history)
    event("int64 sums" if on_int64 is not None else "python sums")
    assert on_int64 is None or on_int64 == in_python
    if max((v.micros for v in hours.values()), default=0) >= 2**63:
        assert on_int64 is None  # cannot even be converted


def _flat(price: int) -> list[Assignment]:
    rule = TariffRule("flat", "EUR", ZoneInfo("UTC"), date(2000, 1, 1), None, (price,) * 168)
    return [Assignment(datetime(2000, 1, 1), rule)]


def _week_of(value: int) -> tuple[Period, dict[datetime, Hour], DenseHours]:
    period = parse_period("2026-03-02", "2026-03-08", "UTC", "day")
    hours = {period.start_utc + i * HOUR: Hour(value - i % 2, i % 5 == 0) for i in range(168)}
    return period, hours, _dense(period, hours, None, packed=True)


def test_each_int64_bound_sends_the_sums_to_python_and_they_stay_exact() -> None:
    """A week by day (168 hours), one bound exceeded at a time; D' = 2 for 5.0 per kWh
    multiples (scale 5,000,000), D' = 10**7 for an odd price (scale 1)."""
    cases = [
        # the kWh sums: 168 V > 2**62
        (LIMIT // 100, 0),
        # one hour's product: V P > 2**62 (P = 999,999.999999 per kWh, scale 1)
        (10**7, 10**12 - 1),
        # the cost sums only: V P <= 2**62 but 168 (V P // 2 + 1) > 2**62 (P = 200,000 x 5.0)
        (2 * 10**13, 10**12),
    ]
    for value, price in cases:
        period, hours, dense = _week_of(value)
        history = _flat(price)
        on_int64, _ = _sums_of(period, dense, history)
        assert on_int64 is None, (value, price)
        totals = dense_totals(period, dense, history)
        assert totals == reference_totals(period, hours, history, None)
        assert totals[0].kwh_micro == 24 * value - 12


def test_just_within_the_bounds_the_int64_sums_are_exact() -> None:
    """The largest values the bounds let through for a week at 5.0 per kWh x 200,000 (over
    scale 5,000,000: P = 200,000, D' = 2, D'/2 = 1): the numpy path is taken and its sums,
    near 2**62, are the reference's; one micro-kWh more in one hour and it is refused."""

    def fits(v: int) -> bool:
        return 168 * ((v * 200_000 + 1) // 2 + 1) <= LIMIT

    value = (LIMIT // 168) * 2 // 200_000
    while not fits(value):
        value -= 1
    assert not fits(value + 1)
    period, hours, dense = _week_of(value)
    history = _flat(10**12)
    on_int64, in_python = _sums_of(period, dense, history)
    assert on_int64 is not None and on_int64 == in_python
    totals = dense_totals(period, dense, history)
    assert totals == reference_totals(period, hours, history, None)
    assert sum(t.cost_units or 0 for t in totals) > 2**61
    table = price_table(history, period.start_utc, 168)
    assert _int64_sums(bucket_edges(period), [*dense.micros[:-1], value + 1], table) is None


def test_a_tie_in_every_bucket_rounds_half_to_even() -> None:
    """1.0 per kWh: 5 micro-kWh cost exactly half a unit (0), 15 one and a half (2)."""
    rule = TariffRule("t", "EUR", ZoneInfo("UTC"), date(2026, 1, 1), None, (1_000_000,) * 168)
    period = parse_period("2026-03-01", "2026-03-03", "UTC", "day")
    hours = {period.start_utc + i * HOUR: Hour(5 if i % 2 else 15, False) for i in range(72)}
    history = [Assignment(datetime(2026, 1, 1), rule)]
    totals = dense_totals(period, _dense(period, hours, None, packed=True), history)
    assert [t.cost_units for t in totals] == [24, 24, 24]  # 12 x 0 + 12 x 2 a day
    assert totals == reference_totals(period, hours, history, None)


def test_without_a_tariff_every_cost_is_null_and_empty_buckets_stay_null() -> None:
    period = parse_period("2026-03-28", "2026-04-02", "Europe/Bucharest", "day")  # DST day
    hours = {period.start_utc + i * HOUR: Hour(1_000, False) for i in range(30, 70)}
    totals = dense_totals(period, _dense(period, hours, None, packed=False), [])
    assert totals == reference_totals(period, hours, [], None)
    assert [t.kwh_micro is None for t in totals] == [True, False, False, True, True, True]
    assert all(t.cost_units is None for t in totals)
