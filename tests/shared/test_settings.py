"""Settings: local defaults are loud, other profiles refuse default secrets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.settings import DEV_JWT_SECRET, Settings


def test_local_profile_allows_development_defaults() -> None:
    settings = Settings(
        APP_PROFILE="local",
        JWT_SECRET=DEV_JWT_SECRET,
        ADMIN_USERNAME="admin",
        ADMIN_PASSWORD="admin",
    )
    assert settings.uses_default_admin


@pytest.mark.parametrize("profile", ["production", "test"])
def test_other_profiles_refuse_the_development_jwt_secret(profile: str) -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(APP_PROFILE=profile, JWT_SECRET=DEV_JWT_SECRET, ADMIN_PASSWORD="x" * 20)  # type: ignore[arg-type]


def test_production_refuses_the_default_admin_password() -> None:
    with pytest.raises(ValidationError, match="ADMIN_PASSWORD"):
        Settings(APP_PROFILE="production", JWT_SECRET="s" * 40, ADMIN_PASSWORD="admin")


def test_production_accepts_real_secrets() -> None:
    settings = Settings(APP_PROFILE="production", JWT_SECRET="s" * 40, ADMIN_PASSWORD="p" * 16)
    assert not settings.uses_default_admin


def test_measurements_transport_and_queue_are_settings() -> None:
    settings = Settings(APP_PROFILE="local", MEASUREMENTS_TRANSPORT="servicebus")
    assert (settings.MEASUREMENTS_TRANSPORT, settings.MEASUREMENTS_QUEUE) == (
        "servicebus",
        "measurements",
    )
    with pytest.raises(ValidationError, match="MEASUREMENTS_TRANSPORT"):
        Settings(APP_PROFILE="local", MEASUREMENTS_TRANSPORT="kafka")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="MEASUREMENTS_BATCH_MAX"):
        Settings(APP_PROFILE="local", MEASUREMENTS_BATCH_MAX=0)
