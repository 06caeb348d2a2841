"""Tariff rules and exact money (pure).

Money never touches binary floating point: energy is counted in integer micro-kWh
(1e-6 kWh), prices in integer micro-units of the currency per kWh, and the cost of one hour
is rounded once, half to even, to 1e-5 of the currency unit (the resolution of an ESPI
`cost`). Bucket and period costs are exact sums of hourly costs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

KWH_SCALE = 1_000_000  # micro-kWh per kWh
PRICE_SCALE = 1_000_000  # micro-units per currency unit
COST_SCALE = 100_000  # cost resolution: 1e-5 currency units
COST_DIVISOR = KWH_SCALE * PRICE_SCALE // COST_SCALE
WEEK_HOURS = 7 * 24
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def kwh_to_micro(kwh: float) -> int:
    """Energy in micro-kWh: floor(kWh x 1e6 + 0.5) in IEEE doubles.

    The database fast path computes FLOOR(energy_kwh * 1000000 + 0.5) with the same double
    operations, so both paths give the same integer for every stored value.
    """
    return math.floor(kwh * KWH_SCALE + 0.5)


def micro_to_kwh(micro: int) -> float:
    """Micro-kWh back to a kWh number whose decimal text is exact (up to 1e9 kWh)."""
    return micro / KWH_SCALE


def parse_price(text: str) -> int:
    """A decimal price text ('0.1234') as integer micro-units; ValueError past 6 decimals."""
    value = Decimal(text)
    micros = value * PRICE_SCALE
    if micros != micros.to_integral_value():
        raise ValueError("at most 6 decimal places")
    return int(micros)


def format_price(micros: int) -> str:
    """Integer micro-units as a plain decimal text with 6 places."""
    return str(Decimal(micros).scaleb(-6).quantize(Decimal("0.000001")))


def format_cost(units: int) -> str:
    """A cost in 1e-5 currency units as a plain decimal text with 5 places ("-1.23450").

    Integer arithmetic, the same text as `str(Decimal(units).scaleb(-5).quantize(...))`.
    """
    whole, fraction = divmod(abs(units), COST_SCALE)
    return f"{'-' if units < 0 else ''}{whole}.{fraction:05d}"


def hour_cost(kwh_micro: int, price_micros: int) -> int:
    """Cost of one hour in 1e-5 currency units, rounded half to even."""
    quotient, remainder = divmod(kwh_micro * price_micros, COST_DIVISOR)
    twice = 2 * remainder
    if twice > COST_DIVISOR or (twice == COST_DIVISOR and quotient % 2):
        quotient += 1
    return quotient


@dataclass(frozen=True, slots=True)
class TariffRule:
    """A tariff's prices per (local weekday, local hour), valid between two local dates."""

    tariff_id: str
    currency: str
    zone: ZoneInfo
    valid_from: date
    valid_to: date | None
    grid: tuple[int | None, ...]  # WEEK_HOURS entries, Monday 00:00 first

    def price_at(self, hour_utc: datetime) -> int | None:
        """Price in micro-units per kWh for the hour starting at naive UTC `hour_utc`."""
        local = hour_utc.replace(tzinfo=UTC).astimezone(self.zone)
        day = local.date()
        if day < self.valid_from or (self.valid_to is not None and day > self.valid_to):
            return None
        return self.grid[local.weekday() * 24 + local.hour]


@dataclass(frozen=True, slots=True)
class Assignment:
    """From `effective_from_utc` on (until the next assignment) the device uses `rule`."""

    effective_from_utc: datetime
    rule: TariffRule


def band_grid(bands: Sequence[tuple[int, int, int, int]]) -> tuple[int | None, ...]:
    """Fill a week grid from (weekday mask, start hour, end hour, price) bands.

    Raises ValueError naming the first (day, hour) covered twice.
    """
    grid: list[int | None] = [None] * WEEK_HOURS
    for mask, start, end, price in bands:
        for day in range(7):
            if not mask & (1 << day):
                continue
            for hour in range(start, end):
                slot = day * 24 + hour
                if grid[slot] is not None:
                    raise ValueError(f"{WEEKDAYS[day]} {hour:02d}:00 is covered by two bands")
                grid[slot] = price
    return tuple(grid)
