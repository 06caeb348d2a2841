"""Day-view request rate and latency through the local host with a year of hourly rows in MariaDB.

1,000 devices x 365 days of hourly rows (8.76 M) are generated inside MariaDB (sequence engine),
once; later runs reuse them. 20 concurrent clients then request random device-days.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import pymysql
from sqlalchemy import func, select, text

from bench.common import local_host, percentile
from shared import migrate
from shared.db import create_db_engine
from shared.models import Device, User
from shared.security.passwords import hash_password

DB_NAME = "energy_bench_dayview"
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
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO hourly_consumption (device_id, hour_start_utc, energy_kwh) "
                f"SELECT d.id, TIMESTAMP('{FIRST_DAY}') + INTERVAL s.seq HOUR, RAND() * 2.5 "
                f"FROM devices d JOIN seq_0_to_{DAYS * 24 - 1} s"
            )
        )
    engine.dispose()
    print(f"populated {DEVICES * DAYS * 24:,} hourly rows in {time.perf_counter() - started:.1f} s")


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


async def _worker(
    client: httpx.AsyncClient,
    token: str,
    devices: list[str],
    until: float,
    rng: random.Random,
    latencies: list[float],
    errors: list[int],
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    while time.perf_counter() < until:
        day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        path = f"/me/devices/{rng.choice(devices)}/consumption"
        started = time.perf_counter()
        r = await client.get(path, params={"date": day, "tz": "Europe/Bucharest"}, headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        if r.status_code != 200:
            errors.append(r.status_code)


async def load(
    base: str, owned: dict[str, list[str]], seconds: float, concurrency: int
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
                _worker(client, t, owned[u], warm, random.Random(i), [], [])
                for i, (u, t) in enumerate(zip(users, tokens, strict=True))
            )
        )
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(
            *(
                _worker(client, t, owned[u], until, random.Random(i), latencies, errors)
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


def run_wrk(base: str, owned: dict[str, list[str]], seconds: float, concurrency: int) -> str:
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
    env = {**os.environ, "DAYVIEW_PAIRS": str(pairs)}
    subprocess.run([*command[:3], "-d2s", *command[4:]], env=env, capture_output=True, check=True)
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    pairs.unlink()
    return result.stdout


def main() -> None:
    """Print requests/s and p50/p99 latency of the day view."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--mariadb-host", default="127.0.0.1")
    parser.add_argument(
        "--python-client",
        action="store_true",
        help="use the Python httpx load generator even when wrk is installed",
    )
    args = parser.parse_args()
    url = ensure_database(args.mariadb_host, "root")
    populate(url)
    owned = device_ids_by_client(url)
    with local_host(url) as base:
        if shutil.which("wrk") and not args.python_client:
            print(
                f"wrk load, {args.concurrency} connections, {args.seconds:.0f} s "
                f"({DEVICES} devices x {DAYS} days of hourly rows in MariaDB):"
            )
            print(run_wrk(base, owned, args.seconds, args.concurrency))
            return
        latencies, errors, elapsed = asyncio.run(load(base, owned, args.seconds, args.concurrency))
    print(
        f"day view via local host, MariaDB, {DEVICES} devices x {DAYS} days hourly rows, "
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
