"""The day view: a device's consumption per local hour of one day (docs/contracts.md)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from shared.errors import FieldError, NotFound, ValidationFailed
from shared.models import Device, HourlyConsumption
from shared.schemas import DayConsumption, HourValue

HOUR = timedelta(hours=1)
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
) -> tuple[dict[datetime, float], set[datetime]]:
    """Stored hourly totals of a device in [start_utc, end_utc), and which are estimated.

    One statement: the day view is the most frequent read, so one round trip matters.
    """
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
    stored: dict[datetime, float] = {}
    estimated: set[datetime] = set()
    for hour, kwh, is_estimated in rows:
        stored[hour] = kwh
        if is_estimated:
            estimated.add(hour)
    return stored, estimated


def day_view(
    session: Session, *, device: Device, local_day: LocalDay, now: datetime | None = None
) -> DayConsumption:
    """Build the day view of a device: one entry per local hour, null where no data.

    Estimated hours are flagged; the hour containing `now` (naive UTC) is in progress.
    """
    start, end = local_day.start_utc, local_day.end_utc
    stored, estimated = read_hours(session, device_id=device.id, start_utc=start, end_utc=end)
    return build_day(device.id, device.max_hourly_kwh, local_day, stored, estimated, now)


_HOUR = HourlyConsumption.hour_start_utc


def _day_statement(*, owned: bool) -> Select[float, datetime, float, bool]:
    """The device row outer joined to the day's hours: an unknown device gives no row, a day
    without data one row. `owned`: only the owner's device, and only the hours the owner may
    see (from the device's `visible_from_utc` on, shared/ownership.py), in the same join."""
    hours = [
        HourlyConsumption.device_id == Device.id,
        # typed binds: SQLite compares the stored text form of a DateTime
        bindparam("start", type_=_HOUR.type) <= _HOUR,
        bindparam("end", type_=_HOUR.type) > _HOUR,
    ]
    if owned:
        hours.append(or_(Device.visible_from_utc.is_(None), Device.visible_from_utc <= _HOUR))
    query = (
        select(
            Device.max_hourly_kwh, _HOUR, HourlyConsumption.energy_kwh, HourlyConsumption.estimated
        )
        .select_from(Device)
        .outerjoin(HourlyConsumption, and_(*hours))
        .where(Device.id == bindparam("device"))
    )
    return query.where(Device.owner_id == bindparam("owner")) if owned else query


# Built once: composing a statement costs more CPU than a small query.
_DAY = _day_statement(owned=False)
_OWNED_DAY = _day_statement(owned=True)


def device_day_view(
    session: Session,
    *,
    device_id: str,
    owner_id: str | None,
    local_day: LocalDay,
    now: datetime | None = None,
) -> DayConsumption:
    """The day view of a device by id, in one statement: the device row and the day's hours.

    `owner_id` set: only that owner's device (another owner's is NotFound, as
    `devices.get_owned_device`), hours before its `visible_from_utc` as if there were no data;
    None: any device, every hour (administrators, as `devices.get_device`).
    """
    params = {
        "device": device_id,
        "owner": owner_id,
        "start": local_day.start_utc,
        "end": local_day.end_utc,
    }
    query = _DAY if owner_id is None else _OWNED_DAY
    rows = session.connection().execute(query, params).all()
    if not rows:
        mine = "" if owner_id is None else " among your devices"
        raise NotFound(f"No device with id {device_id}{mine}.")
    stored: dict[datetime, float] = {}
    estimated: set[datetime] = set()
    for _max, start, kwh, is_estimated in rows:
        if start is None:  # the device has no hour in this day (the outer join's one row)
            continue
        stored[start] = kwh
        if is_estimated:
            estimated.add(start)
    return build_day(device_id, rows[0][0], local_day, stored, estimated, now)


def build_day(
    device_id: str,
    max_hourly_kwh: float,
    local_day: LocalDay,
    stored: dict[datetime, float],
    estimated: set[datetime],
    now: datetime | None = None,
) -> DayConsumption:
    """The day view from a day's stored hours (pure)."""
    current = (now or datetime.now(UTC).replace(tzinfo=None)).replace(
        minute=0, second=0, microsecond=0
    )
    hours = [
        HourValue(
            start=hour.replace(tzinfo=UTC).astimezone(local_day.zone).isoformat(),
            kwh=stored.get(hour),
            estimated=hour in estimated,
            in_progress=hour == current,
        )
        for hour in local_day.hour_starts_utc()
    ]
    return DayConsumption(
        device_id=device_id,
        date=local_day.day.isoformat(),
        tz=local_day.zone.key,
        max_hourly_kwh=max_hourly_kwh,
        total_kwh=sum(stored.values()) if stored else None,
        hours=hours,
    )


def parse_zone(tz_name: str) -> ZoneInfo:
    """Return the IANA zone named tz_name, else ValidationFailed on the tz field (range API)."""
    return _parse_zone(tz_name)
