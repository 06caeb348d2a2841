"""Realistic household load profiles as a cumulative kWh register, one reading per interval."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

BASE_LOAD_KW = 0.18  # fridge, standby, router
SEASON_AMPLITUDE = 0.3  # winter uses ~30 % more than the yearly mean, summer ~30 % less
APPLIANCE_CHANCE = 0.015  # per interval: kettle, oven, washing machine


@dataclass(frozen=True, slots=True)
class ProfileSpec:
    """What to generate: span, spacing, place and randomness."""

    start: datetime
    days: int = 28
    interval_s: int = 600
    tz: str = "UTC"
    seed: int = 42
    start_kwh: float = 0.0


def _bump(hour: float, centre: float, width: float) -> float:
    return math.exp(-(((hour - centre) / width) ** 2) / 2)


def daily_shape_kw(hour: float, weekend: bool) -> float:
    """Mean power at a local hour: night low, morning and evening peaks, weekend lunch."""
    morning = 0.8 * _bump(hour, 8.5 if weekend else 7.0, 0.9)
    lunch = 0.5 * _bump(hour, 13.0, 1.2) if weekend else 0.1 * _bump(hour, 13.0, 1.0)
    evening = 1.2 * _bump(hour, 19.5, 1.6)
    return BASE_LOAD_KW + morning + lunch + evening


def seasonal_factor(day_of_year: int) -> float:
    """Heating and lighting: highest in mid-January, lowest in mid-July."""
    return 1.0 + SEASON_AMPLITUDE * math.cos(2 * math.pi * (day_of_year - 15) / 365.25)


def power_kw(moment: datetime, rng: random.Random) -> float:
    """Average power over the interval starting at `moment` (local time), with noise."""
    hour = moment.hour + moment.minute / 60
    mean = daily_shape_kw(hour, moment.weekday() >= 5) * seasonal_factor(moment.timetuple().tm_yday)
    power = mean * rng.lognormvariate(0.0, 0.25)
    if rng.random() < APPLIANCE_CHANCE:
        power += rng.uniform(1.0, 2.5)
    return power


def generate_readings(spec: ProfileSpec) -> list[tuple[datetime, float]]:
    """(UTC time, cumulative kWh) pairs; the register only ever climbs."""
    rng = random.Random(spec.seed)  # noqa: S311 - simulation, not security
    zone = ZoneInfo(spec.tz)
    step = timedelta(seconds=spec.interval_s)
    count = spec.days * 86_400 // spec.interval_s
    register = spec.start_kwh
    moment = spec.start
    readings = [(moment, register)]
    for _ in range(count - 1):
        register += power_kw(moment.astimezone(zone), rng) * spec.interval_s / 3600
        moment += step
        readings.append((moment, register))
    return readings


def write_csv(
    readings: list[tuple[datetime, float]], path: Path, values_only: bool = False
) -> None:
    """Write `timestamp,value` rows (ISO 8601 UTC) or bare values, 4 decimals."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        if not values_only:
            out.write("timestamp,value\n")
        for moment, value in readings:
            stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            out.write(f"{value:.4f}\n" if values_only else f"{stamp},{value:.4f}\n")
