"""The process-wide platform context: settings, database and token issuer."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from shared.bootstrap import ensure_bootstrap_admin
from shared.db import session_factory
from shared.security.passwords import HashGate
from shared.security.throttle import BackoffLimit, ThrottlePolicy
from shared.security.tokens import TokenIssuer
from shared.settings import Settings, get_settings


@dataclass(frozen=True, slots=True)
class Platform:
    """Everything a request handler needs from the environment."""

    settings: Settings
    sessions: sessionmaker[Session]
    readers: sessionmaker[Session]
    tokens: TokenIssuer
    throttle: ThrottlePolicy
    hashing: HashGate


def build_platform(settings: Settings) -> Platform:
    """Wire a platform context from settings."""
    return Platform(
        settings=settings,
        sessions=session_factory(settings.DATABASE_URL, pool_size=settings.DB_POOL_SIZE),
        readers=session_factory(
            settings.DATABASE_URL, pool_size=settings.DB_POOL_SIZE, read_only=True
        ),
        tokens=TokenIssuer(
            secret=settings.JWT_SECRET,
            issuer=settings.JWT_ISSUER,
            access_ttl=timedelta(minutes=settings.ACCESS_TOKEN_MINUTES),
            refresh_ttl=timedelta(days=settings.REFRESH_TOKEN_DAYS),
        ),
        throttle=throttle_policy(settings),
        hashing=HashGate(
            settings.LOGIN_MAX_CONCURRENT_HASHES,
            settings.LOGIN_HASH_WAIT_MS / 1000,
            queue=settings.LOGIN_HASH_QUEUE,
        ),
    )


def throttle_policy(settings: Settings) -> ThrottlePolicy:
    """The login limits from settings (docs/security.md explains each)."""
    base = timedelta(seconds=settings.LOGIN_BACKOFF_BASE_SECONDS)
    window = timedelta(seconds=settings.LOGIN_WINDOW_SECONDS)

    def limit(free: int, cap_seconds: int) -> BackoffLimit:
        return BackoffLimit(free=free, base=base, cap=timedelta(seconds=cap_seconds), window=window)

    return ThrottlePolicy(
        pair=limit(settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCKOUT_SECONDS),
        account=limit(
            settings.LOGIN_ACCOUNT_MAX_FAILURES, settings.LOGIN_ACCOUNT_BACKOFF_MAX_SECONDS
        ),
        address=limit(
            settings.LOGIN_ADDRESS_MAX_FAILURES, settings.LOGIN_ADDRESS_BACKOFF_MAX_SECONDS
        ),
    )


_lock = threading.Lock()
_current: Platform | None = None


def get_platform() -> Platform:
    """Return the platform for this process, built on first use and bootstrapped once."""
    global _current
    with _lock:
        if _current is None:
            platform = build_platform(get_settings())
            ensure_bootstrap_admin(platform)
            _current = platform
        return _current


def reset_platform() -> None:
    """Forget the cached platform and settings (tests switch databases)."""
    global _current
    with _lock:
        _current = None
    get_settings.cache_clear()
