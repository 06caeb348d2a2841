"""Consumption views through the local host with a year of hourly rows in MariaDB.

1,000 devices x 365 days of hourly rows (8.76 M) are generated inside MariaDB (sequence engine),
once; later runs reuse them; every device is billed by a time-of-use tariff. 20 concurrent
clients then request, per mode: the health probe (`floor`: the same host and pool running one
`SELECT 1` and no view logic, the least a served request costs here), random device-days
(`day`), random months by day (`month`) and the year 2025 by month (`year`). Last, one-year
hourly exports of single devices (CSV, Green Button XML) are timed one after another.
"""

from __future__ import annotations

import argparse
import asyncio
import calendar
import os
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from datetime import date, datetime
from pathlib import Path

import httpx
import pymysql
from sqlalchemy import Connection, func, insert, select, text

from bench.common import local_host, percentile
from shared import migrate
from shared.db import create_db_engine
from shared.models import DailyConsumption, Device, DeviceTariff, Tariff, TariffBand, User
from shared.security.passwords import hash_password
from shared.usage.daily import rebuild_all

DB_NAME = "energy_bench_consumption"  # own name: this schema carries migration 0005
DEVICES = 1000
CLIENTS = 20
DAYS = 365
FIRST_DAY = "2025-01-01"
PASSWORD = "bench-client-password"


def ensure_database(host: str, user: str) -> str:
    """Create the benchmark database if needed; return its URL."""
    conn = pymysql.connect(host=host, user=user, autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS `{DB_NAME}` CHARACTER SET utf8mb4")
    conn.close()
    return f"mysql+pymysql://{user}@{host}:3306/{DB_NAME}?charset=utf8mb4"


def populate(url: str) -> None:
    """Create clients, devices and a year of hourly rows unless already there."""
    migrate.upgrade(url)
    engine = create_db_engine(url)
    with engine.begin() as conn:
        if (conn.scalar(select(func.count()).select_from(Device)) or 0) >= DEVICES:
            if not conn.scalar(select(func.count()).select_from(Tariff)):
                _bill_every_device(conn, list(conn.scalars(select(Device.id))))
            if not conn.scalar(select(func.count()).select_from(DailyConsumption)):
                rebuild_all(conn)
            return
        pw = hash_password(PASSWORD)
        clients = [
            {
                "id": str(uuid.uuid4()),
                "username": f"bench{i:02d}",
                "name": f"Bench {i}",
                "role": "client",
                "password_hash": pw,
                "token_version": 0,
                "created_at": "2025-01-01",
            }
            for i in range(CLIENTS)
        ]
        conn.execute(User.__table__.insert(), clients)
        devices = [
            {
                "id": str(uuid.uuid4()),
                "description": f"Bench meter {i}",
                "address": "Bench street",
                "max_hourly_kwh": 2.0,
                "owner_id": clients[i % CLIENTS]["id"],
                "key_hash": "x" * 64,
                "created_at": "2025-01-01",
            }
            for i in range(DEVICES)
        ]
        conn.execute(Device.__table__.insert(), devices)
        _bill_every_device(conn, [str(d["id"]) for d in devices])
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO hourly_consumption (device_id, hour_start_utc, energy_kwh) "
                f"SELECT d.id, TIMESTAMP('{FIRST_DAY}') + INTERVAL s.seq HOUR, RAND() * 2.5 "
                f"FROM devices d JOIN seq_0_to_{DAYS * 24 - 1} s"
            )
        )
    with engine.begin() as conn:
        rebuild_all(conn)  # the day rows ingestion would have written with the hourly rows
    engine.dispose()
    print(f"populated {DEVICES * DAYS * 24:,} hourly rows in {time.perf_counter() - started:.1f} s")


