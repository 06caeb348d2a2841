"""One settings object for every component, read from the environment."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
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
    ADMIN_USERNAME: str = DEV_ADMIN_USERNAME
    ADMIN_PASSWORD: str = DEV_ADMIN_PASSWORD
    LOGIN_MAX_FAILURES: int = Field(default=5, ge=1)
    LOGIN_LOCKOUT_SECONDS: int = Field(default=300, ge=1)
    DB_POOL_SIZE: int = Field(default=20, ge=1)
    RABBITMQ_URL: str | None = None
    WEBPUBSUB_CONNECTION_STRING: str | None = None
    WEBPUBSUB_HUB: str = "alerts"
    # Chat fan-out between replicas in Azure (chat_container.servicebus): a Service Bus
    # connection string with Manage/Send/Listen on the topic; RABBITMQ_URL is the local twin.
    CHAT_EVENTS_SERVICEBUS_CONNECTION_STRING: str | None = None
    CHAT_EVENTS_TOPIC: str = "chat-events"

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
