"""SQLAlchemy 2.0 models: the platform's tables."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime as SADateTime
from sqlalchemy import (
    Double,
    ForeignKey,
    Integer,
    MetaData,
    String,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(SADateTime, default=utcnow)


class HourlyConsumption(Base):
    """Energy used by one device in one UTC clock hour."""

    __tablename__ = "hourly_consumption"

    device_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    hour_start_utc: Mapped[datetime] = mapped_column(SADateTime, primary_key=True)
    energy_kwh: Mapped[float] = mapped_column(Double)


class LoginFailure(Base):
    """Recent failed logins for one username (throttling state)."""

    __tablename__ = "login_failures"

    username: Mapped[str] = mapped_column(String(USERNAME_MAX), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(SADateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(SADateTime, nullable=True)
