"""Alert latency and alert truth.

Latency: 200 clients each own one device (max 1 kWh/h) and hold a WebSocket from
/api/realtime/negotiate. Each round, all 200 devices publish a reading that takes the current
hour over the maximum at the same moment (through RabbitMQ); the owner's socket must receive
`alert.opened`; the figure is publish -> arrival.

Truth: the team's sensor.csv (one reading per 10 minutes) is replayed shuffled, with 20 % sent
twice, into a device whose maximum is the 90th percentile of its hourly totals; once settled,
the active alerts are compared with the hours whose final total is over the maximum.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import httpx
import pika
from sqlalchemy import text

from bench.common import REPO_ROOT, bench_env, free_port, fresh_mariadb, percentile
from local.funchost.rabbitmq.topology import declare_topology
from local.funchost.server import host_command
from local.webpubsub.connstr import format_connection_string
from shared.db import create_db_engine
from shared.metering import Reading, hourly_energy
from shared.security.passwords import hash_password

DB = f"energy_bench_alerts_{os.getpid()}"
SENSOR_CSV = REPO_ROOT.parent / "shared" / "data" / "sensor.csv"
STEP_MS = 600_000
AMQP = os.environ.get("BENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
PASSWORD = "bench-client-password"
HOUR_MS = 3_600_000


def setup_database(clients: int) -> tuple[str, list[tuple[str, str, str]]]:
    """Fresh database with `clients` clients each owning one device: (user, username, device)."""
    url = fresh_mariadb(DB)
    pw = hash_password(PASSWORD)
    rows = [(str(uuid.uuid4()), f"alert{i:03d}", str(uuid.uuid4())) for i in range(clients)]
    engine = create_db_engine(url)
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO users (id, username, name, role, password_hash, token_version,"
                " created_at) VALUES (:u, :n, :n, 'client', :p, 0, NOW())"
            ),
            [{"u": u, "n": n, "p": pw} for u, n, _ in rows],
        )
        db.execute(
            text(
                "INSERT INTO devices (id, description, address, max_hourly_kwh, owner_id,"
                " key_hash, created_at) VALUES (:d, 'bench', 'bench', 1.0, :u, :k, NOW())"
            ),
            [{"d": d, "u": u, "k": uuid.uuid4().hex} for u, _, d in rows],
        )
    engine.dispose()
    return url, rows


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start a platform process (its log goes to BENCH_LOG when set, else nowhere)."""
    log_path = os.environ.get("BENCH_LOG")
    sink = open(log_path, "a") if log_path else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", *args], cwd=REPO_ROOT, env=env, stdout=sink, stderr=sink
    )


