"""Database reads for the range API: hourly rows and a device's tariff history."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.models import DeviceTariff, HourlyConsumption, Tariff, TariffBand
from shared.usage.aggregate import HourRow
from shared.usage.pricing import Assignment, TariffRule, band_grid


def read_rows(
    session: Session, *, device_id: str, start_utc: datetime, end_utc: datetime
) -> list[HourRow]:
    """Stored hours of a device in [start_utc, end_utc), ascending."""
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
    )
    return [HourRow(hour, kwh, bool(estimated)) for hour, kwh, estimated in rows]


@lru_cache(maxsize=256)
def _rule(
    tariff_id: str,
    currency: str,
    tz: str,
    valid_from: date,
    valid_to: date | None,
    bands: tuple[tuple[int, int, int, int], ...],
) -> TariffRule:
    # Tariffs are immutable once created, so a rule can be cached by its content.
    return TariffRule(tariff_id, currency, ZoneInfo(tz), valid_from, valid_to, band_grid(bands))


def tariff_rule(session: Session, tariff: Tariff) -> TariffRule:
    """The pricing rule of a stored tariff."""
    bands = session.execute(
        select(
            TariffBand.weekdays, TariffBand.start_hour, TariffBand.end_hour, TariffBand.price_micros
        )
        .where(TariffBand.tariff_id == tariff.id)
        .order_by(TariffBand.id)
    )
    key = tuple((m, s, e, p) for m, s, e, p in bands)
    return _rule(tariff.id, tariff.currency, tariff.tz, tariff.valid_from, tariff.valid_to, key)


def load_assignments(session: Session, *, device_id: str) -> list[Assignment]:
    """A device's tariff history (oldest first) with each tariff's rule."""
    rows = session.execute(
        select(DeviceTariff.effective_from_utc, Tariff)
        .join(Tariff, Tariff.id == DeviceTariff.tariff_id)
        .where(DeviceTariff.device_id == device_id)
        .order_by(DeviceTariff.effective_from_utc)
    ).all()
    return [Assignment(effective, tariff_rule(session, tariff)) for effective, tariff in rows]
