"""Database reads for the range API: hourly rows and a device's tariff history."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from shared.models import DeviceTariff, HourlyConsumption, Tariff, TariffBand
from shared.usage.aggregate import HourSeries
from shared.usage.pricing import Assignment, TariffRule, band_grid, kwh_to_micro

HOUR = timedelta(hours=1)


# MariaDB/MySQL: the year of one device comes back as three text values (hour offsets,
# micro-kWh, offsets of estimated hours; one aggregate pass, so the first two line up) instead
# of 8,784 rows: decoding rows and datetimes in Python was most of the time.
_PACKED = text(
    "SELECT COUNT(*), GROUP_CONCAT(TIMESTAMPDIFF(HOUR, :start, hour_start_utc)), "
    "GROUP_CONCAT(CAST(FLOOR(energy_kwh * 1000000 + 0.5) AS SIGNED)), "
    "GROUP_CONCAT(IF(estimated, TIMESTAMPDIFF(HOUR, :start, hour_start_utc), NULL)) "
    "FROM hourly_consumption "
    "WHERE device_id = :device AND hour_start_utc >= :start AND hour_start_utc < :end"
)
_GROUP_CONCAT_MAX = "SET SESSION group_concat_max_len = 4194304"


def read_series(
    session: Session, *, device_id: str, start_utc: datetime, end_utc: datetime
) -> HourSeries:
    """Stored hours of a device in [start_utc, end_utc) as an ascending series."""
    if session.get_bind().dialect.name in ("mysql", "mariadb"):
        series = _read_packed(session, device_id, start_utc, end_utc)
        if series is not None:
            return series
    return _read_rows(session, device_id, start_utc, end_utc)


def _ints(packed: object) -> list[int]:
    return list(map(int, str(packed).split(","))) if packed else []


def _read_packed(
    session: Session, device_id: str, start_utc: datetime, end_utc: datetime
) -> HourSeries | None:
    params = {"device": device_id, "start": start_utc, "end": end_utc}
    count, offsets_text, micros_text, estimated_text = session.execute(_PACKED, params).one()
    offsets, micros = _ints(offsets_text), _ints(micros_text)
    if len(offsets) != count or len(micros) != count:
        # truncated by group_concat_max_len: raise it for this connection and retry once
        session.execute(text(_GROUP_CONCAT_MAX))
        count, offsets_text, micros_text, estimated_text = session.execute(_PACKED, params).one()
        offsets, micros = _ints(offsets_text), _ints(micros_text)
        if len(offsets) != count or len(micros) != count:
            return None
    flagged = set(_ints(estimated_text))
    if any(a >= b for a, b in pairwise(offsets)):
        order = sorted(range(len(offsets)), key=offsets.__getitem__)
        offsets = [offsets[i] for i in order]
        micros = [micros[i] for i in order]
    estimated = [o in flagged for o in offsets] if flagged else [False] * len(offsets)
    return HourSeries(start_utc, offsets, micros, estimated)


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
    rows = session.execute(
        select(DeviceTariff.effective_from_utc, Tariff)
        .join(Tariff, Tariff.id == DeviceTariff.tariff_id)
        .where(DeviceTariff.device_id == device_id)
        .order_by(DeviceTariff.effective_from_utc)
    ).all()
    return [Assignment(effective, tariff_rule(session, tariff)) for effective, tariff in rows]
