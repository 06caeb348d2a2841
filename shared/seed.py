"""Demo data: a client with two meters and realistic consumption, sent through ingestion.

The demo meters' readings (one every 10 minutes) go through the same ingestion as real ones, so
the hourly totals, estimated flags and alerts the demo client sees agree with each other.
"""

from __future__ import annotations

import argparse
import logging
import math
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared import accounts, devices, migrate
from shared.db import transaction
from shared.ingestion.messages import Measurement
from shared.ingestion.service import ingest
from shared.metering import Reading
from shared.models import Device, MeterState, User
from shared.platform import get_platform
from shared.schemas import DeviceCreate, UserCreate
from shared.settings import get_settings

logger = logging.getLogger(__name__)

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"
# Relative household load per local hour: night trough, morning and evening peaks.
DAILY_SHAPE = [
    0.35,
    0.3,
    0.28,
    0.27,
    0.28,
    0.35,
    0.6,
    0.9,
    0.85,
    0.6,
    0.5,
    0.5,
    0.55,
    0.5,
    0.45,
    0.5,
    0.65,
    0.95,
    1.25,
    1.35,
    1.2,
    0.95,
    0.7,
    0.5,
]


def household_profile(
    hours: int, *, end: datetime, peak_kwh: float, rng: random.Random
) -> dict[datetime, float]:
    """Return hourly kWh for the hours before end (UTC, naive), shaped like a household."""
    start = end - timedelta(hours=hours)
    out: dict[datetime, float] = {}
    for i in range(hours):
        hour = start + timedelta(hours=i)
        seasonal = 1.0 + 0.25 * math.cos(2 * math.pi * (hour.timetuple().tm_yday - 15) / 365)
        noise = rng.lognormvariate(0.0, 0.25)
        out[hour] = round(peak_kwh * DAILY_SHAPE[(hour.hour + 2) % 24] * seasonal * noise, 4)
    return out


READING_STEP = timedelta(minutes=10)
BATCH = 1000


def readings_for(
    energy_by_hour: dict[datetime, float], *, start_kwh: float, after: datetime | None
) -> list[Reading]:
    """Cumulative readings every 10 minutes whose hourly totals are `energy_by_hour`.

    Each hour's energy is spread evenly over its six 10-minute intervals; readings at or before
    `after` (already stored) are skipped, and the register continues from `start_kwh`.
    """
    out: list[Reading] = []
    register = start_kwh
    hours = sorted(h for h in energy_by_hour if after is None or h >= after)
    for hour in hours:
        for step in range(6):
            moment = hour + step * READING_STEP
            if after is None or moment > after:
                out.append(Reading(_epoch_ms(moment), register))
            register += energy_by_hour[hour] / 6
    if hours:
        moment = hours[-1] + timedelta(hours=1)
        if after is None or moment > after:
            out.append(Reading(_epoch_ms(moment), register))
    return out


def _epoch_ms(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)


def _send(session: Session, device_id: str, readings: list[Reading]) -> int:
    stored = 0
    for start in range(0, len(readings), BATCH):
        chunk = [Measurement(device_id, r) for r in readings[start : start + BATCH]]
        stored += ingest(session, chunk).count("stored")
    return stored


def _demo_client(session: Session) -> User:
    existing = session.scalar(select(User).where(User.username == DEMO_USERNAME))
    if existing is not None:
        return existing
    data = UserCreate(
        username=DEMO_USERNAME, name="Demo Client", password=DEMO_PASSWORD, role="client"
    )
    return accounts.create_user(session, data=data)


def seed_demo(session: Session, *, days: int, rng: random.Random) -> list[Device]:
    """Create the demo client with two devices and `days` of hourly data; idempotent."""
    client = _demo_client(session)
    owned = list(session.scalars(select(Device).where(Device.owner_id == client.id)))
    specs = [("Kitchen meter", 2.0), ("Heat pump meter", 3.5)]
    now = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    for index, (description, max_kwh) in enumerate(specs[len(owned) :], start=len(owned)):
        data = DeviceCreate(
            description=description,
            address=f"{12 + index} Demo Street",
            max_hourly_kwh=max_kwh,
            owner_id=client.id,
        )
        device, _key = devices.create_device(session, data=data)
        owned.append(device)
    for device in owned:
        energy = household_profile(
            days * 24, end=now, peak_kwh=device.max_hourly_kwh * 0.8, rng=rng
        )
        state = session.get(MeterState, device.id)
        after = start_kwh = None
        if state is not None and state.last_timestamp_ms is not None:
            after = datetime.fromtimestamp(state.last_timestamp_ms / 1000, UTC).replace(tzinfo=None)
            start_kwh = state.last_register_kwh
        readings = readings_for(energy, start_kwh=start_kwh or 0.0, after=after)
        logger.info(
            "%s: %d readings stored", device.description, _send(session, device.id, readings)
        )
    return owned


def main() -> None:
    """CLI: python -m shared.seed [--days N]."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    migrate.upgrade(get_settings().DATABASE_URL)
    platform = get_platform()
    with transaction(platform.sessions) as session:
        created = seed_demo(session, days=args.days, rng=random.Random(args.seed))  # noqa: S311 - demo data
    logger.info(
        "demo client %s / %s owns %d devices with %d days of hourly data",
        DEMO_USERNAME,
        DEMO_PASSWORD,
        len(created),
        args.days,
    )


if __name__ == "__main__":
    main()
