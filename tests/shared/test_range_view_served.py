"""The range view the API serves (`caller_range_view`): on MySQL/MariaDB the caller check, the
device, its tariff history and its day rows in one statement. It must refuse what the separate
checks (`caller_scope` then `device_range_view`) refused, in the same order, and show the same."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session, sessionmaker

from shared.auth import bearer_claims, caller_params
from shared.db import GROUP_CONCAT_MAX
from shared.errors import DomainError, NotFound
from shared.usage.periods import Period, parse_period
from shared.usage.schemas import RangeConsumption
from shared.usage.store import _CALLER_OWNED_RANGE, _CALLER_RANGE
from shared.usage.view import caller_range_view, device_range_view
from tests.shared.test_day_view_served import PLATFORM, REFUSED, ZONE, _world

MONTH = parse_period("2026-10-01", "2026-10-31", ZONE, "day")


def _served(
    sessions: sessionmaker[Session],
    token: str,
    device_id: str,
    period: Period = MONTH,
    *,
    admin: bool = False,
) -> RangeConsumption:
    with sessions() as session:
        return caller_range_view(
            PLATFORM, session, token, device_id=device_id, period=period, admin=admin
        )


# The one-statement read is MySQL/MariaDB's: these tests run on MariaDB only (not collected for
# SQLite rather than skipped there; SQLite's plain path is covered by the equality test).
MARIADB_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("mariadb", marks=pytest.mark.mariadb)], indirect=True
)


@pytest.mark.parametrize("group_by", ["hour", "day", "month"])
@pytest.mark.parametrize("admin", [False, True], ids=["owner route", "admin route"])
def test_the_served_view_is_the_separate_checks_view(
    sessions: sessionmaker[Session], admin: bool, group_by: str
) -> None:
    world = _world(sessions)
    period = parse_period("2026-10-20", "2026-10-27", ZONE, group_by)
    token = world.tokens["admin" if admin else "owner"]
    owner = None if admin else _owner_of(sessions, token)
    for device in (world.device, world.handed, world.bare):
        served = _served(sessions, token, device, period, admin=admin)
        with sessions() as session:
            expected = device_range_view(session, device_id=device, owner_id=owner, period=period)
        assert served == expected
    # the handed-over device: its owner sees nothing before the bound, administrators all
    handed = _served(sessions, token, world.handed, period, admin=admin)
    full = _served(sessions, token, world.device, period, admin=admin)
    assert (handed.total_kwh == full.total_kwh) is admin
    assert full.total_kwh == 14.083333


def _owner_of(sessions: sessionmaker[Session], token: str) -> str:
    return bearer_claims(PLATFORM, token).user_id


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


@pytest.mark.parametrize(
    ("who", "which", "admin"),
    [("owner", "others", False), ("admin", "device", False), ("other", "device", True)],
)
@MARIADB_ONLY
def test_a_device_the_caller_may_not_see_is_not_sent(
    sessions: sessionmaker[Session], who: str, which: str, admin: bool
) -> None:
    """Another owner's device (or any device for a client on the administrators' route): the
    statement's device columns, tariff history and day rows are null (the device is
    refused, and none of its data is sent)."""
    world = _world(sessions)
    claims = bearer_claims(PLATFORM, world.tokens[who])
    params = {
        **caller_params(claims),
        "device": getattr(world, which),
        "origin": MONTH.start_utc.date(),
        "first": MONTH.start_utc.date(),
        "last": MONTH.end_utc.date(),
    }
    with sessions() as session:
        query = _CALLER_RANGE if admin else _CALLER_OWNED_RANGE
        row = session.connection().execute(query, params).one()
    assert row[0] in ("client", "admin") and tuple(row[4:]) == (None, None, None, None)


@MARIADB_ONLY
@pytest.mark.parametrize("admin", [False, True], ids=["owner route", "admin route"])
def test_one_statement_per_range_view(sessions: sessionmaker[Session], admin: bool) -> None:
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
    assert view.total_kwh == 14.083333


@MARIADB_ONLY
def test_a_cut_group_concat_reads_the_plain_rows(sessions: sessionmaker[Session]) -> None:
    """Packed parts as long as group_concat_max_len may be cut: the caller check still holds
    and the view is read the plain way (more statements), the same."""
    world = _world(sessions)
    token = world.tokens["owner"]
    expected = _served(sessions, token, world.handed)
    statements: list[Any] = []
    with sessions() as session:
        session.execute(text("SET SESSION group_concat_max_len = 40"))  # cuts the day rows
        engine = sessions.kw["bind"]

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            served = caller_range_view(
                PLATFORM, session, token, device_id=world.handed, period=MONTH, admin=False
            )
            with pytest.raises(NotFound):
                caller_range_view(
                    PLATFORM, session, token, device_id=world.others, period=MONTH, admin=False
                )
        finally:
            event.remove(engine, "before_cursor_execute", count)
            session.execute(text(f"SET SESSION group_concat_max_len = {GROUP_CONCAT_MAX}"))
    assert served == expected
    assert len(statements) > 2, statements  # the cut one, then the plain reads