def _bill_every_device(conn: Connection, device_ids: list[str]) -> None:
    """One time-of-use tariff (night / day / weekend) for every bench device."""
    tariff_id = str(uuid.uuid4())
    conn.execute(
        insert(Tariff),
        [{"id": tariff_id, "name": "Bench time-of-use", "kind": "time_of_use",
          "currency": "EUR", "tz": "Europe/Bucharest", "valid_from": date(2024, 1, 1),
          "valid_to": None, "created_at": datetime(2024, 1, 1)}],
    )  # fmt: skip
    bands = [(0b0011111, 0, 7, 90_000), (0b0011111, 7, 24, 310_000), (0b1100000, 0, 24, 50_000)]
    conn.execute(
        insert(TariffBand),
        [{"tariff_id": tariff_id, "weekdays": m, "start_hour": a, "end_hour": b,
          "price_micros": p} for m, a, b, p in bands],
    )  # fmt: skip
    conn.execute(
        insert(DeviceTariff),
        [{"device_id": d, "effective_from_utc": datetime(2024, 1, 1), "tariff_id": tariff_id}
         for d in device_ids],
    )  # fmt: skip


def device_ids_by_client(url: str) -> dict[str, list[str]]:
    """Map each bench client's username to their device ids."""
    engine = create_db_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(User.username, Device.id).join(Device, Device.owner_id == User.id)
        )
        out: dict[str, list[str]] = {}
        for username, device_id in rows:
            out.setdefault(username, []).append(device_id)
    engine.dispose()
    return out


def _params(mode: str, rng: random.Random) -> dict[str, str]:
    """Query of one request: a random day, a random month by day, or 2025 by month."""
    zone = {"tz": "Europe/Bucharest"}
    if mode == "year":
        return {**zone, "from": "2025-01-01", "to": "2025-12-31", "group_by": "month"}
    month = rng.randint(1, 12)
    if mode == "month":
        last = calendar.monthrange(2025, month)[1]
        return {**zone, "from": f"2025-{month:02d}-01", "to": f"2025-{month:02d}-{last}",
                "group_by": "day"}  # fmt: skip
    return {**zone, "date": f"2025-{month:02d}-{rng.randint(1, 28):02d}"}


