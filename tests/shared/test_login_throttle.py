"""The login throttle's core: backoff arithmetic, counters on the real databases, addresses."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from shared.db import transaction
from shared.errors import TooManyRequests
from shared.models import LoginFailure
from shared.security.client_address import UNKNOWN, client_address
from shared.security.passwords import HashGate
from shared.security.throttle import (
    BackoffLimit,
    ThrottlePolicy,
    clear_failures,
    ensure_allowed,
    login_keys,
    prune_expired,
    record_failure,
)

S = timedelta(seconds=1)
LIMIT = BackoffLimit(free=3, base=2 * S, cap=30 * S, window=900 * S)
POLICY = ThrottlePolicy(pair=LIMIT, account=LIMIT, address=LIMIT)
T0 = datetime(2026, 12, 1, 12, 0, 0)


def test_delay_doubles_after_the_free_failures_up_to_the_cap() -> None:
    delays = [LIMIT.delay_after(n).total_seconds() for n in range(1, 10)]
    assert delays == [0, 0, 2, 4, 8, 16, 30, 30, 30]
    assert LIMIT.delay_after(10**6) == LIMIT.cap  # no overflow however long it goes on


def _fail(sessions: sessionmaker[Session], key: str, now: datetime) -> None:
    with transaction(sessions) as session:
        record_failure(session, "pair", key, POLICY, now=now)


def _retry_after(sessions: sessionmaker[Session], username: str, now: datetime) -> int | None:
    with sessions() as session:
        try:
            ensure_allowed(session, login_keys(username, "192.0.2.1"), now=now)
        except TooManyRequests as exc:
            return exc.retry_after_seconds
    return None


def test_counters_back_off_and_recover(sessions: sessionmaker[Session]) -> None:
    name = "backoff-" + str(id(sessions))
    key = login_keys(name, "192.0.2.1").pair
    for _ in range(3):
        _fail(sessions, key, T0)
    assert _retry_after(sessions, name, T0) == 2
    assert _retry_after(sessions, name, T0 + 2 * S) is None  # expired: allowed again
    _fail(sessions, key, T0 + 2 * S)
    assert _retry_after(sessions, name, T0 + 3 * S) == 3  # 4 s from T0+2
    # after the window (and no wait running) the count starts afresh
    _fail(sessions, key, T0 + 2000 * S)
    assert _retry_after(sessions, name, T0 + 2000 * S) is None
    with transaction(sessions) as session:
        clear_failures(session, login_keys(name, "192.0.2.1"))
    with sessions() as session:
        assert session.get(LoginFailure, key) is None


def test_pruning_deletes_only_counters_that_no_longer_matter(
    sessions: sessionmaker[Session],
) -> None:
    tag = str(id(sessions))
    old, waiting, recent = (login_keys(f"{n}-{tag}", "192.0.2.1").pair for n in "owr")
    with transaction(sessions) as session:
        session.query(LoginFailure).delete()
    for _ in range(2):
        _fail(sessions, old, T0)  # free failures: no wait, window over by T0 + 1000 s
    for _ in range(8):
        _fail(sessions, waiting, T0)  # wait capped at 30 s, re-armed below
    _fail(sessions, recent, T0 + 950 * S)
    with transaction(sessions) as session:
        row = session.get(LoginFailure, waiting)
        assert row is not None
        row.locked_until = T0 + 5000 * S  # still waiting long after its window
    with transaction(sessions) as session:
        assert prune_expired(session, POLICY, now=T0 + 1000 * S) == 1
    with sessions() as session:
        left = {row.username for row in session.query(LoginFailure)}
    assert left == {waiting, recent}
    assert _retry_after(sessions, f"w-{tag}", T0 + 1000 * S) == 4000  # the wait still holds
    with transaction(sessions) as session:
        assert prune_expired(session, POLICY, now=T0 + 6000 * S) == 2


def test_keys_fit_the_column_for_any_username() -> None:
    keys = login_keys("\u0130" * 64, "2001:db8::/64")
    assert {len(k) for k in (keys.pair, keys.account, keys.address)} == {64}
    assert login_keys("Alice", "a") == login_keys("ALICE", "a") != login_keys("alice", "b")


@pytest.mark.parametrize(
    ("header", "hops", "expected"),
    [
        ("203.0.113.9", 1, "203.0.113.9"),
        ("6.6.6.6, 203.0.113.9", 1, "203.0.113.9"),  # the client wrote the left entry
        ("203.0.113.9:51234", 1, "203.0.113.9"),
        ("[2001:db8:1:2:3::9]:443", 1, "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", 1, "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.5", 1, "192.0.2.5"),
        ("198.51.100.1, 10.0.0.2", 2, "198.51.100.1"),
        ("10.0.0.2", 2, UNKNOWN),  # fewer entries than trusted proxies
        ("not-an-address", 1, UNKNOWN),
        (None, 1, UNKNOWN),
        ("203.0.113.9", 0, UNKNOWN),
    ],
)
def test_client_address(header: str | None, hops: int, expected: str) -> None:
    assert client_address(header, trusted_hops=hops) == expected


def test_hash_gate_refuses_when_full_and_frees_on_exit() -> None:
    gate = HashGate(1, wait_seconds=0.05)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with gate.slot():
            held.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    assert held.wait(5)
    with pytest.raises(TooManyRequests), gate.slot():
        pass
    release.set()
    worker.join(5)
    with gate.slot():
        pass  # free again


def test_hash_gate_refuses_at_once_when_the_queue_is_full() -> None:
    gate = HashGate(1, wait_seconds=5, queue=1)
    held, release = threading.Event(), threading.Event()
    waited: list[str] = []

    def hold() -> None:
        with gate.admit(), gate.slot():
            held.set()
            release.wait(5)

    def wait_in_queue() -> None:
        with gate.admit(), gate.slot():
            waited.append("got the slot")

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(5)
    queued = threading.Thread(target=wait_in_queue)
    queued.start()
    time.sleep(0.2)  # the second caller is now waiting for the slot
    started = time.monotonic()
    with pytest.raises(TooManyRequests), gate.admit():
        pass
    assert time.monotonic() - started < 1  # not the 5 s wait: refused at once
    release.set()
    holder.join(5)
    queued.join(5)
    assert waited == ["got the slot"]
