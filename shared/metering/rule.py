"""The metering rule: energy of one step of the register, and the full hourly recompute.

Noise (a drop of at most 10 % of the trusted register) yields no energy and does not move the
register: the next reading is measured from the last trusted value, so a dip and its recovery
count nothing twice. A larger drop is a reset: the new value is the energy since the reset.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final, Literal

from shared.metering.readings import MeterPoint, Reading
from shared.metering.split import split_interval

NOISE_FRACTION: Final = 0.10
NOISE_RELATIVE_TOLERANCE: Final = 1e-9
NOISE_ABSOLUTE_TOLERANCE_KWH: Final = 1e-9

StepKind = Literal["first", "increase", "noise", "reset"]


@dataclass(frozen=True, slots=True)
class Step:
    """What one reading does to the register: energy since the previous reading, new register."""

    kind: StepKind
    energy_kwh: float
    register_kwh: float


def is_noise_drop(register_kwh: float, value_kwh: float) -> bool:
    """True when `value_kwh` is below the register by at most NOISE_FRACTION of it.

    Tolerance: the limit is widened by 1e-9 of the register (at least 1e-9 kWh) so that a drop
    of exactly 10 % in decimal (3.0 -> 2.7) stays noise despite binary rounding.
    """
    drop_kwh = register_kwh - value_kwh
    slack_kwh = max(NOISE_ABSOLUTE_TOLERANCE_KWH, NOISE_RELATIVE_TOLERANCE * register_kwh)
    return 0.0 < drop_kwh <= NOISE_FRACTION * register_kwh + slack_kwh


def is_reset(register_kwh: float, value_kwh: float) -> bool:
    """True when `value_kwh` dropped below the register by more than the noise tolerance."""
    return value_kwh < register_kwh and not is_noise_drop(register_kwh, value_kwh)


def step_register(register_kwh: float | None, value_kwh: float) -> Step:
    """Apply one reading to the trusted register (None before a device's first reading)."""
    if register_kwh is None:
        return Step("first", 0.0, value_kwh)
    if value_kwh >= register_kwh:
        return Step("increase", value_kwh - register_kwh, value_kwh)
    if is_noise_drop(register_kwh, value_kwh):
        return Step("noise", 0.0, register_kwh)
    return Step("reset", value_kwh, value_kwh)


def replay(readings: Iterable[Reading]) -> Iterator[tuple[MeterPoint, Step]]:
    """Walk a device's readings in strictly ascending time, yielding each stored point and step."""
    last: MeterPoint | None = None
    for reading in readings:
        if last is not None and reading.timestamp_ms <= last.timestamp_ms:
            raise ValueError(
                f"readings not strictly ascending: {reading.timestamp_ms} after {last.timestamp_ms}"
            )
        step = step_register(last.register_kwh if last else None, reading.value_kwh)
        point = MeterPoint(reading.timestamp_ms, reading.value_kwh, step.register_kwh)
        yield point, step
        last = point


def meter_points(readings: Iterable[Reading]) -> list[MeterPoint]:
    """The stored points (with trusted registers) of a device's full, ascending history."""
    return [point for point, _ in replay(readings)]


def hourly_totals(readings: Iterable[Reading]) -> dict[int, float]:
    """Energy per UTC hour start (epoch ms) of a device's full, strictly ascending history.

    Every hour overlapped by an interval between two readings has a key, even when its energy
    is 0.0; hours before the first or after the last reading have none.
    """
    totals: dict[int, float] = {}
    previous_ms: int | None = None
    for point, step in replay(readings):
        if previous_ms is not None:
            for hour, energy_kwh in split_interval(
                previous_ms, point.timestamp_ms, step.energy_kwh
            ).items():
                totals[hour] = totals.get(hour, 0.0) + energy_kwh
        previous_ms = point.timestamp_ms
    return totals
