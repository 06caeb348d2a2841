"""The views the API serves (device by id, checked in the statement that reads it) agree with
the entity-based views, and refuse devices the caller does not own."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from shared.consumption import day_view, device_day_view, parse_day
from shared.db import transaction
from shared.errors import NotFound
from shared.models import Device
from shared.usage.periods import parse_period
from shared.usage.schemas import AssignmentCreate, TariffCreate
from shared.usage.tariffs import assign_tariff, create_tariff
from shared.usage.view import device_range_view, range_view
from tests.utils.factories import make_device, make_user, write_hours

# The fall-back day in Bucharest (25 local hours) and hours either side of it.
HOURS = {
    datetime(2026, 10, 24, 20): 9.0,  # the previous local day
    datetime(2026, 10, 25, 0): 0.5,
    datetime(2026, 10, 25, 1): 1.25,
    datetime(2026, 10, 25, 13): 0.333333,
    datetime(2026, 10, 26, 2): 2.0,
}


def _world(sessions: sessionmaker[Session]) -> dict[str, str]:
    with transaction(sessions) as session:
        owner, other = make_user(session), make_user(session)
        device = make_device(session, owner=owner, max_kwh=1.5)
        bare = make_device(session, owner=owner)  # no hours, no tariff
        write_hours(session, device_id=device.id, energy_by_hour=HOURS)
        flat = create_tariff(
            session,
            data=TariffCreate(
                name="Flat", kind="flat", currency="EUR", tz="Europe/Bucharest",
                valid_from="2026-01-01", price_per_kwh="0.123457",
            ),
        )  # fmt: skip
        cheaper = create_tariff(
            session,
            data=TariffCreate(
                name="Cheaper", kind="flat", currency="EUR", tz="Europe/Bucharest",
                valid_from="2026-01-01", price_per_kwh="0.05",
            ),
        )  # fmt: skip
        for tariff_id, when in ((flat.id, "2026-10-01"), (cheaper.id, "2026-10-25T13:00:00+02:00")):
            assign_tariff(
                session,
                device=device,
                data=AssignmentCreate(tariff_id=tariff_id, effective_from=when),
            )
        return {"owner": owner.id, "other": other.id, "device": device.id, "bare": bare.id}


def test_day_view_by_id_is_the_day_view(sessions: sessionmaker[Session]) -> None:
    ids = _world(sessions)
    local_day = parse_day("2026-10-25", "Europe/Bucharest")
    now = datetime(2026, 10, 25, 13, 20)
    with sessions() as session:
        device = session.get_one(Device, ids["device"])
        reference = day_view(session, device=device, local_day=local_day, now=now)
        for owner in (ids["owner"], None):  # the owner, an administrator
            view = device_day_view(
                session, device_id=ids["device"], owner_id=owner, local_day=local_day, now=now
            )
            assert view == reference
    assert len(view.hours) == 25 and view.max_hourly_kwh == 1.5
    assert [h.kwh for h in view.hours if h.kwh is not None] == [0.5, 1.25, 0.333333]
    assert sum(h.in_progress for h in view.hours) == 1


def test_day_view_by_id_of_a_device_without_hours_has_nulls(
    sessions: sessionmaker[Session],
) -> None:
    ids = _world(sessions)
    with sessions() as session:
        view = device_day_view(
            session,
            device_id=ids["bare"],
            owner_id=ids["owner"],
            local_day=parse_day("2026-10-25", "Europe/Bucharest"),
        )
    assert len(view.hours) == 25 and view.total_kwh is None
    assert all(h.kwh is None for h in view.hours)


@pytest.mark.parametrize("group_by", ["hour", "day", "month"])
def test_range_view_by_id_is_the_range_view(sessions: sessionmaker[Session], group_by: str) -> None:
    ids = _world(sessions)
    period = parse_period("2026-10-24", "2026-10-26", "Europe/Bucharest", group_by)
    with sessions() as session:
        device = session.get_one(Device, ids["device"])
        reference = range_view(session, device=device, period=period)
        for owner in (ids["owner"], None):
            view = device_range_view(
                session, device_id=ids["device"], owner_id=owner, period=period
            )
            assert view == reference
        bare = device_range_view(session, device_id=ids["bare"], owner_id=None, period=period)
    assert reference.total_cost is not None and reference.currency == "EUR"
    assert bare.total_kwh is None and bare.total_cost is None and bare.currency is None


def test_another_owners_or_an_unknown_device_is_not_found(
    sessions: sessionmaker[Session],
) -> None:
    ids = _world(sessions)
    local_day = parse_day("2026-10-25", "UTC")
    period = parse_period("2026-10-01", "2026-10-31", "UTC", "day")
    with sessions() as session:
        for device_id, owner in ((ids["device"], ids["other"]), (str(uuid.uuid4()), None)):
            with pytest.raises(NotFound):
                device_day_view(session, device_id=device_id, owner_id=owner, local_day=local_day)
            with pytest.raises(NotFound):
                device_range_view(session, device_id=device_id, owner_id=owner, period=period)
