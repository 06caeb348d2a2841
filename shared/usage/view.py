"""The range view: a device's grouped consumption and cost over local dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from shared.auth import bearer_claims
from shared.models import Device
from shared.platform import Platform
from shared.usage.aggregate import (
    BucketTotal,
    HourCosts,
    HourSeries,
    bucket_totals,
    grand_total,
    hour_costs,
)
from shared.usage.dense import DenseHours, dense_totals
from shared.usage.periods import Period
from shared.usage.pricing import Assignment, format_cost, micro_to_kwh
from shared.usage.schemas import RangeConsumption
from shared.usage.store import (
    caller_device_hours,
    device_hours,
    load_assignments,
    read_series,
)


@dataclass(frozen=True, slots=True)
class PricedPeriod:
    """Every stored hour of a period with its cost, and the tariffs' currency."""

    period: Period
    series: HourSeries
    costs: HourCosts
    currency: str | None


def priced_period(
    session: Session, *, device: Device, period: Period, visible_from: datetime | None = None
) -> PricedPeriod:
    """Read the period's hours and price them under the device's tariff history.

    `visible_from` (an owner's bound, shared/ownership.py): earlier hours are left out, so
    every sum and cost is over what the owner may see; None for administrators.
    """
    assignments = load_assignments(session, device_id=device.id)
    return _priced(session, device.id, assignments, period, visible_from)


def _priced(
    session: Session,
    device_id: str,
    assignments: list[Assignment],
    period: Period,
    visible_from: datetime | None,
) -> PricedPeriod:
    series = read_series(
        session,
        device_id=device_id,
        start_utc=period.start_utc,
        end_utc=period.end_utc,
        visible_from=visible_from,
    )
    return PricedPeriod(period, series, hour_costs(series, assignments), _currency(assignments))


def _kwh(micro: int | None) -> float | None:
    return None if micro is None else micro_to_kwh(micro)


def _cost(units: int | None) -> str | None:
    return None if units is None else format_cost(units)


def range_view(session: Session, *, device: Device, period: Period) -> RangeConsumption:
    """Build the range view the plain way: every stored hour priced, then summed per bucket.

    The reference `device_range_view` must match (tests/shared/test_consumption_by_id.py).
    """
    priced = priced_period(session, device=device, period=period)
    totals = bucket_totals(period, priced.series, priced.costs)
    return _range(device.id, period, totals, priced.currency)


def device_range_view(
    session: Session, *, device_id: str, owner_id: str | None, period: Period
) -> RangeConsumption:
    """The range view of a device by id: one statement on MySQL/MariaDB, two on SQLite.

    `owner_id` set: that owner's device, from its `visible_from_utc` on; None: any device, all.
    Days, weeks and months are summed over the period's dense hours (shared/usage/dense.py);
    hours, one bucket each, the plain way.
    """
    assignments, hours = device_hours(
        session,
        device_id=device_id,
        owner_id=owner_id,
        start_utc=period.start_utc,
        end_utc=period.end_utc,
    )
    return _totals_view(device_id, period, assignments, hours)


def _totals_view(
    device_id: str, period: Period, assignments: list[Assignment], hours: DenseHours
) -> RangeConsumption:
    if period.group_by == "hour":
        series = hours.to_series()
        totals = bucket_totals(period, series, hour_costs(series, assignments))
    else:
        totals = dense_totals(period, hours, assignments)
    return _range(device_id, period, totals, _currency(assignments))


def caller_range_view(
    platform: Platform,
    session: Session,
    authorization: str | None,
    *,
    device_id: str,
    period: Period,
    admin: bool,
) -> RangeConsumption:
    """The range view the API serves, caller check included: one statement on MySQL/MariaDB.

    The refusals and their order are those of `routes._http.caller_scope` then
    `device_range_view` (shared/usage/store.py `caller_device_hours`); the view is the same.
    """
    claims = bearer_claims(platform, authorization)
    _caller, assignments, hours = caller_device_hours(
        session,
        claims,
        device_id=device_id,
        admin=admin,
        start_utc=period.start_utc,
        end_utc=period.end_utc,
    )
    return _totals_view(device_id, period, assignments, hours)


def _currency(assignments: list[Assignment]) -> str | None:
    return assignments[-1].rule.currency if assignments else None


def _range(
    device_id: str, period: Period, totals: list[BucketTotal], currency: str | None
) -> RangeConsumption:
    total = grand_total(totals)
    # Validated in one call from plain dicts: a model per bucket costs twice as much.
    buckets = [
        {
            "start": start,
            "end": end,
            "kwh": _kwh(t.kwh_micro),
            "estimated_hours": t.estimated_hours,
            "cost": _cost(t.cost_units),
        }
        for (start, end), t in zip(period.labels(), totals, strict=True)
    ]
    return RangeConsumption.model_validate(
        {
            "device_id": device_id,
            "tz": period.zone.key,
            "group_by": period.group_by,
            "from_date": period.first.isoformat(),
            "to_date": period.last.isoformat(),
            "buckets": buckets,
            "total_kwh": _kwh(total.kwh_micro),
            "total_cost": _cost(total.cost_units),
            "currency": currency,
        }
    )
