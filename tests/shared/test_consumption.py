"""The day view: local hours over UTC-stored totals, DST days, validation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from shared.consumption import day_view, parse_day
from shared.db import transaction
from shared.errors import ValidationFailed
from tests.utils.factories import make_device, write_hours


@pytest.mark.parametrize(
    ("day", "zone", "hours", "first_utc"),
    [
        ("2026-03-29", "Europe/Bucharest", 23, datetime(2026, 3, 28, 22)),
        ("2026-10-25", "Europe/Bucharest", 25, datetime(2026, 10, 24, 21)),
        ("2026-06-01", "Europe/Bucharest", 24, datetime(2026, 5, 31, 21)),
        ("2026-06-01", "UTC", 24, datetime(2026, 6, 1, 0)),
        ("2026-11-01", "America/New_York", 25, datetime(2026, 11, 1, 4)),
    ],
)
def test_local_day_has_the_right_hours(
    day: str, zone: str, hours: int, first_utc: datetime
) -> None:
    local = parse_day(day, zone)
    starts = local.hour_starts_utc()
    assert len(starts) == hours
    assert starts[0] == first_utc


@pytest.mark.parametrize(
    ("day", "zone", "field"),
    [
        ("2026-13-01", "UTC", "date"),
        ("26-01-01", "UTC", "date"),
        ("1999-12-31", "UTC", "date"),
        ("", "UTC", "date"),
        ("2026-01-01", "Mars/Olympus", "tz"),
        ("2026-01-01", "../../etc/passwd", "tz"),
        ("2026-01-01", "Asia/Kolkata", "tz"),
    ],
)
def test_bad_days_are_refused_with_the_field(day: str, zone: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        parse_day(day, zone)
    assert err.value.errors[0].field == field


def test_fall_back_day_shows_the_repeated_hour_with_both_offsets(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        device = make_device(session, max_kwh=1.0)
        # 00:00 and 01:00 UTC on 2026-10-25 are both 03:00 local (EEST then EET).
        write_hours(
            session,
            device_id=device.id,
            energy_by_hour={
                datetime(2026, 10, 25, 0): 0.5,
                datetime(2026, 10, 25, 1): 1.25,
                datetime(2026, 10, 24, 20): 9.0,  # the previous local day: must not appear
            },
        )
        view = day_view(
            session, device=device, local_day=parse_day("2026-10-25", "Europe/Bucharest")
        )
    starts = [h.start for h in view.hours]
    assert len(starts) == 25
    assert starts[3] == "2026-10-25T03:00:00+03:00"
    assert starts[4] == "2026-10-25T03:00:00+02:00"
    assert [h.kwh for h in view.hours[3:5]] == [0.5, 1.25]
    assert sum(h.kwh is not None for h in view.hours) == 2
    assert view.total_kwh == pytest.approx(1.75)


def test_spring_forward_day_skips_the_missing_hour(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        device = make_device(session)
        write_hours(session, device_id=device.id, energy_by_hour={datetime(2026, 3, 29, 1): 0.75})
        view = day_view(
            session, device=device, local_day=parse_day("2026-03-29", "Europe/Bucharest")
        )
    labels = [h.start[11:16] for h in view.hours]
    assert "03:00" not in labels and len(labels) == 23
    assert view.hours[3].start == "2026-03-29T04:00:00+03:00"
    assert view.hours[3].kwh == 0.75


def test_day_without_data_has_nulls_and_no_total(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        device = make_device(session)
        view = day_view(session, device=device, local_day=parse_day("2026-02-02", "UTC"))
    assert view.total_kwh is None
    assert all(h.kwh is None for h in view.hours)


def test_write_hours_upserts(sessions: sessionmaker[Session]) -> None:
    hour = datetime(2026, 5, 5, 10)
    with transaction(sessions) as session:
        device = make_device(session)
        write_hours(session, device_id=device.id, energy_by_hour={hour: 1.0})
        write_hours(session, device_id=device.id, energy_by_hour={hour: 2.5})
        view = day_view(session, device=device, local_day=parse_day("2026-05-05", "UTC"))
    assert view.hours[10].kwh == 2.5


def test_day_view_flags_estimated_hours_and_the_hour_in_progress(
    sessions: sessionmaker[Session],
) -> None:
    from shared.ingestion.messages import Measurement
    from shared.ingestion.service import ingest
    from shared.metering import Reading

    day = datetime(2026, 2, 3)
    ms = int(day.replace(tzinfo=UTC).timestamp() * 1000)
    hour_ms = 3_600_000
    with transaction(sessions) as session:
        device = make_device(session, max_kwh=0.5)
        readings = [(0, 0.0), (10 * 60_000, 0.1), (4 * hour_ms + 10 * 60_000, 2.1)]
        ingest(session, [Measurement(device.id, Reading(ms + t, v)) for t, v in readings])
    with sessions() as session:
        view = day_view(
            session,
            device=device,
            local_day=parse_day("2026-02-03", "UTC"),
            now=day.replace(hour=6, minute=30),
        )
    flags = [(h.kwh is not None, h.estimated, h.in_progress) for h in view.hours[:8]]
    assert flags == [
        (True, True, False),  # 00:00 measured 0.1 plus the start of the 4 h gap
        (True, True, False),
        (True, True, False),
        (True, True, False),
        (True, True, False),  # 04:00-04:10, still the gap
        (False, False, False),
        (False, False, True),  # now
        (False, False, False),
    ]