async def _worker(
    client: httpx.AsyncClient,
    token: str,
    devices: list[str],
    until: float,
    rng: random.Random,
    latencies: list[float],
    errors: list[int],
    mode: str = "day",
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    while time.perf_counter() < until:
        started = time.perf_counter()
        if mode == "floor":
            r = await client.get("/health")
        else:
            path = f"/me/devices/{rng.choice(devices)}/consumption"
            r = await client.get(path, params=_params(mode, rng), headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        if r.status_code != 200:
            errors.append(r.status_code)


async def load(
    base: str, owned: dict[str, list[str]], seconds: float, concurrency: int, mode: str = "day"
) -> tuple[list[float], list[int], float]:
    """Run `concurrency` clients for `seconds`; return latencies (ms), errors and elapsed."""
    latencies: list[float] = []
    errors: list[int] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        users = sorted(owned)[:concurrency]
        tokens = []
        for name in users:
            r = await client.post("/auth/login", json={"username": name, "password": PASSWORD})
            tokens.append(r.json()["access_token"])
        warm = time.perf_counter() + 2
        await asyncio.gather(
            *(
                _worker(client, t, owned[u], warm, random.Random(i), [], [], mode)
                for i, (u, t) in enumerate(zip(users, tokens, strict=True))
            )
        )
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(
            *(
                _worker(client, t, owned[u], until, random.Random(i), latencies, errors, mode)
                for i, (u, t) in enumerate(zip(users, tokens, strict=True))
            )
        )
    return latencies, errors, time.perf_counter() - started


def _pairs_file(base: str, owned: dict[str, list[str]], concurrency: int) -> Path:
    lines = []
    for name in sorted(owned)[:concurrency]:
        r = httpx.post(f"{base}/auth/login", json={"username": name, "password": PASSWORD})
        token = r.json()["access_token"]
        lines += [f"{token} {device}" for device in owned[name]]
    path = Path(tempfile.mkstemp(suffix=".pairs")[1])
    path.write_text("\n".join(lines) + "\n")
    return path


def run_wrk(
    base: str, owned: dict[str, list[str]], seconds: float, concurrency: int, mode: str = "day"
) -> str:
    """Load with wrk (C, one thread) so the load generator does not starve the host."""
    pairs = _pairs_file(base, owned, concurrency)
    origin = base.removesuffix("/api")
    script = Path(__file__).with_name("day_view_wrk.lua")
    command = [
        "wrk",
        "-t1",
        f"-c{concurrency}",
        f"-d{int(seconds)}s",
        "--latency",
        "-s",
        str(script),
        origin,
    ]
    env = {**os.environ, "DAYVIEW_PAIRS": str(pairs), "DAYVIEW_MODE": mode}
    subprocess.run([*command[:3], "-d2s", *command[4:]], env=env, capture_output=True, check=True)
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    pairs.unlink()
    return result.stdout


def time_exports(base: str, owned: dict[str, list[str]], runs: int = 10) -> None:
    """One-year hourly exports of single devices, one request at a time."""
    name = sorted(owned)[0]
    token = httpx.post(f"{base}/auth/login", json={"username": name, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    params = {"from": "2025-01-01", "to": "2025-12-31", "tz": "Europe/Bucharest"}
    for ext in ("csv", "xml"):
        times, size = [], 0
        for device in owned[name][:runs]:
            started = time.perf_counter()
            r = httpx.get(
                f"{base}/me/devices/{device}/consumption.{ext}",
                params=params,
                headers=headers,
                timeout=60,
            )
            times.append((time.perf_counter() - started) * 1000)
            size = len(r.content)
            if r.status_code != 200:
                raise RuntimeError(f"export failed: {r.status_code} {r.text[:200]}")
        print(
            f"one-year {ext.upper()} export of one device ({size:,} bytes), {len(times)} runs: "
            f"p50 {percentile(times, 50):.0f} ms  max {max(times):.0f} ms"
        )


def main() -> None:
    """Print requests/s and latency per mode, then the one-year export times."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--mariadb-host", default="127.0.0.1")
    parser.add_argument(
        "--modes",
        default="floor,day,month,year",
        help="comma-separated: floor (the health probe: the host's floor), day, month, year",
    )
    parser.add_argument(
        "--python-client",
        action="store_true",
        help="use the Python httpx load generator even when wrk is installed",
    )
    args = parser.parse_args()
    url = ensure_database(args.mariadb_host, "root")
    populate(url)
    owned = device_ids_by_client(url)
    modes = [m for m in args.modes.split(",") if m]
    with local_host(url) as base:
        for mode in modes:
            _run_mode(base, owned, args, mode)
        time_exports(base, owned)


def _run_mode(base: str, owned: dict[str, list[str]], args: argparse.Namespace, mode: str) -> None:
    what = {
        "floor": "floor (GET /api/health: the host, one SELECT 1 round trip, no view logic)",
        "day": "day view",
        "month": "month by day",
        "year": "year by month",
    }[mode]
    if shutil.which("wrk") and not args.python_client:
        print(
            f"{what}: wrk load, {args.concurrency} connections, {args.seconds:.0f} s "
            f"({DEVICES} devices x {DAYS} days of hourly rows in MariaDB):"
        )
        print(run_wrk(base, owned, args.seconds, args.concurrency, mode))
        return
    latencies, errors, elapsed = asyncio.run(
        load(base, owned, args.seconds, args.concurrency, mode)
    )
    print(
        f"{what} via local host, MariaDB, {DEVICES} devices x {DAYS} days hourly rows, "
        f"{args.concurrency} concurrent clients, {elapsed:.1f} s"
    )
    print(
        f"  requests: {len(latencies)}  errors: {len(errors)}  "
        f"throughput: {len(latencies) / elapsed:.0f} req/s"
    )
    print(
        f"  latency ms: p50 {percentile(latencies, 50):.1f}  p90 {percentile(latencies, 90):.1f}  "
        f"p99 {percentile(latencies, 99):.1f}  max {max(latencies):.1f}"
    )


if __name__ == "__main__":
    main()
