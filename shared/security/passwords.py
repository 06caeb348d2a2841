"""Password hashing with Argon2id, and a bound on how many hashes run at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.errors import TooManyRequests

# Moderate cost: ~20 ms per hash on a 2-core machine, still far above brute-force budgets.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verified against when the username is unknown, so timing does not reveal which users exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    """Return an Argon2id hash of password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Return True when password matches the hash (constant work when hash is None)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _busy() -> TooManyRequests:
    return TooManyRequests(
        "Sign-in is busy right now; try again in a moment.", retry_after_seconds=1
    )


class HashGate:
    """Bounds the work logins can cause: `slots` hashes at once, `slots + queue` logins at once.

    `admit()` wraps a whole login (its database reads, the hash, the failure counters) and
    refuses at once, before any database work, when `slots + queue` logins are already in
    progress. `slot()` wraps one hash and waits at most `wait_seconds` for a free slot. A login
    flood then holds at most `slots + queue` API threads and `slots` cores; every other thread
    keeps serving ordinary requests, and the extra logins get a quick 429.
    """

    def __init__(self, slots: int, wait_seconds: float, queue: int = 1) -> None:
        self._slots = threading.BoundedSemaphore(slots)
        self._admitted = threading.BoundedSemaphore(slots + queue)
        self._wait = wait_seconds

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold one of the login places, or raise TooManyRequests at once when none is free."""
        if not self._admitted.acquire(blocking=False):
            raise _busy()
        try:
            yield
        finally:
            self._admitted.release()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one hashing slot, or raise TooManyRequests when none frees up in time."""
        if not self._slots.acquire(timeout=self._wait):
            raise _busy()
        try:
            yield
        finally:
            self._slots.release()
