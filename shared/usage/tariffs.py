"""Tariffs (administrators): create, list, assign to devices; tariffs are immutable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.consumption import parse_zone
from shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from shared.models import Device, DeviceTariff, Tariff, TariffBand
from shared.usage.periods import local_midnight_utc, parse_local_date
from shared.usage.pricing import WEEKDAYS, band_grid, format_price, parse_price
from shared.usage.schemas import (
    AssignmentCreate,
    AssignmentPublic,
    BandPublic,
    TariffCreate,
    TariffPublic,
)

ALL_DAYS = 0b1111111
HOUR = timedelta(hours=1)


def _invalid(field: str, message: str, detail: str) -> ValidationFailed:
    return ValidationFailed(detail, errors=[FieldError(field, message)])


def _price(text: str, field: str) -> int:
    try:
        return parse_price(text)
    except (InvalidOperation, ValueError) as exc:
        raise _invalid(field, "invalid price", f"{field} must be a decimal number.") from exc


def _bands(data: TariffCreate) -> list[tuple[int, int, int, int]]:
    if data.kind == "flat":
        if data.price_per_kwh is None or data.bands:
            raise _invalid(
                "price_per_kwh", "required", "A flat tariff has price_per_kwh and no bands."
            )
        return [(ALL_DAYS, 0, 24, _price(data.price_per_kwh, "price_per_kwh"))]
    if not data.bands or data.price_per_kwh is not None:
        raise _invalid("bands", "required", "A time_of_use tariff has bands and no price_per_kwh.")
    out = []
    for i, band in enumerate(data.bands):
        if band.to_hour <= band.from_hour:
            raise _invalid(f"bands.{i}.to_hour", "not after from_hour", "to_hour <= from_hour.")
        mask = sum(1 << WEEKDAYS.index(day) for day in set(band.days))
        out.append((mask, band.from_hour, band.to_hour, _price(band.price_per_kwh, f"bands.{i}")))
    return out


def _check_week(bands: list[tuple[int, int, int, int]]) -> None:
    try:
        grid = band_grid(bands)
    except ValueError as exc:
        raise _invalid("bands", "overlap", f"Bands overlap: {exc}.") from exc
    if None in grid:
        gap = grid.index(None)
        raise _invalid(
            "bands",
            "gap",
            f"Bands must cover every hour of the week; {WEEKDAYS[gap // 24]} "
            f"{gap % 24:02d}:00 has no price.",
        )


def create_tariff(session: Session, *, data: TariffCreate) -> Tariff:
    """Validate and store a tariff with its bands."""
    zone = parse_zone(data.tz)
    valid_from = parse_local_date(data.valid_from, "valid_from")
    valid_to = None if data.valid_to is None else parse_local_date(data.valid_to, "valid_to")
    if valid_to is not None and valid_to < valid_from:
        raise _invalid("valid_to", "before valid_from", "valid_to must not be before valid_from.")
    bands = _bands(data)
    _check_week(bands)
    tariff = Tariff(
        name=data.name,
        kind=data.kind,
        currency=data.currency,
        tz=zone.key,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.add(tariff)
    session.flush()
    session.add_all(
        TariffBand(tariff_id=tariff.id, weekdays=m, start_hour=s, end_hour=e, price_micros=p)
        for m, s, e, p in bands
    )
    session.flush()
    return tariff


def get_tariff(session: Session, *, tariff_id: str) -> Tariff:
    """The tariff or NotFound."""
    tariff = session.get(Tariff, tariff_id)
    if tariff is None:
        raise NotFound(f"No tariff with id {tariff_id}.")
    return tariff


def list_tariffs(session: Session) -> list[Tariff]:
    """Every tariff, newest first (tariffs are few)."""
    return list(session.scalars(select(Tariff).order_by(Tariff.created_at.desc(), Tariff.id)))


def tariff_public(session: Session, tariff: Tariff) -> TariffPublic:
    """The API form of a stored tariff."""
    bands = session.scalars(
        select(TariffBand).where(TariffBand.tariff_id == tariff.id).order_by(TariffBand.id)
    )
    return TariffPublic(
        id=tariff.id,
        name=tariff.name,
        kind=tariff.kind,  # type: ignore[arg-type]
        currency=tariff.currency,
        tz=tariff.tz,
        valid_from=tariff.valid_from.isoformat(),
        valid_to=None if tariff.valid_to is None else tariff.valid_to.isoformat(),
        bands=[
            BandPublic(
                days=[d for i, d in enumerate(WEEKDAYS) if b.weekdays & (1 << i)],  # type: ignore[misc]
                from_hour=b.start_hour,
                to_hour=b.end_hour,
                price_per_kwh=format_price(b.price_micros),
            )
            for b in bands
        ],
    )


def parse_effective_from(text: str, tariff: Tariff) -> datetime:
    """A local date (midnight in the tariff's zone) or an ISO date-time with offset on the hour."""
    if len(text) == 10:
        return local_midnight_utc(parse_local_date(text, "effective_from"), parse_zone(tariff.tz))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _invalid(
            "effective_from", "invalid", "effective_from must be YYYY-MM-DD or ISO-8601."
        ) from exc
    if moment.tzinfo is None:
        raise _invalid("effective_from", "no offset", "An effective_from time needs an offset.")
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    if utc.minute or utc.second or utc.microsecond or not 2000 <= utc.year <= 2100:
        raise _invalid(
            "effective_from", "not on the hour", "effective_from must start a whole hour."
        )
    return utc


def assign_tariff(session: Session, *, device: Device, data: AssignmentCreate) -> DeviceTariff:
    """Bill `device` by a tariff from `effective_from` on; one currency per device."""
    tariff = session.get(Tariff, data.tariff_id)
    if tariff is None:
        raise _invalid("tariff_id", "unknown tariff", f"No tariff with id {data.tariff_id}.")
    effective = parse_effective_from(data.effective_from, tariff)
    history = session.execute(
        select(DeviceTariff.effective_from_utc, Tariff.currency)
        .join(Tariff, Tariff.id == DeviceTariff.tariff_id)
        .where(DeviceTariff.device_id == device.id)
    ).all()
    if any(currency != tariff.currency for _, currency in history):
        raise Conflict("All tariffs of a device must use the same currency.")
    if any(moment == effective for moment, _ in history):
        raise Conflict(f"The device already has a tariff starting at {effective.isoformat()}Z.")
    row = DeviceTariff(device_id=device.id, effective_from_utc=effective, tariff_id=tariff.id)
    session.add(row)
    session.flush()
    return row


def list_assignments(session: Session, *, device: Device) -> list[AssignmentPublic]:
    """The device's tariff history, oldest first."""
    rows = session.execute(
        select(DeviceTariff.effective_from_utc, Tariff)
        .join(Tariff, Tariff.id == DeviceTariff.tariff_id)
        .where(DeviceTariff.device_id == device.id)
        .order_by(DeviceTariff.effective_from_utc)
    ).all()
    return [
        AssignmentPublic(
            device_id=device.id,
            tariff_id=tariff.id,
            tariff_name=tariff.name,
            currency=tariff.currency,
            effective_from=effective.replace(tzinfo=UTC).isoformat(),
        )
        for effective, tariff in rows
    ]
