"""The day view the API serves (`caller_day_view`): the caller check, the device and its day rows
in one statement. It must refuse what the separate checks refused, in the same order, and show
what the reference (`day_view`, read from the hourly rows) shows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlalchemy import event, update
from sqlalchemy.orm import Session, sessionmaker

from shared import sessions as auth_sessions
from shared.consumption import LocalDay, caller_day_view, day_view, device_day_view, parse_day
from shared.db import transaction
from shared.errors import DomainError, Forbidden, NotFound, Unauthorized
from shared.ingestion.store import hour_ms, save_totals
from shared.metering import HourTotal
from shared.models import Device, User
from shared.ownership import change_owner
from shared.platform import Platform
from shared.schemas import DayConsumption
from shared.security.tokens import TokenClaims, TokenIssuer
from shared.usage.periods import parse_period
from shared.usage.view import device_range_view
from tests.utils.factories import make_device, make_user

ISSUER = TokenIssuer(
    secret="day-view-test-secret-" + "d" * 40,
    issuer="energy-platform",
    access_ttl=timedelta(minutes=5),
    refresh_ttl=timedelta(days=1),
)
PLATFORM = cast(Platform, SimpleNamespace(tokens=ISSUER))
DAY = "2026-10-25"  # the fall-back day in Bucharest: 25 hours, 2026-10-24T21:00Z to 10-25T22:00Z
ZONE = "Europe/Bucharest"
# (kWh, estimated) by UTC hour: in the local day, hours of both UTC days; either side, hours of
# the neighbouring local days. 0.1 + 0.2 is the float sum that is not 0.3.
HOURS = {
    datetime(2026, 10, 24, 20): (9.0, False),  # the previous local day
    datetime(2026, 10, 24, 21): (0.1, False),  # the first local hour, 00:00+03:00
    datetime(2026, 10, 24, 23): (0.2, True),
    datetime(2026, 10, 25, 0): (0.5, False),  # 03:00+03:00
    datetime(2026, 10, 25, 1): (1.25, True),  # 03:00+02:00, the repeated hour
    datetime(2026, 10, 25, 13): (0.333333, False),
    datetime(2026, 10, 25, 21): (0.7, False),  # the last local hour, 23:00+02:00
    datetime(2026, 10, 25, 22): (2.0, False),  # the next local day
}
BOUND = datetime(2026, 10, 25, 10)  # the handed-over device's first hour its owner may see


@dataclass
class World:
    device: str  # the owner's, with HOURS
    bare: str  # the owner's, no hours
    handed: str  # the owner's since 2026-10-25 09:30 UTC, with HOURS (bound 10:00)
    others: str  # another client's, with HOURS
    tokens: dict[str, str]  # who -> 'Bearer ...'


def _bearer(user_id: str, session_id: str | None, version: int = 0) -> str:
    claims = TokenClaims(user_id, "client", version, "access", session_id=session_id)
    return "Bearer " + ISSUER.issue(claims)


def _hours(session: Session, device_id: str) -> None:
    totals = {(device_id, hour_ms(h)): HourTotal(kwh, est) for h, (kwh, est) in HOURS.items()}
    save_totals(session, totals)  # ingestion's writer: hourly rows and their day rows


def _world(sessions: sessionmaker[Session]) -> World:
    with transaction(sessions) as session:
        owner, other = make_user(session), make_user(session)
        admin = make_user(session, role="admin")
        device = make_device(session, owner=owner, max_kwh=1.5)
        bare = make_device(session, owner=owner)
        handed, others = make_device(session, owner=other), make_device(session, owner=other)
        for meter in (device, handed, others):
            _hours(session, meter.id)
        change_owner(handed, owner.id, now=BOUND - timedelta(minutes=30))
        day = timedelta(days=1)
        live = {u.id: auth_sessions.start(session, u, ttl=day).id for u in (owner, other, admin)}
        ended = auth_sessions.start(session, owner, ttl=day).id
        ended_admin = auth_sessions.start(session, admin, ttl=day).id
        for session_id in (ended, ended_admin):
            auth_sessions.end(session, session_id)
        expired = auth_sessions.start(session, owner, ttl=day, now=datetime(2026, 1, 1)).id
        # a password change: tokens of the version before are refused
        session.execute(update(User).where(User.id == owner.id).values(token_version=1))
        tokens = {
            "owner": _bearer(owner.id, live[owner.id], 1),
            "owner, no session": _bearer(owner.id, None, 1),
            "other": _bearer(other.id, live[other.id]),
            "admin": _bearer(admin.id, live[admin.id]),
            "owner, logged out": _bearer(owner.id, ended, 1),
            "owner, expired session": _bearer(owner.id, expired, 1),
            "owner, older password": _bearer(owner.id, live[owner.id], 0),
            "owner, another's session": _bearer(owner.id, live[other.id], 1),
            "admin, logged out": _bearer(admin.id, ended_admin),
            "unknown user": _bearer(str(uuid.uuid4()), None),
        }
        return World(device.id, bare.id, handed.id, others.id, tokens)


def _served(
    sessions: sessionmaker[Session],
    token: str,
    device_id: str,
    local_day: LocalDay | None = None,
    *,
    admin: bool = False,
    now: datetime | None = None,
) -> DayConsumption:
    with sessions() as session:
        return caller_day_view(
            PLATFORM,
            session,
            token,
            device_id=device_id,
            local_day=local_day or parse_day(DAY, ZONE),
            admin=admin,
            now=now,
        )


def _reference(
    sessions: sessionmaker[Session], device_id: str, local_day: LocalDay, now: datetime
) -> DayConsumption:
    with sessions() as session:
        return day_view(
            session, device=session.get_one(Device, device_id), local_day=local_day, now=now
        )


@pytest.mark.parametrize(
    ("day", "zone"), [(DAY, ZONE), (DAY, "UTC"), ("2026-10-24", ZONE), ("2026-10-25", "Asia/Tokyo")]
)
def test_the_served_view_is_the_reference(
    sessions: sessionmaker[Session], day: str, zone: str
) -> None:
    world = _world(sessions)
    local_day = parse_day(day, zone)
    now = datetime(2026, 10, 25, 13, 20)  # in progress: 13:00Z
    reference = _reference(sessions, world.device, local_day, now)
    mine = _served(sessions, world.tokens["owner"], world.device, local_day, now=now)
    theirs = _served(sessions, world.tokens["admin"], world.device, local_day, admin=True, now=now)
    bare_token = world.tokens["owner, no session"]
    without_session = _served(sessions, bare_token, world.device, local_day, now=now)
    with sessions() as session:
        by_id = device_day_view(
            session, device_id=world.device, owner_id=None, local_day=local_day, now=now
        )
    assert mine == theirs == without_session == by_id == reference
    assert any(h.kwh is not None for h in reference.hours)


def test_a_day_across_two_utc_days_shows_both_and_exact_kwh(
    sessions: sessionmaker[Session],
) -> None:
    world = _world(sessions)
    view = _served(sessions, world.tokens["owner"], world.device, now=datetime(2026, 10, 25, 13, 5))
    shown = [(h.start, h.kwh, h.estimated, h.in_progress) for h in view.hours if h.kwh is not None]
    assert len(view.hours) == 25 and view.max_hourly_kwh == 1.5
    assert shown == [
        ("2026-10-25T00:00:00+03:00", 0.1, False, False),  # 2026-10-24 UTC
        ("2026-10-25T02:00:00+03:00", 0.2, True, False),
        ("2026-10-25T03:00:00+03:00", 0.5, False, False),  # 2026-10-25 UTC
        ("2026-10-25T03:00:00+02:00", 1.25, True, False),
        ("2026-10-25T15:00:00+02:00", 0.333333, False, True),
        ("2026-10-25T23:00:00+02:00", 0.7, False, False),
    ]
    assert view.total_kwh == 3.083333  # the exact micro-kWh sum: no 3.0833330000000004
    assert sum(h.in_progress for h in view.hours) == 1


def test_the_hours_are_the_range_apis_hours(sessions: sessionmaker[Session]) -> None:
    world = _world(sessions)
    view = _served(sessions, world.tokens["owner"], world.device)
    with sessions() as session:
        ranged = device_range_view(
            session,
            device_id=world.device,
            owner_id=None,
            period=parse_period(DAY, DAY, ZONE, "hour"),
        )
    assert [b.kwh for b in ranged.buckets] == [h.kwh for h in view.hours]
    assert ranged.total_kwh == view.total_kwh


def test_the_owner_sees_nothing_before_the_hand_over(sessions: sessionmaker[Session]) -> None:
    world = _world(sessions)
    local_day = parse_day(DAY, ZONE)
    now = datetime(2026, 11, 1)
    reference = _reference(sessions, world.handed, local_day, now)
    mine = _served(sessions, world.tokens["owner"], world.handed, now=now)
    theirs = _served(sessions, world.tokens["admin"], world.handed, admin=True, now=now)
    assert theirs == reference  # administrators see every hour
    starts = zip(local_day.hour_starts_utc(), reference.hours, strict=True)
    expected = [h.kwh if start >= BOUND else None for start, h in starts]
    assert [h.kwh for h in mine.hours] == expected == [None] * 16 + [0.333333] + [None] * 7 + [0.7]
    assert [h.estimated for h in mine.hours] == [False] * 25  # the flagged hours are hidden
    assert mine.total_kwh == 1.033333  # what is shown, nothing before the bound
    after_the_day = update(Device).values(visible_from_utc=datetime(2026, 10, 26))
    with transaction(sessions) as session:  # a bound after the day: no data at all
        session.execute(after_the_day.where(Device.id == world.handed))
    later = _served(sessions, world.tokens["owner"], world.handed, now=now)
    assert later.total_kwh is None and all(h.kwh is None for h in later.hours)


@pytest.mark.parametrize("admin", [False, True], ids=["owner route", "admin route"])
def test_a_device_without_data_that_day_has_nulls(
    sessions: sessionmaker[Session], admin: bool
) -> None:
    world = _world(sessions)
    token = world.tokens["admin" if admin else "owner"]
    for device, day, hours in ((world.bare, DAY, 25), (world.device, "2026-10-27", 24)):
        view = _served(sessions, token, device, parse_day(day, ZONE), admin=admin)
        assert view.total_kwh is None and len(view.hours) == hours
        assert all(h.kwh is None and not h.estimated for h in view.hours)


REFUSED = [
    # token, device, admin route -> refusal (401 before 403 before 404, whatever the device)
    ("owner, logged out", "device", False, Unauthorized),
    ("owner, logged out", "others", False, Unauthorized),
    ("owner, logged out", "unknown", False, Unauthorized),
    ("owner, expired session", "device", False, Unauthorized),
    ("owner, older password", "device", False, Unauthorized),
    ("owner, another's session", "device", False, Unauthorized),
    ("unknown user", "device", False, Unauthorized),
    ("unknown user", "device", True, Unauthorized),
    ("admin, logged out", "device", True, Unauthorized),
    ("admin, logged out", "unknown", True, Unauthorized),
    ("owner", "device", True, Forbidden),  # a client on the administrators' route
    ("owner", "unknown", True, Forbidden),
    ("owner", "others", False, NotFound),  # another client's device
    ("owner", "unknown", False, NotFound),
    ("other", "device", False, NotFound),
    ("admin", "device", False, NotFound),  # /me is the administrator's own devices only
    ("admin", "unknown", True, NotFound),
]


@pytest.mark.parametrize(("who", "which", "admin", "refusal"), REFUSED)
def test_refusals_in_the_order_of_the_separate_checks(
    sessions: sessionmaker[Session],
    who: str,
    which: str,
    admin: bool,
    refusal: type[DomainError],
) -> None:
    world = _world(sessions)
    device = str(uuid.uuid4()) if which == "unknown" else getattr(world, which)
    with pytest.raises(DomainError) as raised:
        _served(sessions, world.tokens[who], device, admin=admin)
    assert type(raised.value) is refusal


@pytest.mark.parametrize("admin", [False, True], ids=["owner route", "admin route"])
def test_one_statement_per_day_view(sessions: sessionmaker[Session], admin: bool) -> None:
    world = _world(sessions)
    statements: list[Any] = []
    engine = sessions.kw["bind"]

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        token = world.tokens["admin" if admin else "owner"]
        view = _served(sessions, token, world.device, admin=admin)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements
    assert view.total_kwh == 3.083333
