"""One settings object for every component, read from the environment."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

logger = logging.getLogger(__name__)

DEV_JWT_SECRET = "local-development-only-secret-change-me-0123456789"
DEV_ADMIN_USERNAME = "admin"
DEV_ADMIN_PASSWORD = "admin"
DEFAULT_SQLITE_URL = "sqlite:///var/energy.db"


class SettingsError(ValueError):
    """A setting is missing or unsafe for the chosen profile."""


class Settings(BaseSettings):
    """Platform settings; secrets have no default outside the local profile."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    APP_PROFILE: Literal["local", "test", "production"] = "local"
    DATABASE_URL: str = DEFAULT_SQLITE_URL
    JWT_SECRET: str = DEV_JWT_SECRET
    JWT_ISSUER: str = "energy-platform"
    ACCESS_TOKEN_MINUTES: int = Field(default=15, ge=1, le=1440)
    REFRESH_TOKEN_DAYS: int = Field(default=7, ge=1, le=90)
    REFRESH_REUSE_GRACE_SECONDS: int = Field(default=30, ge=0, le=300)
    ADMIN_USERNAME: str = DEV_ADMIN_USERNAME
    ADMIN_PASSWORD: str = DEV_ADMIN_PASSWORD
    LOGIN_MAX_FAILURES: int = Field(default=5, ge=1)
    LOGIN_LOCKOUT_SECONDS: int = Field(default=300, ge=1)
    LOGIN_BACKOFF_BASE_SECONDS: float = Field(default=2.0, gt=0, le=3600)
    LOGIN_WINDOW_SECONDS: int = Field(default=900, ge=1)
    LOGIN_ACCOUNT_MAX_FAILURES: int = Field(default=20, ge=1)
    LOGIN_ACCOUNT_BACKOFF_MAX_SECONDS: int = Field(default=60, ge=1)
    LOGIN_ADDRESS_MAX_FAILURES: int = Field(default=20, ge=1)
    LOGIN_ADDRESS_BACKOFF_MAX_SECONDS: int = Field(default=300, ge=1)
    LOGIN_MAX_CONCURRENT_HASHES: int = Field(default=1, ge=1, le=64)
    LOGIN_HASH_WAIT_MS: int = Field(default=500, ge=0, le=10_000)
    LOGIN_HASH_QUEUE: int = Field(default=1, ge=0, le=64)
    TRUSTED_PROXY_HOPS: int = Field(default=1, ge=0, le=5)
    DB_POOL_SIZE: int = Field(default=20, ge=1)
    RABBITMQ_URL: str | None = None
    # Queue ingestion: the transport (None: RabbitMQ when RABBITMQ_URL is set, Service Bus when
    # a SERVICEBUS_CONNECTION setting is, else HTTP only) and the queue's name.
    MEASUREMENTS_TRANSPORT: Literal["rabbitmq", "servicebus", "none"] | None = None
    MEASUREMENTS_QUEUE: str = Field(default="measurements", min_length=1, max_length=200)
    # RabbitMQ only: readings stored per transaction (the trigger's message and those drained
    # behind it) and how long to wait for more once the queue is empty.
    MEASUREMENTS_BATCH_MAX: int = Field(default=2000, ge=1, le=65535)
    MEASUREMENTS_DRAIN_WAIT_MS: int = Field(default=10, ge=0, le=10_000)
    WEBPUBSUB_CONNECTION_STRING: str | None = None
    WEBPUBSUB_HUB: str = "alerts"
    # Chat fan-out between replicas in Azure (chat_container.servicebus): a Service Bus
    # connection string with Manage/Send/Listen on the topic; RABBITMQ_URL is the local twin.
    CHAT_EVENTS_SERVICEBUS_CONNECTION_STRING: str | None = None
    CHAT_EVENTS_TOPIC: str = "chat-events"
    # Metering bounds and alerts (docs/alerts.md).
    METER_ESTIMATE_GAP_MINUTES: int = Field(default=60, ge=1, le=7 * 24 * 60)
    METER_MAX_SPREAD_DAYS: int = Field(default=31, ge=1, le=366)
    METER_MAX_READING_KWH: float = Field(default=1e9, gt=0, le=1e12)
    INGEST_MAX_HOURS_PER_BATCH: int = Field(default=20_000, ge=1, le=1_000_000)
    ALERT_BACKFILL_HOURS: int = Field(default=24, ge=1, le=24 * 366)
    ALERT_MAX_PUSHES_PER_OWNER: int = Field(default=20, ge=1, le=1000)
    # Fleet status (operator console): readings come every 10 minutes.
    FLEET_LATE_AFTER_MINUTES: int = Field(default=30, ge=1, le=10_080)
    FLEET_SILENT_AFTER_MINUTES: int = Field(default=120, ge=2, le=43_200)
    # Dead letters in the console: the ingestion queue's (None: follow MEASUREMENTS_*).
    DEADLETTER_TRANSPORT: Literal["rabbitmq", "servicebus", "none"] | None = None
    DEADLETTER_QUEUE: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _check_metering_bounds(self) -> Settings:
        if self.METER_ESTIMATE_GAP_MINUTES > self.METER_MAX_SPREAD_DAYS * 24 * 60:
            raise SettingsError("METER_ESTIMATE_GAP_MINUTES must not exceed METER_MAX_SPREAD_DAYS")
        if self.INGEST_MAX_HOURS_PER_BATCH < self.METER_MAX_SPREAD_DAYS * 24 + 1:
            raise SettingsError(
                "INGEST_MAX_HOURS_PER_BATCH must be at least METER_MAX_SPREAD_DAYS * 24 + 1 "
                "(the hours one reading may write), or such a reading could never be stored"
            )
        return self

    @model_validator(mode="after")
    def _silent_after_late(self) -> Settings:
        if self.FLEET_SILENT_AFTER_MINUTES <= self.FLEET_LATE_AFTER_MINUTES:
            raise SettingsError(
                f"FLEET_SILENT_AFTER_MINUTES ({self.FLEET_SILENT_AFTER_MINUTES}) must be greater "
                f"than FLEET_LATE_AFTER_MINUTES ({self.FLEET_LATE_AFTER_MINUTES})"
            )
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.APP_PROFILE == "local":
            return self
        if self.JWT_SECRET == DEV_JWT_SECRET or len(self.JWT_SECRET) < 32:
            raise SettingsError(
                f"JWT_SECRET must be set to a random value of 32+ characters "
                f"when APP_PROFILE={self.APP_PROFILE!r}"
            )
        if self.ADMIN_PASSWORD == DEV_ADMIN_PASSWORD or len(self.ADMIN_PASSWORD) < 12:
            raise SettingsError(
                f"ADMIN_PASSWORD must be set (12+ characters, not the development default) "
                f"when APP_PROFILE={self.APP_PROFILE!r}"
            )
        return self

    @property
    def uses_default_admin(self) -> bool:
        """True when the bootstrap admin still has the development credentials."""
        return (self.ADMIN_USERNAME, self.ADMIN_PASSWORD) == (
            DEV_ADMIN_USERNAME,
            DEV_ADMIN_PASSWORD,
        )


class MigrationSettings(BaseSettings):
    """What `python -m shared.migrate` reads, and nothing more (docs/operations.md).

    DATABASE_URL is the administrator's (schema owner's) URL here; the running apps get the
    application user's. APP_DATABASE_USER / APP_DATABASE_PASSWORD name the application user
    that `grant-app-user` creates and grants (shared/dbuser.py); they are not app settings.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    DATABASE_URL: str = DEFAULT_SQLITE_URL
    APP_DATABASE_USER: str | None = None
    APP_DATABASE_PASSWORD: SecretStr | None = None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    settings = Settings()
    if settings.APP_PROFILE == "local" and settings.uses_default_admin:
        logger.warning(
            "LOCAL PROFILE: bootstrap admin is %s/%s and JWT_SECRET is the development "
            "default. Never use this profile outside a developer machine.",
            DEV_ADMIN_USERNAME,
            DEV_ADMIN_PASSWORD,
        )
    return settings
