"""Exact money: half-even hourly rounding, band grids, tariff history hour by hour."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.usage.aggregate import (
    HourSeries,
    _costs,
    bucket_totals,
    grand_total,
    hour_costs,
    local_hours,
)
from shared.usage.periods import parse_period
from shared.usage.pricing import (
    Assignment,
    TariffRule,
    band_grid,
    format_cost,
    hour_cost,
    kwh_to_micro,
    parse_price,
)

ALL = 0b1111111
WEEKDAYS_MASK = 0b0011111
WEEKEND_MASK = 0b1100000
ZONE = ZoneInfo("Europe/Bucharest")


def _rule(grid_bands: list[tuple[int, int, int, int]], **kw: object) -> TariffRule:
    valid_from = kw.get("valid_from", date(2000, 1, 1))
    valid_to = kw.get("valid_to")
    return TariffRule("t", "EUR", ZONE, valid_from, valid_to, band_grid(grid_bands))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwh_micro", "price", "expected"),
    [
        (1_000_000, 250_000, 25_000),  # 1 kWh at 0.25 = 0.25000
        (1, 5, 0),  # 5e-12 rounds to 0
        (5, 1_000_000, 0),  # exactly 0.5e-5: half to even -> 0
        (15, 1_000_000, 2),  # 1.5e-5 -> 2e-5
        (25, 1_000_000, 2),  # 2.5e-5 -> 2e-5
        (1_234_567, 123_457, 15242),  # 0.1524156..., exact integer math
        (1_000_000, -50_000, -5_000),  # negative prices exist
    ],
)
def test_hour_cost_rounds_half_to_even(kwh_micro: int, price: int, expected: int) -> None:
    assert hour_cost(kwh_micro, price) == expected
    assert _costs([kwh_micro], [price]) == [expected]  # the bulk version
    exact = Decimal(kwh_micro) * Decimal(price) / Decimal(10**7)
    assert Decimal(expected) == exact.quantize(Decimal(1), rounding="ROUND_HALF_EVEN")


def test_prices_parse_exactly_and_refuse_sub_micro_precision() -> None:
    assert parse_price("0.1") == 100_000 and parse_price("12.000001") == 12_000_001
    assert format_cost(123456) == "1.23456"
    with pytest.raises(ValueError):
        parse_price("0.0000001")


def test_band_grid_refuses_overlaps_and_reports_gaps() -> None:
    with pytest.raises(ValueError, match="mon 07:00"):
        band_grid([(ALL, 0, 8, 1), (WEEKDAYS_MASK, 7, 24, 2)])
    grid = band_grid([(WEEKDAYS_MASK, 0, 24, 1)])
    assert grid[5 * 24] is None and grid[4 * 24 + 23] == 1


def test_time_of_use_is_read_in_the_tariff_zone() -> None:
    rule = _rule([(ALL, 0, 7, 100_000), (ALL, 7, 23, 300_000), (ALL, 23, 24, 100_000)])
    # 04:00Z on a summer day is 07:00 in Bucharest -> day rate; 03:00Z is 06:00 -> night.
    assert rule.price_at(datetime(2026, 6, 1, 4)) == 300_000
    assert rule.price_at(datetime(2026, 6, 1, 3)) == 100_000
    weekend = _rule([(WEEKDAYS_MASK, 0, 24, 2), (WEEKEND_MASK, 0, 24, 1)])
    assert weekend.price_at(datetime(2026, 6, 5, 21)) == 1  # Fri 21Z = Sat 00:00 local


def test_validity_dates_are_local_and_inclusive() -> None:
    rule = _rule([(ALL, 0, 24, 7)], valid_from=date(2026, 1, 1), valid_to=date(2026, 1, 31))
    assert rule.price_at(datetime(2025, 12, 31, 22)) == 7  # 00:00 local on Jan 1
    assert rule.price_at(datetime(2025, 12, 31, 21)) is None
    assert rule.price_at(datetime(2026, 1, 31, 21)) == 7  # 23:00 local on Jan 31
    assert rule.price_at(datetime(2026, 1, 31, 22)) is None


def _series(start: datetime, values: dict[int, float], estimated: set[int]) -> HourSeries:
    offsets = sorted(values)
    return HourSeries(
        start,
        offsets,
        [kwh_to_micro(values[o]) for o in offsets],
        [o in estimated for o in offsets],
    )


def test_local_hour_tables_match_a_per_hour_conversion_across_dst() -> None:
    start = datetime(2026, 3, 27, 22)  # 2026-03-28 00:00 Bucharest
    hours = 24 * 250  # spans both 2026 DST changes
    ordinals, week_hours = local_hours(start, hours, ZONE)
    for i in range(hours):
        local = (start + timedelta(hours=i)).replace(tzinfo=UTC).astimezone(ZONE)
        assert ordinals[i] == local.date().toordinal()
        assert week_hours[i] == local.weekday() * 24 + local.hour


def test_hour_costs_agree_with_the_per_hour_rule_under_a_history() -> None:
    tou = _rule(
        [
            (WEEKDAYS_MASK, 0, 7, 90_000),
            (WEEKDAYS_MASK, 7, 24, 310_000),
            (WEEKEND_MASK, 0, 24, 50_000),
        ],
        valid_to=date(2026, 10, 30),
    )
    flat = _rule([(ALL, 0, 24, 123_457)])
    history = [Assignment(datetime(2026, 3, 1, 5), flat), Assignment(datetime(2026, 4, 2, 9), tou)]
    start = datetime(2026, 2, 28, 22)
    values = {o: 0.5 + (o % 13) / 7 for o in range(0, 24 * 366, 5)}
    series = _series(start, values, set())
    costs = hour_costs(series, history)
    for i, offset in enumerate(series.offsets):
        hour = start + timedelta(hours=offset)
        active = [a for a in history if a.effective_from_utc <= hour]
        price = active[-1].rule.price_at(hour) if active else None
        expected = None if price is None else hour_cost(series.micros[i], price)
        assert costs.at(i) == expected, hour


def test_a_tariff_change_mid_day_is_honoured_hour_by_hour() -> None:
    cheap, dear = _rule([(ALL, 0, 24, 100_000)]), _rule([(ALL, 0, 24, 200_000)])
    change = datetime(2026, 6, 1, 9)  # 12:00 local
    history = [Assignment(datetime(2026, 1, 1), cheap), Assignment(change, dear)]
    period = parse_period("2026-06-01", "2026-06-01", "Europe/Bucharest", "day")
    series = _series(period.start_utc, dict.fromkeys(range(24), 1.5), {3})
    costs = hour_costs(series, history)
    assert [costs.at(11), costs.at(12)] == [15_000, 30_000]
    totals = bucket_totals(period, series, costs)
    assert totals[0].kwh_micro == kwh_to_micro(36.0)
    assert totals[0].cost_units == 12 * 15_000 + 12 * 30_000
    assert totals[0].estimated_hours == 1
    assert grand_total(totals).cost_units == totals[0].cost_units


def test_hours_before_any_tariff_have_no_cost_and_empty_buckets_stay_none() -> None:
    rule = _rule([(ALL, 0, 24, 100_000)])
    period = parse_period("2026-06-01", "2026-06-03", "UTC", "day")
    series = _series(period.start_utc, {5: 1.0, 53: 2.0}, set())
    history = [Assignment(datetime(2026, 6, 2), rule)]
    totals = bucket_totals(period, series, hour_costs(series, history))
    assert [t.kwh_micro for t in totals] == [1_000_000, None, 2_000_000]
    assert [t.cost_units for t in totals] == [None, None, 20_000]


def test_bulk_costs_equal_hour_cost_including_many_exact_ties() -> None:
    rng = random.Random(7)
    micros = [rng.choice([5, 15, 25, 35, 45]) for _ in range(200)]
    micros += [rng.randint(0, 5_000_000) for _ in range(2_000)]
    prices = [1_000_000] * 200 + [rng.randint(-200_000, 900_000) for _ in range(2_000)]
    assert _costs(micros, prices) == [hour_cost(m, p) for m, p in zip(micros, prices, strict=True)]


@given(st.integers(-(10**22), 10**22))
def test_cost_text_is_the_decimal_text(units: int) -> None:
    """format_cost formats integers; the text is the exact Decimal one, sign and zeros kept."""
    assert format_cost(units) == str(Decimal(units).scaleb(-5).quantize(Decimal("0.00001")))
