"""Login throttling: exponential backoff per (account, address), per account and per address.

Three counters are kept for every failed login, each in its own `login_failures` row whose key is
a SHA-256 of the scope and value (so any username, however long or odd, fits the column, and
unknown usernames are not stored in clear):

- ``pair``: one username from one client address. Few free failures, then a doubling delay.
  A stranger guessing from their own address only delays themselves.
- ``account``: one username from every address. Many free failures, short cap: slows a
  distributed guesser without letting one stranger lock the owner out for long.
- ``address``: one client address, every username. Stops password spraying from one client.

While any counter's delay runs, logins answer 429 with Retry-After and are not counted again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from shared.errors import TooManyRequests
from shared.models import LoginFailure, utcnow

Scope = Literal["pair", "account", "address"]


@dataclass(frozen=True, slots=True)
class BackoffLimit:
    """`free` failures inside `window` are free; each later one doubles the delay up to `cap`."""

    free: int
    base: timedelta
    cap: timedelta
    window: timedelta

    def delay_after(self, failures: int) -> timedelta:
        """The wait imposed after the failures-th failure (zero while still free)."""
        if failures < self.free:
            return timedelta(0)
        exponent = min(failures - self.free, 40)  # 2**40 s is far past any cap
        delay: timedelta = min(self.base * float(2**exponent), self.cap)
        return delay


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """The three login limits."""

    pair: BackoffLimit
    account: BackoffLimit
    address: BackoffLimit

    def limit(self, scope: Scope) -> BackoffLimit:
        """The limit of one scope."""
        return {"pair": self.pair, "account": self.account, "address": self.address}[scope]


@dataclass(frozen=True, slots=True)
class LoginKeys:
    """The counter keys of one login attempt."""

    pair: str
    account: str
    address: str

    def items(self) -> Iterable[tuple[Scope, str]]:
        """(scope, key) in a fixed order (rows are always locked in the same order)."""
        return (("account", self.account), ("address", self.address), ("pair", self.pair))


def _key(scope: Scope, value: str) -> str:
    return hashlib.sha256(f"{scope}\0{value}".encode()).hexdigest()


def login_keys(username: str, address: str) -> LoginKeys:
    """Counter keys for a username (case-insensitive) tried from a client address."""
    name = username.casefold()
    return LoginKeys(
        pair=_key("pair", f"{name}\0{address}"),
        account=_key("account", name),
        address=_key("address", address),
    )


def ensure_allowed(session: Session, keys: LoginKeys, *, now: datetime | None = None) -> None:
    """Raise TooManyRequests while any of the attempt's counters imposes a wait."""
    current = now or utcnow()
    waits = [
        row.locked_until - current
        for _scope, key in keys.items()
        if (row := session.get(LoginFailure, key)) is not None
        and row.locked_until is not None
        and row.locked_until > current
    ]
    if waits:
        retry = max(1, int(max(waits).total_seconds() + 0.999))
        raise TooManyRequests(
            "Too many failed logins; wait before trying again.", retry_after_seconds=retry
        )


def record_failure(
    session: Session, scope: Scope, key: str, policy: ThrottlePolicy, *, now: datetime | None = None
) -> None:
    """Count one failed login on one counter and set its backoff."""
    current = now or utcnow()
    limit = policy.limit(scope)
    row = session.get(LoginFailure, key, with_for_update=True)
    if row is None:
        row = LoginFailure(username=key, failures=0, window_started_at=current)
        session.add(row)
    waiting = row.locked_until is not None and row.locked_until > current
    if not waiting and current - row.window_started_at > limit.window:
        row.failures, row.window_started_at, row.locked_until = 0, current, None
    row.failures += 1
    delay = limit.delay_after(row.failures)
    row.locked_until = current + delay if delay else None


def clear_failures(session: Session, keys: LoginKeys) -> None:
    """Forget the account's failures after a successful login (the address keeps its count)."""
    for key in (keys.pair, keys.account):
        row = session.get(LoginFailure, key)
        if row is not None:
            session.delete(row)


def prune_expired(session: Session, policy: ThrottlePolicy, *, now: datetime | None = None) -> int:
    """Delete counters that can no longer matter; return how many.

    A row whose window has passed and whose wait is over would be reset by its next failure
    and stops no login, so deleting it changes nothing but the table's size (a spray of random
    usernames would otherwise leave two rows per name forever).
    """
    current = now or utcnow()
    window = max(policy.pair.window, policy.account.window, policy.address.window)
    result = session.execute(
        delete(LoginFailure).where(
            LoginFailure.window_started_at < current - window,
            or_(LoginFailure.locked_until.is_(None), LoginFailure.locked_until <= current),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
