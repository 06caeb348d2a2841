"""CPU per consumption request, in-process (no HTTP): where the day/month/year views spend.

Runs against the `bench.day_view` database (populate it first with `python -m bench day_view`
or this module's --populate). Calls the function app's handlers directly with
`func.HttpRequest` objects, as the worker does, and reports process CPU per request (the
machine's other load inflates wall time, not much CPU). `--profile MODE` prints a cProfile.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import time
from collections.abc import Callable
from pathlib import Path

import azure.functions as func
import httpx

from bench.common import REPO_ROOT, bench_env, local_host_process
from bench.day_view import DB_NAME, PASSWORD, _params, device_ids_by_client, ensure_database


def _setup(url: str) -> tuple[Callable[[func.HttpRequest], func.HttpResponse], str, list[str]]:
    os.environ.update(bench_env(url))
    from local.funchost.server import load_function_app  # after the environment is set

    load_function_app(Path("functions/function_app.py"))
    from routes.consumption import my_device_consumption  # type: ignore[import-not-found]

    from shared.auth import login
    from shared.platform import get_platform

    owned = device_ids_by_client(url)
    name = sorted(owned)[0]
    token = login(get_platform(), name, PASSWORD, address="127.0.0.1").access_token
    return my_device_consumption, token, owned[name]


def _request(token: str, device: str, params: dict[str, str]) -> func.HttpRequest:
    return func.HttpRequest(
        method="GET",
        url=f"http://127.0.0.1/api/me/devices/{device}/consumption",
        headers={"authorization": f"Bearer {token}"},
        params=params,
        route_params={"id": device},
        body=b"",
    )


def cpu_per_request(
    handler: Callable[[func.HttpRequest], func.HttpResponse],
    token: str,
    devices: list[str],
    mode: str,
    n: int,
) -> float:
    """Mean process CPU ms of n requests of `mode` (after a warm-up of 20)."""
    rng = random.Random(1)
    requests = [_request(token, rng.choice(devices), _params(mode, rng)) for _ in range(n + 20)]
    for req in requests[:20]:
        assert handler(req).status_code == 200
    started = time.process_time()
    for req in requests[20:]:
        handler(req)
    return (time.process_time() - started) * 1000 / n


def main() -> None:
    """Print CPU ms per request for each mode; optionally a cProfile of one mode."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--modes", default="day,month,year")
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", default="", help="mode to profile with cProfile")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--lines", type=int, default=45)
    parser.add_argument("--served", action="store_true", help="measure the host process")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--roots", default=str(REPO_ROOT), help="comma-separated checkouts")
    args = parser.parse_args()
    url = ensure_database("127.0.0.1", "root")
    assert DB_NAME in url
    modes = [m for m in args.modes.split(",") if m]
    if args.served:
        for root in args.roots.split(","):
            print(f"host from {root}")
            served_cpu(url, modes, args.n, args.concurrency, Path(root))
        return
    handler, token, devices = _setup(url)
    for mode in [m for m in args.modes.split(",") if m]:
        runs = [cpu_per_request(handler, token, devices, mode, args.n) for _ in range(args.rounds)]
        print(f"{mode:5s} CPU ms/request: " + "  ".join(f"{r:.2f}" for r in runs))
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        cpu_per_request(handler, token, devices, args.profile, args.n)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.lines)


def _proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def served_cpu(
    url: str, modes: list[str], n: int, concurrency: int, root: Path = REPO_ROOT
) -> None:
    """Host process CPU ms per request over HTTP (handler + the host's plumbing).

    `root`: the checkout whose host and app to run (A/B against another commit's export).
    """
    with local_host_process(url, root) as (base, proc):
        owned = device_ids_by_client(url)
        for mode in modes:
            _, _, _ = asyncio.run(load_n(base, owned, 50, concurrency, mode))  # warm-up
            before = _proc_cpu_seconds(proc.pid)
            started = time.perf_counter()
            count, errors, _ = asyncio.run(load_n(base, owned, n, concurrency, mode))
            cpu = _proc_cpu_seconds(proc.pid) - before
            wall = time.perf_counter() - started
            print(
                f"{mode:5s} served: host CPU {cpu * 1000 / count:.2f} ms/request "
                f"({count} requests, {errors} errors, {count / wall:.0f} req/s wall)"
            )


async def load_n(
    base: str, owned: dict[str, list[str]], n: int, concurrency: int, mode: str
) -> tuple[int, int, float]:
    """Send n requests over `concurrency` connections; return (count, errors, seconds)."""
    users = sorted(owned)[:concurrency]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        tokens = []
        for name in users:
            r = await client.post("/auth/login", json={"username": name, "password": PASSWORD})
            tokens.append(r.json()["access_token"])
        remaining = [n]
        errors = [0]

        async def worker(i: int) -> None:
            rng = random.Random(i)
            headers = {"Authorization": f"Bearer {tokens[i]}"}
            while remaining[0] > 0:
                remaining[0] -= 1
                path = f"/me/devices/{rng.choice(owned[users[i]])}/consumption"
                r = await client.get(path, params=_params(mode, rng), headers=headers)
                errors[0] += r.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(len(users))))
    return n, errors[0], time.perf_counter() - started


if __name__ == "__main__":
    main()
