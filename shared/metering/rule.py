"""The metering rule: energy of one step of the register, and the full hourly recompute.

Noise (a drop of at most 10 % of the trusted register) yields no energy and does not move the
register: the next reading is measured from the last trusted value, so a dip and its recovery
count nothing twice. A larger drop is a reset: the new value is the energy since the reset.
A reading after a gap longer than the policy's spread bound is a *baseline*: no energy is
spread over the gap and the register restarts at the reading's value.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final, Literal

from shared.metering.policy import DEFAULT_POLICY, MeteringPolicy
from shared.metering.readings import MeterPoint, Reading

NOISE_FRACTION: Final = 0.10
NOISE_RELATIVE_TOLERANCE: Final = 1e-9
NOISE_ABSOLUTE_TOLERANCE_KWH: Final = 1e-9

StepKind = Literal["first", "increase", "noise", "reset", "baseline"]


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


def step_after(
    previous_ms: int | None,
    register_kwh: float | None,
    reading: Reading,
    policy: MeteringPolicy = DEFAULT_POLICY,
) -> Step:
    """The step of `reading` after the point at `previous_ms` (None before the first reading)."""
    if previous_ms is not None and policy.starts_baseline(previous_ms, reading.timestamp_ms):
        return Step("baseline", 0.0, reading.value_kwh)
    return step_register(register_kwh, reading.value_kwh)


def replay(
    readings: Iterable[Reading], policy: MeteringPolicy = DEFAULT_POLICY
) -> Iterator[tuple[MeterPoint, Step]]:
    """Walk a device's readings in strictly ascending time, yielding each stored point and step."""
    last: MeterPoint | None = None
    for reading in readings:
        if last is not None and reading.timestamp_ms <= last.timestamp_ms:
            raise ValueError(
                f"readings not strictly ascending: {reading.timestamp_ms} after {last.timestamp_ms}"
            )
        if last is None:
            step = step_after(None, None, reading, policy)
        else:
            step = step_after(last.timestamp_ms, last.register_kwh, reading, policy)
        point = MeterPoint(reading.timestamp_ms, reading.value_kwh, step.register_kwh)
        yield point, step
        last = point


def meter_points(
    readings: Iterable[Reading], policy: MeteringPolicy = DEFAULT_POLICY
) -> list[MeterPoint]:
    """The stored points (with trusted registers) of a device's full, ascending history."""
    return [point for point, _ in replay(readings, policy)]


def hourly_energy(
    readings: Iterable[Reading], policy: MeteringPolicy = DEFAULT_POLICY
) -> tuple[dict[int, float], set[int]]:
    """Energy per UTC hour start (epoch ms) of a full, ascending history, and the estimated hours.

    Every hour overlapped by a spread interval has a key, even when its energy is 0.0; hours
    before the first or after the last reading, and inside a baseline gap, have none. An hour
    is estimated when any interval feeding it is longer than the policy's estimation gap.
    """
    totals: dict[int, float] = {}
    estimated: set[int] = set()
    previous_ms: int | None = None
    for point, step in replay(readings, policy):
        if previous_ms is not None and step.kind != "baseline":
            spread = policy.spread(previous_ms, point.timestamp_ms, step.energy_kwh)
            for hour, energy_kwh in spread.parts.items():
                totals[hour] = totals.get(hour, 0.0) + energy_kwh
            if spread.estimated:
                estimated.update(spread.parts)
        previous_ms = point.timestamp_ms
    return totals, estimated


def hourly_totals(
    readings: Iterable[Reading], policy: MeteringPolicy = DEFAULT_POLICY
) -> dict[int, float]:
    """Energy per UTC hour start (epoch ms) of a full, ascending history (see hourly_energy)."""
    return hourly_energy(readings, policy)[0]
