"""SQLAlchemy 2.0 models: the platform's tables."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy import DateTime as SADateTime
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import Date

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

USERNAME_MAX = 64
NAME_MAX = 120
TEXT_MAX = 255


def new_id() -> str:
    """Return a new random UUID as a string."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Return the current UTC time as a naive datetime (how the database stores it)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    """An administrator or a client account."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(TEXT_MAX))
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(SADateTime, default=utcnow)


class Device(Base):
    """A smart meter; owned by at most one client."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    description: Mapped[str] = mapped_column(String(TEXT_MAX))
    address: Mapped[str] = mapped_column(String(TEXT_MAX))
    max_hourly_kwh: Mapped[float] = mapped_column(Double)
    owner_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="SET NULL"), index=True, nullable=True
    )
    key_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(SADateTime, default=utcnow)
    # The start of the first UTC hour the current owner may see (shared/ownership.py): NULL
    # while the device never had an owner taken away (all history visible), else the first
    # whole hour after the last hand-over; earlier hours belong to someone else.
    visible_from_utc: Mapped[datetime | None] = mapped_column(SADateTime, nullable=True)


class HourlyConsumption(Base):
    """Energy used by one device in one UTC clock hour."""

    __tablename__ = "hourly_consumption"

    device_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    hour_start_utc: Mapped[datetime] = mapped_column(SADateTime, primary_key=True)
    energy_kwh: Mapped[float] = mapped_column(Double)
    # True when some of the hour's energy was spread over an interval longer than the
    # estimation gap (docs/alerts.md): drawn differently, never alerted.
    estimated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class LoginFailure(Base):
    """Recent failed logins for one username (throttling state)."""

    __tablename__ = "login_failures"

    username: Mapped[str] = mapped_column(String(USERNAME_MAX), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(SADateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(SADateTime, nullable=True)


class AuthSession(Base):
    """One sign-in: its current refresh token id; revoking it ends every token of the session."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    refresh_id: Mapped[str] = mapped_column(String(36))
    previous_refresh_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    rotated_at: Mapped[datetime | None] = mapped_column(SADateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(SADateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(SADateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(SADateTime, nullable=True)


class StoredReading(Base):
    """One cumulative meter reading, identified by (device, timestamp)."""

    __tablename__ = "readings"

    device_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    timestamp_ms: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    value_kwh: Mapped[float] = mapped_column(Double)
    register_kwh: Mapped[float] = mapped_column(Double)


class MeterState(Base):
    """A device's latest reading (the in-order fast path) and its ingestion lock row."""

    __tablename__ = "meter_state"

    device_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    last_timestamp_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_value_kwh: Mapped[float | None] = mapped_column(Double, nullable=True)
    last_register_kwh: Mapped[float | None] = mapped_column(Double, nullable=True)
    readings_count: Mapped[int] = mapped_column(BigInteger, default=0)


ALERT_STATES = ("active", "cleared")


class Alert(Base):
    """An hour whose consumption went over the device maximum (one per device and hour).

    `state` is "active" while the hour's current total is over the maximum and "cleared" once
    late data brought it to or under it; `energy_kwh` is always the current total, `peak_kwh`
    the highest total seen (docs/alerts.md).
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("device_id", "hour_start_utc"),
        Index("ix_alerts_owner_id_state", "owner_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    device_id: Mapped[str] = mapped_column(String(36), ForeignKey("devices.id", ondelete="CASCADE"))
    owner_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="SET NULL"), index=True, nullable=True
    )
    hour_start_utc: Mapped[datetime] = mapped_column(SADateTime)
    energy_kwh: Mapped[float] = mapped_column(Double)
    peak_kwh: Mapped[float] = mapped_column(Double)
    max_hourly_kwh: Mapped[float] = mapped_column(Double)
    state: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    created_at: Mapped[datetime] = mapped_column(SADateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(SADateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(SADateTime, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(SADateTime, nullable=True)


class Tariff(Base):
    """A price list: flat or time-of-use bands in local time of `tz` (docs/consumption.md)."""

    __tablename__ = "tariffs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    tz: Mapped[str] = mapped_column(String(64))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(SADateTime, default=utcnow)


class TariffBand(Base):
    """Price per kWh for local hours [start_hour, end_hour) on the days in `weekdays`.

    `weekdays` is a bit mask (Monday = 1, Sunday = 64); the price is an exact integer number
    of millionths of the currency unit per kWh.
    """

    __tablename__ = "tariff_bands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tariff_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("tariffs.id", ondelete="CASCADE"), index=True
    )
    weekdays: Mapped[int] = mapped_column(Integer)
    start_hour: Mapped[int] = mapped_column(Integer)
    end_hour: Mapped[int] = mapped_column(Integer)
    price_micros: Mapped[int] = mapped_column(BigInteger)


class DeviceTariff(Base):
    """From `effective_from_utc` on (until the next row), the device is billed by `tariff_id`."""

    __tablename__ = "device_tariffs"

    device_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    effective_from_utc: Mapped[datetime] = mapped_column(SADateTime, primary_key=True)
    tariff_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("tariffs.id", ondelete="RESTRICT"), index=True
    )


class DailyConsumption(Base):
    """One device's hourly totals of one UTC day, packed (a pre-aggregate of hourly rows).

    `hours` lists the UTC hours (0-23) that have a total, `micros` their energy in integer
    micro-kWh in the same order, `estimated` the hours flagged estimated; all comma-separated.
    Written in the same transaction as the hourly rows (shared/usage/daily.py); the range API
    reads a year as 366 of these instead of 8,784 hourly rows (docs/consumption.md).
    """

    __tablename__ = "daily_consumption"

    device_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    day_utc: Mapped[date] = mapped_column(Date, primary_key=True)
    hours: Mapped[str] = mapped_column(String(80))
    micros: Mapped[str] = mapped_column(String(320))
    estimated: Mapped[str] = mapped_column(String(80))