def wait_healthy(url: str, timeout: float = 60) -> None:
    """Wait for an HTTP 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy")


def declare_queue(queue: str) -> None:
    """Declare the measurements queue and its .dlq, as deployments do."""
    conn = pika.BlockingConnection(pika.URLParameters(AMQP))
    declare_topology(conn.channel(), queue)
    conn.close()


def publish(queue: str, messages: list[dict[str, object]]) -> float:
    """Publish persistent messages in one burst; return the time the burst started."""
    conn = pika.BlockingConnection(pika.URLParameters(AMQP))
    channel = conn.channel()
    props = pika.BasicProperties(delivery_mode=2, content_type="application/json")
    started = time.time()
    for message in messages:
        channel.basic_publish("", queue, json.dumps(message).encode(), props)
    conn.close()
    return started


async def listen(
    session: aiohttp.ClientSession,
    api: str,
    username: str,
    device_id: str,
    arrivals: dict[tuple[str, str], float],
    queued: dict[tuple[str, str], float],
    ready: asyncio.Event,
) -> None:
    """Log in, negotiate, and record when each alert for device_id arrives."""
    while True:  # 200 logins at once meet the bound on concurrent hashing: honour Retry-After
        r = await session.post(
            f"{api}/auth/login", json={"username": username, "password": PASSWORD}
        )
        if r.status != 429:
            break
        await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
    token = (await r.json())["access_token"]
    r = await session.post(
        f"{api}/realtime/negotiate", headers={"Authorization": f"Bearer {token}"}
    )
    url = (await r.json())["url"]
    async with session.ws_connect(url) as ws:
        ready.set()
        async for frame in ws:
            message = json.loads(frame.data)
            if message.get("type") == "alert.opened":
                alert = message["alert"]
                key = (alert["device_id"], alert["hour_start"])
                arrivals.setdefault(key, time.time())
                queued.setdefault(key, datetime.fromisoformat(message["sent_at"]).timestamp())


def round_messages(
    rows: list[tuple[str, str, str]], hour_ms: int, crossing: bool
) -> list[dict[str, object]]:
    """Baseline readings (0.5 kWh in the hour) or the crossing one (+1.5 kWh)."""
    out: list[dict[str, object]] = []
    for _, _, device in rows:
        if crossing:
            out.append(
                {"timestamp": hour_ms + 40 * 60_000, "device_id": device, "measurement_value": 2.0}
            )
        else:
            out += [
                {"timestamp": hour_ms + m * 60_000, "device_id": device, "measurement_value": v}
                for m, v in ((0, 0.0), (20, 0.5))
            ]
    return out


async def measure(
    api: str, queue: str, rows: list[tuple[str, str, str]], rounds: int
) -> tuple[list[float], list[float], int]:
    """Run the rounds; return latencies and pipeline parts (ms), and how many never arrived."""
    arrivals: dict[tuple[str, str], float] = {}
    queued: dict[tuple[str, str], float] = {}
    sent: dict[tuple[str, str], float] = {}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        readies = [asyncio.Event() for _ in rows]
        tasks = [
            asyncio.create_task(listen(session, api, n, d, arrivals, queued, e))
            for (_, n, d), e in zip(rows, readies, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in readies)), 120)
        now_hour = int(time.time() * 1000) // HOUR_MS * HOUR_MS
        for r in range(rounds):
            hour = now_hour - (rounds + 1 - r) * HOUR_MS
            stamp = time.strftime("%Y-%m-%dT%H:00:00+00:00", time.gmtime(hour / 1000))
            publish(queue, round_messages(rows, hour, crossing=False))
            await asyncio.sleep(3)  # baselines stored; no alert (0.5 kWh <= 1 kWh)
            started = await asyncio.to_thread(publish, queue, round_messages(rows, hour, True))
            for _, _, device in rows:
                sent[(device, stamp)] = started
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not all(k in arrivals for k in sent):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
    latencies = [(arrivals[k] - t) * 1000 for k, t in sent.items() if k in arrivals]
    pipeline = [(queued[k] - t) * 1000 for k, t in sent.items() if k in queued]
    return latencies, pipeline, len(sent) - len(latencies)


def shuffled_truth(url: str, queue: str, csv: str, seed: int) -> dict[str, int]:
    """Replay the CSV shuffled with 20 % duplicates into a p90-maximum device; count alerts."""
    values = [float(x) for x in open(csv).read().split() if x]  # noqa: SIM115
    hour0 = (int(time.time() * 1000) - 40 * 24 * HOUR_MS) // HOUR_MS * HOUR_MS
    readings = [Reading(hour0 + 3 * 60_000 + i * STEP_MS, v) for i, v in enumerate(values)]
    totals, estimated = hourly_energy(readings)
    ordered = sorted(totals.values())
    maximum = ordered[int(0.9 * (len(ordered) - 1))]
    true_hours = {h for h, kwh in totals.items() if kwh > maximum and h not in estimated}
    user, device = str(uuid.uuid4()), str(uuid.uuid4())
    engine = create_db_engine(url)
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO users (id, username, name, role, password_hash, token_version,"
                " created_at) VALUES (:u, :n, :n, 'client', 'x', 0, NOW())"
            ),
            {"u": user, "n": f"truth{seed}"},
        )
        db.execute(
            text(
                "INSERT INTO devices (id, description, address, max_hourly_kwh, owner_id,"
                " key_hash, created_at) VALUES (:d, 'truth', 'truth', :m, :u, :k, NOW())"
            ),
            {"d": device, "u": user, "m": maximum, "k": uuid.uuid4().hex},
        )
    messages = [
        {"timestamp": r.timestamp_ms, "device_id": device, "measurement_value": r.value_kwh}
        for r in readings
    ]
    rng = random.Random(seed)
    delivered = messages + rng.sample(messages, len(messages) // 5)
    rng.shuffle(delivered)
    publish(queue, delivered)
    deadline = time.monotonic() + 300
    count_sql = text("SELECT COUNT(*) FROM readings WHERE device_id = :d")
    while time.monotonic() < deadline:
        with engine.connect() as db:
            if db.execute(count_sql, {"d": device}).scalar() == len(readings):
                break
        time.sleep(0.5)
    time.sleep(2)  # duplicates still in flight change nothing; let them land
    with engine.connect() as db:
        rows = db.execute(
            text("SELECT hour_start_utc, state FROM alerts WHERE device_id = :d"), {"d": device}
        ).all()
    engine.dispose()
    active = {
        int(h.replace(tzinfo=UTC).timestamp() * 1000) for h, state in rows if state == "active"
    }
    return {
        "readings": len(readings),
        "delivered": len(delivered),
        "true_hours": len(true_hours),
        "alerts": len(rows),
        "active": len(active),
        "false_active": len(active - true_hours),
        "missed": len(true_hours - active),
        "cleared": sum(1 for _, state in rows if state == "cleared"),
    }


def drop_database() -> None:
    """Remove this run's database."""
    import pymysql

    conn = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{DB}`")
    conn.close()


def main() -> None:
    """Print p50/p99 alert latency with 200 devices publishing at once, then the truth runs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--csv", default=str(SENSOR_CSV), help="meter file for the truth run")
    parser.add_argument("--truth-runs", type=int, default=1)
    args = parser.parse_args()
    url, rows = setup_database(args.clients)
    queue = f"bench_alerts_{uuid.uuid4().hex[:8]}"
    declare_queue(queue)  # a deployment step: the RabbitMQ trigger never declares its queue
    twin_port, api_port = free_port(), free_port()
    connection = format_connection_string("127.0.0.1", twin_port, secrets.token_urlsafe(32))
    env = {
        **bench_env(url),
        "RABBITMQ_URL": AMQP,
        "MEASUREMENTS_QUEUE": queue,
        "WEBPUBSUB_CONNECTION_STRING": connection,
    }
    with ExitStack() as stack:
        for proc in (
            spawn(
                ["local.webpubsub", "--connection-string", connection, "--log-level", "WARNING"],
                env,
            ),
            spawn(
                host_command(
                    Path("functions/function_app.py"),
                    api_port,
                    log_level=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
                )[2:],  # spawn() adds the interpreter and -m
                env,
            ),
        ):
            stack.callback(proc.wait, 30)
            stack.callback(proc.terminate)
        api = f"http://127.0.0.1:{api_port}/api"
        wait_healthy(f"{api}/health")
        latencies, pipeline, missing = asyncio.run(measure(api, queue, rows, args.rounds))
        truths = [
            shuffled_truth(url, queue, args.csv, seed)
            for seed in range(args.truth_runs)
            if os.path.exists(args.csv)
        ]
    conn = pika.BlockingConnection(pika.URLParameters(AMQP))
    conn.channel().queue_delete(queue)
    conn.channel().queue_delete(f"{queue}.dlq")
    conn.close()
    print(
        f"alert latency, publish -> owner's WebSocket: {args.clients} devices crossing at once, "
        f"{args.rounds} rounds, RabbitMQ + local host + Web PubSub twin + MariaDB"
    )
    print(f"  alerts: {len(latencies)} received, {missing} missing")
    print(
        f"  latency ms: p50 {percentile(latencies, 50):.0f}  p90 {percentile(latencies, 90):.0f}"
        f"  p99 {percentile(latencies, 99):.0f}  max {max(latencies, default=0):.0f}"
    )
    print(
        f"  of which publish -> alert committed and queued for push: p50 "
        f"{percentile(pipeline, 50):.0f}  p99 {percentile(pipeline, 99):.0f}"
    )
    if not truths:
        why = "--truth-runs 0" if args.truth_runs == 0 else f"{args.csv} not found"
        print(f"  truth run skipped: {why}")
    for seed, t in enumerate(truths):
        print(
            f"alert truth, seed {seed}: {t['readings']} readings delivered as {t['delivered']} "
            f"(shuffled, 20 % twice), max = p90 of hourly totals"
        )
        print(
            f"  hours over max {t['true_hours']}; alerts {t['alerts']}: active {t['active']} "
            f"(false {t['false_active']}, missed {t['missed']}), cleared {t['cleared']}"
        )
    drop_database()


if __name__ == "__main__":
    main()
