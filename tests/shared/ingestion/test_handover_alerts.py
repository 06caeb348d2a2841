"""Alerts of a handed-over device (shared/ownership.py): an hour before the current owner's bound
is never theirs, neither in a new alert nor in a push, on SQLite and the real MariaDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from shared import alerts
from shared.db import transaction
from shared.errors import NotFound
from shared.ingestion.messages import Measurement
from shared.ingestion.service import BatchOutcome, ingest
from shared.metering import Reading
from shared.models import Alert, Device
from tests.utils.factories import make_device, make_user

H = datetime(2026, 3, 10)  # hours are named H + n
HOUR = timedelta(hours=1)


def _ms(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)


def _crossing(device_id: str, hour: datetime, base: float) -> list[Measurement]:
    """Seven readings ten minutes apart inside `hour`: 6 kWh in it."""
    start = _ms(hour)
    return [Measurement(device_id, Reading(start + i * 600_000, base + i)) for i in range(7)]


def _ingest(sessions: sessionmaker[Session], items: list[Measurement]) -> BatchOutcome:
    with transaction(sessions) as session:
        outcome = ingest(session, items)
    assert {r.status for r in outcome.results} == {"stored"}
    return outcome


def _hand(
    sessions: sessionmaker[Session], device_id: str, owner: str, bound: datetime | None
) -> None:
    """Set the owner and bound as an earlier hand-over would have left them."""
    with transaction(sessions) as session:
        session.execute(
            update(Device)
            .where(Device.id == device_id)
            .values(owner_id=owner, visible_from_utc=bound)
        )


def _alert_owners(sessions: sessionmaker[Session], device_id: str) -> dict[datetime, str | None]:
    with sessions() as session:
        rows = session.execute(
            select(Alert.hour_start_utc, Alert.owner_id).where(Alert.device_id == device_id)
        )
        return {hour: owner for hour, owner in rows}


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> tuple[str, str, str]:
    """Clients a and b, and a device (maximum 5 kWh) of b."""
    with transaction(sessions) as session:
        a, b = make_user(session), make_user(session)
        return a.id, b.id, make_device(session, owner=b, max_kwh=5.0).id


def test_new_alerts_before_the_bound_belong_to_nobody_and_are_not_pushed(
    sessions: sessionmaker[Session], world: tuple[str, str, str]
) -> None:
    _a, b, device = world
    _hand(sessions, device, b, H + 3 * HOUR)  # handed to b during H+2
    # 6 kWh in H+1 (b may not see it) and in H+4 (b may), flat in between
    outcome = _ingest(
        sessions, _crossing(device, H + HOUR, 100) + _crossing(device, H + 4 * HOUR, 106)
    )
    assert _alert_owners(sessions, device) == {H + HOUR: None, H + 4 * HOUR: b}
    assert {(e.hour_start_utc, e.owner_id) for e in outcome.alerts} == {
        (H + HOUR, None),
        (H + 4 * HOUR, b),
    }
    assert outcome.owners == {device: b}  # a changed hour b may see: b is told
    # the meter catching up on hours before the bound only: nobody is told anything
    late = _ingest(sessions, _crossing(device, H - 2 * HOUR, 80))
    assert _alert_owners(sessions, device)[H - 2 * HOUR] is None
    assert [e.owner_id for e in late.alerts] == [None]
    assert late.owners == {device: None}
    with sessions() as session:
        items, total, open_count = alerts.list_alerts(session, owner_id=b, limit=50, offset=0)
    assert [i.hour_start for i in items] == [(H + 4 * HOUR).isoformat() + "Z"]
    assert (total, open_count) == (1, 1)


def test_existing_alerts_stay_their_owners_and_hidden_ones_are_not_pushed(
    sessions: sessionmaker[Session], world: tuple[str, str, str]
) -> None:
    a, b, device = world
    _ingest(sessions, _crossing(device, H + HOUR, 100))  # b's, before any hand-over
    _hand(sessions, device, a, H + 3 * HOUR)  # b -> a during H+2
    _ingest(sessions, _crossing(device, H + 4 * HOUR, 106))  # a's
    _hand(sessions, device, b, H + 6 * HOUR)  # a -> b during H+5: back to b
    assert _alert_owners(sessions, device) == {H + HOUR: b, H + 4 * HOUR: a}

    with sessions() as session:
        a_items, a_total, a_open = alerts.list_alerts(session, owner_id=a, limit=50, offset=0)
        b_items, b_total, b_open = alerts.list_alerts(session, owner_id=b, limit=50, offset=0)
        b_alert = session.scalars(select(Alert.id).where(Alert.owner_id == b)).one()
    # a's alert stays a's; b's own alert from before the device left b is hidden like its hour
    assert [i.hour_start for i in a_items] == [(H + 4 * HOUR).isoformat() + "Z"]
    assert (a_total, a_open, b_items, b_total, b_open) == (1, 1, [], 0, 0)
    with transaction(sessions) as session, pytest.raises(NotFound):
        alerts.acknowledge(session, owner_id=b, alert_id=b_alert)
    with transaction(sessions) as session:
        assert alerts.acknowledge_all(session, owner_id=b) == 0
        assert alerts.acknowledge_all(session, owner_id=a) == 1

    # a new maximum clears both: a is told about a's alert, b about nothing
    with transaction(sessions) as session:
        row = session.get_one(Device, device)
        row.max_hourly_kwh = 6.5
        events = alerts.reevaluate_for_maximum(session, device=row)
    assert {(e.hour_start_utc, e.owner_id, e.change) for e in events} == {
        (H + HOUR, None, "cleared"),
        (H + 4 * HOUR, a, "cleared"),
    }
    assert _alert_owners(sessions, device) == {H + HOUR: b, H + 4 * HOUR: a}  # owners unchanged
