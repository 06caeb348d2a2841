"""Operator console on MariaDB: fleet list, overview and the silent-meter scan at fleet size.

Seeds N devices (default 5,000) with a last reading spread over the last six hours, so every
status is present, then times, in this process against a fresh MariaDB database:
- the admin device list page (50 rows) sorted by status, and filtered to silent meters;
- the overview (counts, today's energy, open alerts, attention list);
- the silent-meter scan: the first run opens an episode per silent meter, the next finds none;
and over HTTP through the local Functions host: GET /api/devices?sort=status (p50/p95).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
import uuid
from collections.abc import Callable

import httpx
from sqlalchemy import insert

from bench.common import BENCH_ADMIN, fresh_mariadb, local_host, percentile
from shared.console.fleet import DeviceQuery, Thresholds, list_fleet, to_epoch_ms
from shared.console.overview import build_overview
from shared.console.silence import scan_silence
from shared.db import dispose_all, session_factory, transaction
from shared.models import Device, MeterState, User, utcnow

LIMITS = Thresholds.from_minutes(30, 120)


def seed(url: str, devices: int, owners: int) -> None:
    """Owners, devices, and one meter_state row per device (10 % never reported)."""
    now_ms = to_epoch_ms(utcnow())
    rng = random.Random(14)
    owner_ids = [str(uuid.uuid4()) for _ in range(owners)]
    users = [
        {
            "id": o,
            "username": f"owner{i}",
            "name": f"Owner {i}",
            "role": "client",
            "password_hash": "x",
            "token_version": 0,
            "created_at": utcnow(),
        }
        for i, o in enumerate(owner_ids)
    ]
    rows, states = [], []
    for i in range(devices):
        device_id = str(uuid.uuid4())
        rows.append(
            {
                "id": device_id,
                "description": f"Meter {i:05d}",
                "address": f"{i} Grid St",
                "max_hourly_kwh": 5.0,
                "owner_id": owner_ids[i % owners],
                "key_hash": uuid.uuid4().hex,
                "created_at": utcnow(),
            }
        )
        if i % 10:
            age_ms = rng.randint(0, 6 * 3_600_000)
            states.append(
                {
                    "device_id": device_id,
                    "last_timestamp_ms": now_ms - age_ms,
                    "last_value_kwh": 1.0,
                    "last_register_kwh": 1.0,
                    "readings_count": 1,
                }
            )
    with transaction(session_factory(url)) as session:
        session.execute(insert(User), users)
        session.execute(insert(Device), rows)
        session.execute(insert(MeterState), states)


def timed(fn: Callable[[], object], runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(percentile(samples, 50), 2),
        "p95_ms": round(percentile(samples, 95), 2),
    }


def main() -> None:
    """Seed, measure, print one JSON line per figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=int(os.environ.get("DEVICES", "5000")))
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    name = f"bench_console_{os.getpid()}"
    url = fresh_mariadb(name)
    seed(url, args.devices, max(1, args.devices // 2))
    readers = session_factory(url, read_only=True)
    now = utcnow()

    def page(wanted: DeviceQuery) -> Callable[[], object]:
        def run() -> object:
            with readers() as s:
                return list_fleet(s, wanted=wanted, now=now, limits=LIMITS, limit=50, offset=0)

        return run

    def overview() -> object:
        with readers() as s:
            return build_overview(s, now=now, limits=LIMITS)

    figures = {
        "list_sorted_by_status": timed(page(DeviceQuery(sort="status")), args.runs),
        "list_silent_only": timed(
            page(DeviceQuery(status="silent", sort="last_reading_at")), args.runs
        ),
        "list_search": timed(page(DeviceQuery(search="meter 01")), args.runs),
        "overview": timed(overview, args.runs),
    }
    for label in ("scan_first", "scan_again"):
        started = time.perf_counter()
        with transaction(session_factory(url)) as s:
            events = scan_silence(s, now=now, limits=LIMITS)
        figures[label] = {
            "ms": round((time.perf_counter() - started) * 1000, 1),
            "events": len(events),
        }
    with local_host(url) as base:
        http = httpx.Client(timeout=30)
        login = http.post(
            f"{base}/auth/login", json=dict(zip(("username", "password"), BENCH_ADMIN, strict=True))
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        figures["http_devices_sorted_by_status"] = timed(
            lambda: http.get(
                f"{base}/devices", params={"sort": "status"}, headers=headers
            ).raise_for_status(),
            args.runs * 3,
        )
        http.close()
    dispose_all()
    import pymysql

    conn = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()
    for label, values in figures.items():
        print(json.dumps({"bench": "console", "devices": args.devices, "what": label, **values}))


if __name__ == "__main__":
    main()
