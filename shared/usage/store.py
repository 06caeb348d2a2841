"""Database reads for the range API: hourly rows and a device's tariff history."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from shared.errors import NotFound
from shared.models import (
    DailyConsumption,
    Device,
    DeviceTariff,
    HourlyConsumption,
    Tariff,
    TariffBand,
)
from shared.usage.aggregate import HourSeries
from shared.usage.pricing import Assignment, TariffRule, band_grid, kwh_to_micro

HOUR = timedelta(hours=1)
FULL_DAY = ",".join(str(h) for h in range(24))


# Statements built once: composing one costs more CPU than running it through PyMySQL.
_DAYS = (
    select(
        DailyConsumption.day_utc,
        DailyConsumption.hours,
        DailyConsumption.micros,
        DailyConsumption.estimated,
    )
    .where(
        DailyConsumption.device_id == bindparam("device"),
        DailyConsumption.day_utc >= bindparam("first"),
        DailyConsumption.day_utc <= bindparam("last"),
    )
    .order_by(DailyConsumption.day_utc)
)
# MySQL/MariaDB: the same day rows packed into one text by the server. PyMySQL decodes each row
# of a result in Python (~10 us a row), so a year of 366 rows cost ~3.5 ms to read and one row
# ~0.5 ms. COUNT(*) tells whether the text is whole: GROUP_CONCAT cuts at group_concat_max_len
# (shared/db.py raises it per connection; MySQL's default is 1 KB), and a cut text falls back to
# the plain rows.
_PACKED_DAYS = text(
    "SELECT COUNT(*), GROUP_CONCAT(CONCAT(day_utc, '|', hours, '|', micros, '|', "
    "COALESCE(estimated, '')) ORDER BY day_utc SEPARATOR ';') FROM daily_consumption "
    "WHERE device_id = :device AND day_utc >= :first AND day_utc <= :last"
)
DayRow = tuple[date, str, str, str | None]
_HISTORY = (
    select(DeviceTariff.effective_from_utc, DeviceTariff.tariff_id)
    .where(DeviceTariff.device_id == bindparam("device"))
    .order_by(DeviceTariff.effective_from_utc)
)
# The device row outer joined to its tariff history: no row = no such device (or not the
# owner's); one row with a null tariff = a device without tariffs. With the device's
# visibility bound (shared/ownership.py), which the owner's reads apply.
_DEVICE_HISTORY = (
    select(Device.visible_from_utc, DeviceTariff.effective_from_utc, DeviceTariff.tariff_id)
    .select_from(Device)
    .outerjoin(DeviceTariff, DeviceTariff.device_id == Device.id)
    .where(Device.id == bindparam("device"))
    .order_by(DeviceTariff.effective_from_utc)
)
_OWNED_DEVICE_HISTORY = _DEVICE_HISTORY.where(Device.owner_id == bindparam("owner"))


def read_series(
    session: Session,
    *,
    device_id: str,
    start_utc: datetime,
    end_utc: datetime,
    visible_from: datetime | None = None,
) -> HourSeries:
    """Stored hours of a device in [start_utc, end_utc) as an ascending series.

    Reads the packed day rows (shared/usage/daily.py): a year is 366 short rows, parsed with
    `map(int, ...)`, instead of 8,784 hourly rows. `visible_from` (an owner's bound,
    shared/ownership.py): hours starting before it are left out, as if they had no data.
    """
    first_day = start_utc.date()
    last_day = (end_utc - timedelta(microseconds=1)).date()
    lowest = 0  # the first offset the caller may see
    if visible_from is not None and visible_from > start_utc:
        if visible_from >= end_utc:
            return HourSeries(start_utc, [], [], [])
        lowest = -int(-(visible_from - start_utc) // HOUR)  # whole hours, rounded up
    read_from = (start_utc + lowest * HOUR).date()
    rows = _day_rows(session, device_id, read_from, last_day)
    shift = start_utc.hour
    span = int((end_utc - start_utc) / HOUR)
    offsets: list[int] = []
    micros: list[int] = []
    flagged: set[int] = set()
    for day, hours, day_micros, estimated in rows:
        base = (day - first_day).days * 24 - shift
        if hours == FULL_DAY:
            offsets.extend(range(base, base + 24))
        else:
            offsets.extend([base + h for h in map(int, hours.split(","))])
        micros.extend(map(int, day_micros.split(",")))
        if estimated:
            flagged.update([base + h for h in map(int, estimated.split(","))])
    # partial first/last day, hours before the bound
    low, high = bisect_left(offsets, lowest), bisect_left(offsets, span)
    if low or high < len(offsets):
        offsets, micros = offsets[low:high], micros[low:high]
    estimated_flags = [o in flagged for o in offsets] if flagged else [False] * len(offsets)
    return HourSeries(start_utc, offsets, micros, estimated_flags)


def _day_rows(session: Session, device_id: str, first: date, last: date) -> Iterable[DayRow]:
    """The device's day rows from `first` to `last`, ascending (Core: no ORM entities)."""
    connection = session.connection()
    params = {"device": device_id, "first": first, "last": last}
    if connection.dialect.name in ("mysql", "mariadb"):
        count, packed = connection.execute(_PACKED_DAYS, params).one()
        records = packed.split(";") if packed else []
        if len(records) == count:
            return [_unpack(record) for record in records]
    return [(d, h, m, e) for d, h, m, e in connection.execute(_DAYS, params)]


