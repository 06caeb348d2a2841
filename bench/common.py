"""Shared benchmark helpers: percentiles, free ports, a local host subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from local.funchost.server import host_command

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_SECRET = "bench-secret-" + "b" * 40
BENCH_ADMIN = ("bench-admin", "bench-admin-password")


def percentile(samples: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0-100) of samples by nearest rank."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def fresh_mariadb(name: str) -> str:
    """Drop and recreate a benchmark database on the local MariaDB, migrate it; return its URL."""
    import pymysql

    from shared import migrate

    conn = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    conn.close()
    url = f"mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4"
    migrate.upgrade(url)
    return url


def free_port() -> int:
    """Return a TCP port that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_env(database_url: str) -> dict[str, str]:
    """Environment for platform processes started by a benchmark."""
    return {
        **os.environ,
        "APP_PROFILE": "test",
        "DATABASE_URL": database_url,
        "JWT_SECRET": BENCH_SECRET,
        "ADMIN_USERNAME": BENCH_ADMIN[0],
        "ADMIN_PASSWORD": BENCH_ADMIN[1],
        "DB_POOL_SIZE": "20",
    }


@contextmanager
def local_host_process(
    database_url: str, root: Path = REPO_ROOT
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run `root`'s local Functions host in a subprocess; yield its /api base URL and process."""
    port = free_port()
    proc = subprocess.Popen(
        host_command(Path("functions/function_app.py"), port),
        cwd=root,
        env=bench_env(database_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("local host did not become healthy")
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def local_host(database_url: str) -> Iterator[str]:
    """Run the local Functions host in a subprocess; yield its /api base URL."""
    with local_host_process(database_url) as (base, _):
        yield base
