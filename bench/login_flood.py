"""Ordinary reads while a login flood hits the API (docs/security.md, issue 12 item 5).

Through the local Functions host on MariaDB: 4 readers request GET /api/me/devices for a while,
first alone, then while 16 attackers post random-username logins from random client addresses
(as if distributed: TRUSTED_PROXY_HOPS=2 and a random X-Forwarded-For each). Prints the readers'
median and p95 latency in both phases and what the attackers got (401 = a password was hashed,
429 = refused before hashing).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from collections import Counter

import httpx

from bench.common import BENCH_ADMIN, fresh_mariadb, local_host, percentile

READERS = 4
ATTACKERS = 16
SECONDS = 10.0


async def _reader(http: httpx.AsyncClient, token: str, until: float, out: list[float]) -> None:
    while time.monotonic() < until:
        started = time.perf_counter()
        r = await http.get("/me/devices", headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
        out.append((time.perf_counter() - started) * 1000)


async def _attacker(http: httpx.AsyncClient, until: float, statuses: Counter[int]) -> None:
    rng = random.Random()
    while time.monotonic() < until:
        address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        r = await http.post(
            "/auth/login",
            json={"username": f"u{uuid.uuid4().hex[:10]}", "password": "Winter2026!"},
            headers={"X-Forwarded-For": address},
        )
        statuses[r.status_code] += 1


async def _phase(base: str, token: str, attackers: int) -> tuple[list[float], Counter[int]]:
    limits = httpx.Limits(max_connections=READERS + attackers)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        until = time.monotonic() + SECONDS
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        await asyncio.gather(
            *(_reader(http, token, until, latencies) for _ in range(READERS)),
            *(_attacker(http, until, statuses) for _ in range(attackers)),
        )
        return latencies, statuses


def _setup(base: str) -> str:
    with httpx.Client(base_url=base, timeout=30) as http:
        creds = {"username": BENCH_ADMIN[0], "password": BENCH_ADMIN[1]}
        admin = http.post("/auth/login", json=creds)
        auth = {"Authorization": f"Bearer {admin.json()['access_token']}"}
        body = {"username": "reader01", "name": "Reader", "password": "reader-password-1"}
        user = http.post("/users", json=body, headers=auth).json()
        device = {"description": "m", "address": "a", "max_hourly_kwh": 1, "owner_id": user["id"]}
        http.post("/devices", json=device, headers=auth).raise_for_status()
        login = http.post(
            "/auth/login", json={"username": "reader01", "password": body["password"]}
        )
        return str(login.json()["access_token"])


def main() -> None:
    """Run both phases and print one JSON line of figures."""
    url = fresh_mariadb("energy_bench_login")
    os.environ["TRUSTED_PROXY_HOPS"] = "2"  # the bench plays the outer proxy
    with local_host(url) as base:
        token = _setup(base)
        quiet, _ = asyncio.run(_phase(base, token, 0))
        flood, statuses = asyncio.run(_phase(base, token, ATTACKERS))
    figures = {
        "reads_alone_p50_ms": round(percentile(quiet, 50), 1),
        "reads_alone_p95_ms": round(percentile(quiet, 95), 1),
        "reads_under_flood_p50_ms": round(percentile(flood, 50), 1),
        "reads_under_flood_p95_ms": round(percentile(flood, 95), 1),
        "reads_alone": len(quiet),
        "reads_under_flood": len(flood),
        "logins": dict(sorted(statuses.items())),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