def _unpack(record: str) -> DayRow:
    day, hours, micros, estimated = record.split("|")
    return date.fromisoformat(day), hours, micros, estimated or None


def read_hourly_series(
    session: Session, *, device_id: str, start_utc: datetime, end_utc: datetime
) -> HourSeries:
    """The same series read from the hourly rows (the reference the day rows must match)."""
    return _read_rows(session, device_id, start_utc, end_utc)


def _read_rows(
    session: Session, device_id: str, start_utc: datetime, end_utc: datetime
) -> HourSeries:
    rows = session.execute(
        select(
            HourlyConsumption.hour_start_utc,
            HourlyConsumption.energy_kwh,
            HourlyConsumption.estimated,
        )
        .where(
            HourlyConsumption.device_id == device_id,
            HourlyConsumption.hour_start_utc >= start_utc,
            HourlyConsumption.hour_start_utc < end_utc,
        )
        .order_by(HourlyConsumption.hour_start_utc)
    ).all()
    return HourSeries(
        start_utc,
        [int((hour - start_utc) / HOUR) for hour, _, _ in rows],
        [kwh_to_micro(kwh) for _, kwh, _ in rows],
        [bool(flag) for _, _, flag in rows],
    )


# Tariffs are immutable once created (no update route), so a rule is cached by tariff id and
# a range request costs one query for the device's history, none for bands it has seen.
_RULES: dict[str, TariffRule] = {}
_RULES_MAX = 1024


def tariff_rule(session: Session, tariff: Tariff) -> TariffRule:
    """The pricing rule of a stored tariff."""
    cached = _RULES.get(tariff.id)
    if cached is not None:
        return cached
    bands = session.execute(
        select(
            TariffBand.weekdays, TariffBand.start_hour, TariffBand.end_hour, TariffBand.price_micros
        )
        .where(TariffBand.tariff_id == tariff.id)
        .order_by(TariffBand.id)
    )
    grid = band_grid([(m, s, e, p) for m, s, e, p in bands])
    rule = TariffRule(
        tariff.id, tariff.currency, ZoneInfo(tariff.tz), tariff.valid_from, tariff.valid_to, grid
    )
    if len(_RULES) >= _RULES_MAX:
        _RULES.clear()
    _RULES[tariff.id] = rule
    return rule


def load_assignments(session: Session, *, device_id: str) -> list[Assignment]:
    """A device's tariff history (oldest first) with each tariff's rule."""
    rows = session.connection().execute(_HISTORY, {"device": device_id}).all()
    return _assignments(session, [(effective, tariff_id) for effective, tariff_id in rows])


def device_assignments(
    session: Session, *, device_id: str, owner_id: str | None
) -> tuple[list[Assignment], datetime | None]:
    """The device's tariff history and the caller's bound, in the statement that checks the
    device exists.

    `owner_id` set: only that owner's device (another owner's is NotFound, as
    `devices.get_owned_device`), with its `visible_from_utc` (shared/ownership.py); None: any
    device (administrators, as `devices.get_device`), bound None (every hour).
    """
    query = _DEVICE_HISTORY if owner_id is None else _OWNED_DEVICE_HISTORY
    rows = session.connection().execute(query, {"device": device_id, "owner": owner_id}).all()
    if not rows:
        mine = "" if owner_id is None else " among your devices"
        raise NotFound(f"No device with id {device_id}{mine}.")
    assignments = _assignments(
        session,
        [(effective, tariff_id) for _, effective, tariff_id in rows if tariff_id is not None],
    )
    return assignments, None if owner_id is None else rows[0][0]


def _assignments(session: Session, rows: list[tuple[datetime, str]]) -> list[Assignment]:
    out = []
    for effective, tariff_id in rows:
        rule = _RULES.get(tariff_id)
        if rule is None:
            tariff = session.get(Tariff, tariff_id)
            if tariff is None:  # the FK forbids it; a concurrent delete is not possible either
                continue
            rule = tariff_rule(session, tariff)
        out.append(Assignment(effective, rule))
    return out
