"""The day view: a device's consumption per local hour of one day (docs/contracts.md)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from shared.auth import (
    bearer_claims,
    caller_params,
    caller_select,
    checked_caller,
    require_admin_role,
)
from shared.errors import FieldError, NotFound, ValidationFailed
from shared.models import DailyConsumption, Device, HourlyConsumption, User
from shared.platform import Platform
from shared.schemas import DayConsumption, HourValue
from shared.usage.pricing import kwh_to_micro, micro_to_kwh

HOUR = timedelta(hours=1)
HOURS = [h * HOUR for h in range(24)]  # the offsets of a UTC day's hours from its midnight
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2100, 12, 31)


@dataclass(frozen=True, slots=True)
class LocalDay:
    """One calendar day in one time zone, as a half-open UTC interval."""

    day: date
    zone: ZoneInfo
    start_utc: datetime
    end_utc: datetime

    def hour_starts_utc(self) -> list[datetime]:
        """Return the UTC start of every hour of this local day (23, 24 or 25 of them)."""
        hours = int((self.end_utc - self.start_utc) / HOUR)
        return [self.start_utc + i * HOUR for i in range(hours)]


def parse_day(date_text: str | None, tz_name: str | None) -> LocalDay:
    """Validate a YYYY-MM-DD date and an IANA zone; ValidationFailed names the bad one."""
    if not date_text:
        raise ValidationFailed(
            "The date query parameter is required (YYYY-MM-DD).",
            errors=[FieldError("date", "required")],
        )
    try:
        day = date.fromisoformat(date_text)
    except ValueError as exc:
        raise ValidationFailed(
            f"Invalid date {date_text!r}; expected YYYY-MM-DD.",
            errors=[FieldError("date", "invalid date")],
        ) from exc
    if len(date_text) != 10 or not MIN_DATE <= day <= MAX_DATE:
        raise ValidationFailed(
            f"Date {date_text!r} must be YYYY-MM-DD between 2000 and 2100.",
            errors=[FieldError("date", "out of range")],
        )
    zone = _parse_zone(tz_name or "UTC")
    return _local_day(day, zone)


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _parse_zone(tz_name: str) -> ZoneInfo:
    try:
        # Only real zone keys: "Europe" is a directory and "zone.tab" a data file, not zones.
        if tz_name not in _known_zones():
            raise ValueError(tz_name)
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValidationFailed(
            f"Unknown time zone {tz_name!r}; use an IANA name such as 'Europe/Bucharest'.",
            errors=[FieldError("tz", "unknown zone")],
        ) from exc


def _local_day(day: date, zone: ZoneInfo) -> LocalDay:
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    nxt = day + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone)
    for edge in (start, end):
        offset = edge.utcoffset() or timedelta(0)
        if offset % HOUR:
            raise ValidationFailed(
                f"Time zone {zone.key!r} has a UTC offset of {offset} on {day}; only zones with "
                "whole-hour offsets can be shown per hour (readings are stored per UTC hour).",
                errors=[FieldError("tz", "offset is not a whole hour")],
            )
    start_utc = start.astimezone(UTC).replace(tzinfo=None)
    end_utc = end.astimezone(UTC).replace(tzinfo=None)
    return LocalDay(day=day, zone=zone, start_utc=start_utc, end_utc=end_utc)


def read_hours(
    session: Session, *, device_id: str, start_utc: datetime, end_utc: datetime
) -> tuple[dict[datetime, int], set[datetime]]:
    """Stored hourly totals of a device in [start_utc, end_utc) in micro-kWh (the rounding of
    the day rows, shared/usage/daily.py), and which are estimated; read from the hourly rows
    (the reference the day rows must match)."""
    rows = session.execute(
        select(
            HourlyConsumption.hour_start_utc,
            HourlyConsumption.energy_kwh,
            HourlyConsumption.estimated,
        ).where(
            HourlyConsumption.device_id == device_id,
            HourlyConsumption.hour_start_utc >= start_utc,
            HourlyConsumption.hour_start_utc < end_utc,
        )
    )
    stored: dict[datetime, int] = {}
    estimated: set[datetime] = set()
    for hour, kwh, is_estimated in rows:
        stored[hour] = kwh_to_micro(kwh)
        if is_estimated:
            estimated.add(hour)
    return stored, estimated


def day_view(
    session: Session, *, device: Device, local_day: LocalDay, now: datetime | None = None
) -> DayConsumption:
    """Build the day view of a device from its hourly rows: one entry per local hour, null where
    no data (every hour: no owner's bound). The reference of the views the API serves.

    Estimated hours are flagged; the hour containing `now` (naive UTC) is in progress.
    """
    start, end = local_day.start_utc, local_day.end_utc
    stored, estimated = read_hours(session, device_id=device.id, start_utc=start, end_utc=end)
    return build_day(device.id, device.max_hourly_kwh, local_day, stored, estimated, now)


# The device and its day rows (shared/usage/daily.py: one row per UTC day, 1-2 for a local day)
# instead of up to 25 hourly rows: PyMySQL decodes each result row in Python (~10 us a row).
# max_hourly_kwh is never null: null = no such device (or not the caller's).
_DAY_COLUMNS = (
    Device.max_hourly_kwh,
    Device.visible_from_utc,
    DailyConsumption.day_utc,
    DailyConsumption.hours,
    DailyConsumption.micros,
    DailyConsumption.estimated,
)
_DAY_ROWS = and_(
    DailyConsumption.device_id == Device.id,
    # the bound id as well: with only the join column MariaDB 10.11 reads all of the device's
    # day rows (`ref` on device_id, 365 read for a year) instead of a range on the key (2)
    DailyConsumption.device_id == bindparam("device"),
    DailyConsumption.day_utc >= bindparam("first", type_=DailyConsumption.day_utc.type),
    DailyConsumption.day_utc <= bindparam("last", type_=DailyConsumption.day_utc.type),
)
DayRow = tuple[float | None, datetime | None, date | None, str | None, str | None, str | None]


def _device_day(*, owned: bool) -> Select[*tuple[Any, ...]]:
    """The device row outer joined to its day rows: no row = unknown device (or another
    owner's: `owned`), one row with null day columns = no data that day."""
    query = (
        select(*_DAY_COLUMNS)
        .select_from(Device)
        .outerjoin(DailyConsumption, _DAY_ROWS)
        .where(Device.id == bindparam("device"))
    )
    return query.where(Device.owner_id == bindparam("owner")) if owned else query


def _caller_day(*, owned: bool) -> Select[*tuple[Any, ...]]:
    """The caller check (shared.auth.caller_select: the token's user and its session row) with
    the device and its day rows outer joined: no row = no such user; null device columns = an
    unknown device, or one the caller may not see on this route (`owned`: not the caller's;
    else: neither the caller's nor the caller an administrator, and a non-administrator is
    refused on that route before the device is looked at). One statement, one round trip."""
    mine = Device.owner_id == User.id  # also links the joins (SQLAlchemy's cartesian check)
    may_see = mine if owned else or_(User.role == "admin", mine)
    return (
        caller_select(*_DAY_COLUMNS)
        .outerjoin(Device, and_(Device.id == bindparam("device"), may_see))
        .outerjoin(DailyConsumption, _DAY_ROWS)
    )


# Built once: composing a statement costs more CPU than a small query.
_DAY = _device_day(owned=False)
_OWNED_DAY = _device_day(owned=True)
_CALLER_DAY = _caller_day(owned=False)
_CALLER_OWNED_DAY = _caller_day(owned=True)


def _day_params(local_day: LocalDay) -> dict[str, date]:
    last_hour = local_day.end_utc - HOUR
    return {"first": local_day.start_utc.date(), "last": last_hour.date()}


def device_day_view(
    session: Session,
    *,
    device_id: str,
    owner_id: str | None,
    local_day: LocalDay,
    now: datetime | None = None,
) -> DayConsumption:
    """The day view of a device by id, in one statement: the device row and its day rows.

    `owner_id` set: only that owner's device (another owner's is NotFound, as
    `devices.get_owned_device`), hours before its `visible_from_utc` as if there were no data;
    None: any device, every hour (administrators, as `devices.get_device`).
    """
    params = {"device": device_id, "owner": owner_id, **_day_params(local_day)}
    query = _DAY if owner_id is None else _OWNED_DAY
    rows: Sequence[Any] = session.connection().execute(query, params).all()
    return _view_of(device_id, rows, local_day, owned=owner_id is not None, now=now)


def caller_day_view(
    platform: Platform,
    session: Session,
    authorization: str | None,
    *,
    device_id: str,
    local_day: LocalDay,
    admin: bool,
    now: datetime | None = None,
) -> DayConsumption:
    """The day view the API serves, caller check included, in one statement (one round trip).

    The checks and their order are those of `routes._http.caller_scope` followed by
    `device_day_view`: Unauthorized (as `authenticate`), then Forbidden for a non-admin on the
    `admin` route, then NotFound for an unknown device or (not `admin`) another owner's; the
    owner's hours before the device's `visible_from_utc` are no data.
    """
    claims = bearer_claims(platform, authorization)
    params = {**caller_params(claims), "device": device_id, **_day_params(local_day)}
    query = _CALLER_DAY if admin else _CALLER_OWNED_DAY
    rows = session.connection().execute(query, params).all()
    caller = checked_caller(claims, rows[0] if rows else None)
    if admin:
        require_admin_role(caller.role)
    day_rows: list[Any] = [row[-len(_DAY_COLUMNS) :] for row in rows]
    if day_rows[0][0] is None:
        day_rows = []  # the outer join found no device
    return _view_of(device_id, day_rows, local_day, owned=not admin, now=now)


def _view_of(
    device_id: str,
    rows: Sequence[DayRow],
    local_day: LocalDay,
    *,
    owned: bool,
    now: datetime | None,
) -> DayConsumption:
    """The day view from the (max_hourly_kwh, visible_from_utc, day row...) rows of a device:
    none = NotFound; `owned` applies the device's bound."""
    if not rows:
        mine = " among your devices" if owned else ""
        raise NotFound(f"No device with id {device_id}{mine}.")
    max_hourly_kwh, visible_from = rows[0][0], rows[0][1]
    assert max_hourly_kwh is not None
    start, end = local_day.start_utc, local_day.end_utc
    if owned and visible_from is not None and visible_from > start:
        start = visible_from  # the owner sees nothing before the hand-over bound
    stored: dict[datetime, int] = {}
    estimated: set[datetime] = set()
    for _max, _bound, day, hours, micros, flagged in rows:
        if day is None or not hours or micros is None:  # no day row (the outer join's one row)
            continue
        midnight = datetime(day.year, day.month, day.day)
        estimated_hours = set(flagged.split(",")) if flagged else ()
        for hour, micro in zip(hours.split(","), micros.split(","), strict=True):
            hour_start = midnight + HOURS[int(hour)]
            if start <= hour_start < end:
                stored[hour_start] = int(micro)
                if hour in estimated_hours:
                    estimated.add(hour_start)
    return build_day(device_id, max_hourly_kwh, local_day, stored, estimated, now)


def build_day(
    device_id: str,
    max_hourly_kwh: float,
    local_day: LocalDay,
    stored: dict[datetime, int],
    estimated: set[datetime],
    now: datetime | None = None,
) -> DayConsumption:
    """The day view from a day's stored hours in micro-kWh (pure).

    kWh values are the micro-kWh / 10^6, as the range API's (docs/consumption.md); the total is
    the exact sum of the shown hours, null when none has data.
    """
    current = (now or datetime.now(UTC).replace(tzinfo=None)).replace(
        minute=0, second=0, microsecond=0
    )
    # model_construct: every value below already has its field's type (no validation to run)
    hours = [
        HourValue.model_construct(
            start=label,
            kwh=None if (micro := stored.get(hour)) is None else micro_to_kwh(micro),
            estimated=hour in estimated,
            in_progress=hour == current,
        )
        for hour, label in hour_labels(local_day.day, local_day.zone)
    ]
    return DayConsumption(
        device_id=device_id,
        date=local_day.day.isoformat(),
        tz=local_day.zone.key,
        max_hourly_kwh=max_hourly_kwh,
        total_kwh=micro_to_kwh(sum(stored.values())) if stored else None,
        hours=hours,
    )


@functools.lru_cache(maxsize=4096)
def hour_labels(day: date, zone: ZoneInfo) -> tuple[tuple[datetime, str], ...]:
    """Each hour of a local day: its naive UTC start and its local ISO-8601 start with offset.

    Pure and small (23-25 pairs), so kept for the most recent days and zones asked for: the
    labels were a tenth of a day view's CPU (a zone conversion and an isoformat per hour).
    """
    local = _local_day(day, zone)
    return tuple(
        (hour, hour.replace(tzinfo=UTC).astimezone(zone).isoformat())
        for hour in local.hour_starts_utc()
    )


def parse_zone(tz_name: str) -> ZoneInfo:
    """Return the IANA zone named tz_name, else ValidationFailed on the tz field (range API)."""
    return _parse_zone(tz_name)
