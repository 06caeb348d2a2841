"""Database reads for the range API: hourly rows and a device's tariff history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NoReturn
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from shared.auth import Caller, caller_of, caller_params, checked_caller, require_admin_role
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
from shared.usage.dense import DenseHours, assemble, empty_hours
from shared.usage.pricing import Assignment, TariffRule, band_grid, kwh_to_micro

if TYPE_CHECKING:
    from shared.security.tokens import TokenClaims

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
# MySQL/MariaDB: the same day rows packed by the server into one text (one result row, one
# column: PyMySQL decodes rows and column descriptions in Python). Its parts, split at '#':
# the row count, group_concat_max_len, each row's day number (days after :origin) with ':' and
# its hours when not the whole day 0..23, every row's micro-kWh in one list (parsed in one
# json.loads), and the rows with estimated hours. A part as long as group_concat_max_len may
# have been cut (shared/db.py raises it per connection; MySQL's default is 1 KB): then the
# plain rows are read instead.
_PACKED_DAYS_SQL = (
    "SELECT CONCAT_WS('#', COUNT(*), @@SESSION.group_concat_max_len, "
    "COALESCE(GROUP_CONCAT(CONCAT(DATEDIFF(day_utc, :origin), "
    "IF(hours = :full, '', CONCAT(':', hours))) ORDER BY day_utc SEPARATOR ';'), ''), "
    "COALESCE(GROUP_CONCAT(micros ORDER BY day_utc SEPARATOR ','), ''), "
    "COALESCE(GROUP_CONCAT(CONCAT(DATEDIFF(day_utc, :origin), ':', NULLIF(estimated, '')) "
    "ORDER BY day_utc SEPARATOR ';'), '')) "
    "FROM daily_consumption "
    "WHERE device_id = :device AND day_utc >= :first AND day_utc <= :last"
)
_PACKED_DAYS = text(_PACKED_DAYS_SQL).bindparams(full=FULL_DAY)
# MySQL/MariaDB, the range view's whole read in one round trip: the device row (none: no such
# device, or not the owner's) with its bound, its tariff history packed as
# 'effective|tariff id' texts, and the period's packed day rows (all of them from the period's
# first day: the bound is applied after).
_DEVICE_RANGE_SQL = (
    "SELECT d.visible_from_utc, "  # noqa: S608 - constants only; values are bound
    "(SELECT GROUP_CONCAT(CONCAT(effective_from_utc, '|', tariff_id) "
    "ORDER BY effective_from_utc SEPARATOR ';') FROM device_tariffs WHERE device_id = :device), "
    f"({_PACKED_DAYS_SQL}) "
    "FROM devices d WHERE d.id = :device"
)
_DEVICE_RANGE = text(_DEVICE_RANGE_SQL).bindparams(full=FULL_DAY)
_OWNED_DEVICE_RANGE = text(_DEVICE_RANGE_SQL + " AND d.owner_id = :owner").bindparams(full=FULL_DAY)
# MySQL/MariaDB, the range view the API serves in one round trip: the caller check
# (shared.auth.caller_select: the token's user outer joined to the token's session row; no row =
# no such user) with the device outer joined and the `_DEVICE_RANGE_SQL` parts. The device joins
# only when the caller may see it (owner route: the caller's; admin route: any, for an
# administrator); otherwise its columns are null and no tariff or day of it is read or sent.
_CALLER_RANGE_SQL = (
    "SELECT u.role, u.token_version, s.expires_at, s.revoked_at, "  # noqa: S608 - constants only
    "d.id, d.visible_from_utc, "
    "IF(d.id IS NULL, NULL, (SELECT GROUP_CONCAT(CONCAT(effective_from_utc, '|', tariff_id) "
    "ORDER BY effective_from_utc SEPARATOR ';') FROM device_tariffs WHERE device_id = :device)), "
    f"IF(d.id IS NULL, NULL, ({_PACKED_DAYS_SQL})) "
    "FROM users u "
    "LEFT JOIN auth_sessions s ON s.id = :sid AND s.user_id = u.id "
    "LEFT JOIN devices d ON d.id = :device AND {may_see} "
    "WHERE u.id = :uid"
)
_CALLER_RANGE = text(
    _CALLER_RANGE_SQL.replace("{may_see}", "(u.role = 'admin' OR d.owner_id = u.id)")
).bindparams(full=FULL_DAY)
_CALLER_OWNED_RANGE = text(_CALLER_RANGE_SQL.replace("{may_see}", "d.owner_id = u.id")).bindparams(
    full=FULL_DAY
)
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

    `read_hours` as a sparse series (the plain path and the exports).
    """
    return read_hours(
        session,
        device_id=device_id,
        start_utc=start_utc,
        end_utc=end_utc,
        visible_from=visible_from,
    ).to_series()


def read_hours(
    session: Session,
    *,
    device_id: str,
    start_utc: datetime,
    end_utc: datetime,
    visible_from: datetime | None = None,
) -> DenseHours:
    """Stored hours of a device in [start_utc, end_utc), one value per hour of the period.

    Reads the packed day rows (shared/usage/daily.py): a year is 366 short rows, not 8,784
    hourly rows. `visible_from` (an owner's bound, shared/ownership.py): hours starting before
    it are left out, as if they had no data.
    """
    span, lowest = _window(start_utc, end_utc, visible_from)
    if lowest >= span:
        return empty_hours(start_utc, span)
    first_day = start_utc.date()
    read_from = (start_utc + lowest * HOUR).date()
    last_day = (end_utc - timedelta(microseconds=1)).date()
    days, partial, micros, estimated = _day_rows(session, device_id, first_day, read_from, last_day)
    return assemble(start_utc, span, lowest, days, partial, micros, estimated)


def _window(
    start_utc: datetime, end_utc: datetime, visible_from: datetime | None
) -> tuple[int, int]:
    """The period's hours and the first the caller may see (whole hours, the bound rounded up)."""
    span = int((end_utc - start_utc) / HOUR)
    if visible_from is None or visible_from <= start_utc:
        return span, 0
    return span, min(span, -int(-(visible_from - start_utc) // HOUR))


def device_hours(
    session: Session,
    *,
    device_id: str,
    owner_id: str | None,
    start_utc: datetime,
    end_utc: datetime,
) -> tuple[list[Assignment], DenseHours]:
    """A device's tariff history and its hours over a period as the caller may see them.

    `device_assignments` then `read_hours` with its bound; on MySQL/MariaDB one statement
    (`_DEVICE_RANGE`) when nothing in it was cut at group_concat_max_len.
    """
    connection = session.connection()
    if connection.dialect.name in ("mysql", "mariadb"):
        first_day = start_utc.date()
        params = {
            "device": device_id,
            "owner": owner_id,
            "origin": first_day,
            "first": first_day,
            "last": (end_utc - timedelta(microseconds=1)).date(),
        }
        query = _DEVICE_RANGE if owner_id is None else _OWNED_DEVICE_RANGE
        row = connection.execute(query, params).one_or_none()
        if row is None:
            raise NotFound(_not_found(device_id, owner_id))
        visible_from, history, packed = row
        unpacked = _unpack(packed, history)
        if unpacked is not None:
            assignments = _assignments(session, _history(history))
            span, lowest = _window(start_utc, end_utc, None if owner_id is None else visible_from)
            if lowest >= span:
                return assignments, empty_hours(start_utc, span)
            return assignments, assemble(start_utc, span, lowest, *unpacked)
    assignments, bound = device_assignments(session, device_id=device_id, owner_id=owner_id)
    hours = read_hours(
        session, device_id=device_id, start_utc=start_utc, end_utc=end_utc, visible_from=bound
    )
    return assignments, hours


def caller_device_hours(
    session: Session,
    claims: TokenClaims,
    *,
    device_id: str,
    admin: bool,
    start_utc: datetime,
    end_utc: datetime,
) -> tuple[Caller, list[Assignment], DenseHours]:
    """The caller check, then `device_hours` for the caller: one statement on MySQL/MariaDB.

    The checks and their order are those of `routes._http.caller_scope` followed by
    `device_hours`: Unauthorized (as `authenticate`), Forbidden for a non-administrator on the
    `admin` route, NotFound for an unknown device or (not `admin`) another owner's; the owner's
    hours before the device's `visible_from_utc` are no data. On SQLite, or when a packed part
    may have been cut at group_concat_max_len, the caller check and `device_hours`' plain reads.
    """
    connection = session.connection()
    owner_id = None if admin else claims.user_id
    if connection.dialect.name not in ("mysql", "mariadb"):
        caller = caller_of(session, claims)
        if admin:
            require_admin_role(caller.role)
        return caller, *device_hours(
            session, device_id=device_id, owner_id=owner_id, start_utc=start_utc, end_utc=end_utc
        )
    first_day = start_utc.date()
    params = {
        **caller_params(claims),
        "device": device_id,
        "origin": first_day,
        "first": first_day,
        "last": (end_utc - timedelta(microseconds=1)).date(),
    }
    query = _CALLER_RANGE if admin else _CALLER_OWNED_RANGE
    row = connection.execute(query, params).first()
    caller = checked_caller(claims, row)
    if admin:
        require_admin_role(caller.role)
    assert row is not None  # checked_caller refused a missing row
    found, visible_from, history, packed = row[4:]
    if found is None:
        raise NotFound(_not_found(device_id, owner_id))
    unpacked = _unpack(packed, history)
    if unpacked is None:  # cut: the plain reads (the caller is checked)
        return caller, *device_hours(
            session, device_id=device_id, owner_id=owner_id, start_utc=start_utc, end_utc=end_utc
        )
    assignments = _assignments(session, _history(history))
    span, lowest = _window(start_utc, end_utc, None if admin else visible_from)
    if lowest >= span:
        return caller, assignments, empty_hours(start_utc, span)
    return caller, assignments, assemble(start_utc, span, lowest, *unpacked)


def _history(packed: str | None) -> list[tuple[datetime, str]]:
    """'effective|tariff id' texts joined by ';' (None: no tariff) as (naive UTC, id) pairs."""
    if not packed:
        return []
    out = []
    for record in packed.split(";"):
        effective, _, tariff_id = record.partition("|")
        out.append((datetime.fromisoformat(effective), tariff_id))
    return out


# Day numbers, the hours text of rows that are not whole days, all values, (day, estimated).
DayRows = tuple[list[int], dict[int, str], list[int], list[tuple[int, str]]]


def _day_rows(session: Session, device_id: str, origin: date, first: date, last: date) -> DayRows:
    """The device's day rows from `first` to `last`, ascending, day numbers from `origin`."""
    connection = session.connection()
    params = {"device": device_id, "first": first, "last": last}
    if connection.dialect.name in ("mysql", "mariadb"):
        packed = connection.execute(_PACKED_DAYS, {**params, "origin": origin}).scalar_one()
        unpacked = _unpack(packed)
        if unpacked is not None:
            return unpacked
    return _from_rows(connection.execute(_DAYS, params).all(), origin)  # Core: no entities


def _from_rows(rows: Sequence[tuple[date, str, str, str | None]], origin: date) -> DayRows:
    """Day rows (day, hours, micros, estimated) as `_unpack` gives them, day numbers from origin."""
    days: list[int] = []
    partial: dict[int, str] = {}
    texts: list[str] = []
    estimated: list[tuple[int, str]] = []
    for day, hours, micros, flagged in rows:
        number = (day - origin).days
        days.append(number)
        if hours != FULL_DAY:
            partial[number] = hours
        texts.append(micros)
        if flagged:
            estimated.append((number, flagged))
    return days, partial, _integers(",".join(texts)), estimated


def _unpack(packed: str | None, *others: str | None) -> DayRows | None:
    """The parts of a `_PACKED_DAYS` text; None when one (or one of `others`, GROUP_CONCATs of
    the same statement) may have been cut."""
    parts = packed.split("#") if packed is not None else []
    if len(parts) != 5:
        return None
    count, limit, index, micros, flagged = parts
    longest = max(len(index), len(micros), len(flagged), *(len(o or "") for o in others))
    if longest >= int(limit):
        return None
    records = index.split(";") if index else []
    if len(records) != int(count):
        return None
    partial: dict[int, str] = {}
    if ":" in index:
        days = []
        for record in records:
            day, _, hours = record.partition(":")
            days.append(int(day))
            if hours:
                partial[days[-1]] = hours
    else:
        days = list(map(int, records))
    estimated = []
    if flagged:
        for record in flagged.split(";"):
            day, _, hours = record.partition(":")
            estimated.append((int(day), hours))
    return days, partial, _integers(micros), estimated


def _refuse(text: str) -> NoReturn:
    raise ValueError(f"not an integer: {text[:20]!r}")


# A comma list of unsigned decimals (what the server sends) is read by numpy's C parser, about
# twice as fast as the C JSON parser for a year of values (`np.fromstring` then `tolist`:
# docs/consumption.md, sixth pass). np.fromstring is more lenient than JSON: it reads '-' as 0,
# '+5' as 5, skips spaces, accepts a trailing comma, and saturates at int64's maximum; so only
# texts of digits and commas not ending with one go that way, and whatever it refuses or
# saturates is read by the JSON decoder as before (its exact integers, or its ValueError). The
# one text read differently is a value with leading zeros ('007'): 7 here (as `int` reads it),
# an error for JSON; the server never writes one.
# Values are integer micro-kWh: a fraction, exponent or NaN in the text is an error, not a float.
_JSON_INTEGERS = json.JSONDecoder(parse_float=_refuse, parse_constant=_refuse)
_NOT_PLAIN = "+- \t\n\r\v\f"
_INT64_MAX = int(np.iinfo(np.int64).max)


def _integers(text: str) -> list[int]:
    """A comma list of integers (empty text: none); ValueError when it is not one."""
    if text and text[-1] != "," and not any(c in text for c in _NOT_PLAIN):
        try:
            array = np.fromstring(text, dtype=np.int64, sep=",")
        except ValueError:
            pass  # not a list of integers: the JSON decoder raises its error below
        else:
            if array.size and int(array.max()) < _INT64_MAX:  # not saturated: exact
                plain: list[int] = array.tolist()
                return plain
    values: list[int] = _JSON_INTEGERS.decode(f"[{text}]")
    return values


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
        raise NotFound(_not_found(device_id, owner_id))
    assignments = _assignments(
        session,
        [(effective, tariff_id) for _, effective, tariff_id in rows if tariff_id is not None],
    )
    return assignments, None if owner_id is None else rows[0][0]


def _not_found(device_id: str, owner_id: str | None) -> str:
    mine = "" if owner_id is None else " among your devices"
    return f"No device with id {device_id}{mine}."


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
