"""End-to-end ingestion through the real RabbitMQ and the local host into MariaDB.

Prints, from one run: the raw broker rate (publish, then consume with no work), the platform's
rate on the same workload (200 devices, in order plus 10 % redelivered and 5 % late readings)
through the local host with the RabbitMQ trigger's real semantics (one message per invocation;
the function drains the queue behind it), a naive pipeline (prefetch 1, one transaction per
message) as the baseline, and the kit's batched anchor on the same broker and database server.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pika
from sqlalchemy import func, select, text

from bench.common import REPO_ROOT, bench_env, free_port, fresh_mariadb
from local.funchost.server import host_command
from shared.db import create_db_engine, session_factory, transaction
from shared.ingestion.messages import parse_body
from shared.ingestion.service import ingest
from shared.ingestion.store import hour_ms
from shared.metering import Reading, hourly_totals
from shared.models import HourlyConsumption, StoredReading

DB = "energy_bench_ingest"
ANCHOR_DB = "energy_bench_anchor"
AMQP = os.environ.get("BENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
STEP_MS = 600_000


def fresh_database(devices: int) -> tuple[str, list[str]]:
    """Recreate the bench database with `devices` devices; return its URL and the ids."""
    url = fresh_mariadb(DB)
    ids = [str(uuid.uuid4()) for _ in range(devices)]
    engine = create_db_engine(url)
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO devices (id, description, address, max_hourly_kwh, key_hash,"
                " created_at) VALUES (:id, 'bench', 'bench', 3.0, :k, NOW())"
            ),
            [{"id": i, "k": uuid.uuid4().hex} for i in ids],
        )
    engine.dispose()
    return url, ids


def workload(
    ids: list[str], per_device: int, rng: random.Random
) -> tuple[list[bytes], dict[str, list[Reading]]]:
    """Interleaved in-order readings, then 5 % moved late and 10 % redelivered."""
    start = (int(time.time() * 1000) - (per_device + 10) * STEP_MS) // STEP_MS * STEP_MS
    series: dict[str, list[Reading]] = {}
    for device_id in ids:
        value, readings = rng.uniform(100, 5000), []
        for i in range(per_device):
            value += rng.uniform(0.0, 0.6)
            readings.append(Reading(start + i * STEP_MS, round(value, 4)))
        series[device_id] = readings
    ordered = [
        json.dumps(
            {"timestamp": r.timestamp_ms, "device_id": d, "measurement_value": r.value_kwh}
        ).encode()
        for i in range(per_device)
        for d, rs in series.items()
        for r in (rs[i],)
    ]
    late = set(rng.sample(range(len(ordered)), len(ordered) // 20))
    stream = [m for i, m in enumerate(ordered) if i not in late]
    for i in sorted(late):
        stream.insert(min(len(stream), i + rng.randint(200, 2000)), ordered[i])
    for body in rng.sample(ordered, len(ordered) // 10):  # a redelivery comes after the original
        stream.insert(rng.randint(stream.index(body) + 1, len(stream)), body)
    return stream, series


def publish(queue: str, bodies: list[bytes], *, dlq_args: bool) -> float:
    """Publish persistent messages; return the publish rate."""
    conn = pika.BlockingConnection(pika.URLParameters(AMQP))
    channel = conn.channel()
    args = {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": f"{queue}.dlq"}
    channel.queue_declare(queue, durable=True, arguments=args if dlq_args else None)
    channel.queue_declare(f"{queue}.dlq", durable=True)
    channel.queue_purge(queue)
    props = pika.BasicProperties(delivery_mode=2, content_type="application/json")
    started = time.perf_counter()
    for body in bodies:
        channel.basic_publish("", queue, body, props)
    conn.process_data_events(0)
    conn.close()
    return len(bodies) / (time.perf_counter() - started)


def raw_consume(queue: str, expected: int) -> float:
    """Consume `expected` messages doing no work (prefetch 1000, ack every 500); return rate."""
    conn = pika.BlockingConnection(pika.URLParameters(AMQP))
    channel = conn.channel()
    channel.basic_qos(prefetch_count=1000)
    seen = 0
    started = time.perf_counter()
    for method, _props, _body in channel.consume(queue, inactivity_timeout=5):
        if method is None:
            break
        seen += 1
        if seen % 500 == 0 or seen == expected:
            channel.basic_ack(method.delivery_tag, multiple=True)
        if seen == expected:
            break
    elapsed = time.perf_counter() - started
    channel.cancel()
    channel.queue_delete(queue)
    channel.queue_delete(f"{queue}.dlq")
    conn.close()
    return seen / elapsed


def wait_until(check: Callable[[], bool], timeout: float, poll: float = 0.05) -> float:
    """Wait for check(); return the time it became true."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if check():
            return time.perf_counter()
        time.sleep(poll)
    raise TimeoutError("benchmark did not finish in time")


def platform_rate(url: str, queue: str, bodies: list[bytes], unique: int) -> float:
    """Pre-fill the queue, start the host; messages/s between the first and the last commit."""
    publish(queue, bodies, dlq_args=True)
    env = {
        **bench_env(url),
        "RABBITMQ_URL": AMQP,
        "MEASUREMENTS_QUEUE": queue,
        "WEBPUBSUB_CONNECTION_STRING": "",
    }
    command = host_command(Path("functions/function_app.py"), free_port(), log_level="WARNING")
    proc = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL)
    sessions = session_factory(url)

    def count() -> int:
        with sessions() as session:
            return session.scalar(select(func.count()).select_from(StoredReading)) or 0

    try:
        first = wait_until(lambda: count() > 0, 120)
        stored_at_first = count()
        done = wait_until(lambda: count() >= unique, 600)
    finally:
        proc.terminate()
        proc.wait(30)
    # Rate over what was stored after the first commit was seen (the host's start-up excluded).
    return len(bodies) * (1 - stored_at_first / unique) / (done - first)


def naive_rate(url: str, queue: str, bodies: list[bytes], seconds: float) -> float:
    """Prefetch 1, one transaction per message, ack each: the original design."""
    publish(queue, bodies, dlq_args=False)
    sessions = session_factory(url)
    conn = pika.BlockingConnection(pika.URLParameters(AMQP))
    channel = conn.channel()
    channel.basic_qos(prefetch_count=1)
    done, started = 0, time.perf_counter()
    for method, _props, body in channel.consume(queue, inactivity_timeout=5):
        if method is None or time.perf_counter() - started > seconds:
            break
        with transaction(sessions) as session:
            ingest(session, [parse_body(body, now_ms=int(time.time() * 1000))])
        channel.basic_ack(method.delivery_tag)
        done += 1
    elapsed = time.perf_counter() - started
    channel.cancel()
    channel.queue_delete(queue)
    channel.queue_delete(f"{queue}.dlq")
    conn.close()
    return done / elapsed


def kit_dir() -> Path:
    """The team's reference kit (ENERGY_KIT_DIR, default ../shared beside the checkout)."""
    return Path(os.environ.get("ENERGY_KIT_DIR", REPO_ROOT.parent / "shared"))


def anchor_rate(messages: int, devices: int) -> float | None:
    """The kit's simple batched pipeline on the same broker and database server, or None."""
    script = kit_dir() / "bench" / "batched_pipeline.py"
    if not script.is_file():
        return None
    import pymysql

    conn = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{ANCHOR_DB}`")
        cur.execute(f"CREATE DATABASE `{ANCHOR_DB}` CHARACTER SET utf8mb4")
    conn.close()
    env = {
        **os.environ,
        "AMQP_URL": AMQP,
        "DB_URL": f"mysql://root:@127.0.0.1:3306/{ANCHOR_DB}",
        "N": str(messages),
        "DEVICES": str(devices),
        "QUEUE": f"bench.anchor.{uuid.uuid4().hex[:8]}",
    }
    result = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=900
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        print(f"  anchor failed: {result.stderr[-500:]}", file=sys.stderr)
        return None
    return float(json.loads(lines[-1])["msg_s"])


def check_totals(url: str, series: dict[str, list[Reading]], sample: int) -> int:
    """Compare stored hourly totals with the pure in-order recompute; return mismatches."""
    sessions = session_factory(url)
    bad = 0
    for device_id in list(series)[:sample]:
        expected = hourly_totals(series[device_id])
        with sessions() as session:
            rows = session.execute(
                select(HourlyConsumption.hour_start_utc, HourlyConsumption.energy_kwh).where(
                    HourlyConsumption.device_id == device_id
                )
            ).all()
        got = {hour_ms(h): kwh for h, kwh in rows}
        bad += sum(1 for h, kwh in expected.items() if abs(got.get(h, -1.0) - kwh) > 1e-6)
    return bad


def main() -> None:
    """Run the three measurements and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--readings", type=int, default=100, help="per device")
    parser.add_argument("--naive-seconds", type=float, default=10.0)
    args = parser.parse_args()
    rng = random.Random(11)
    url, ids = fresh_database(args.devices)
    bodies, series = workload(ids, args.readings, rng)
    unique = args.devices * args.readings
    tag = uuid.uuid4().hex[:8]
    raw_pub = publish(f"bench_raw_{tag}", bodies, dlq_args=False)
    raw = raw_consume(f"bench_raw_{tag}", len(bodies))
    rate = platform_rate(url, f"bench_measurements_{tag}", bodies, unique)
    mismatches = check_totals(url, series, sample=args.devices)
    anchor = anchor_rate(len(bodies), args.devices)
    url_naive, ids_naive = fresh_database(args.devices)
    naive_bodies, _ = workload(ids_naive, args.readings, random.Random(12))
    naive = naive_rate(url_naive, f"bench_naive_{tag}", naive_bodies, args.naive_seconds)
    print(
        f"workload: {args.devices} devices x {args.readings} readings = {unique} unique, "
        f"{len(bodies)} messages (10 % redelivered, 5 % late); RabbitMQ -> MariaDB"
    )
    print(f"  raw broker:   publish {raw_pub:,.0f} msg/s, consume (no work) {raw:,.0f} msg/s")
    print(
        f"  platform:     {rate:,.0f} messages/s through the local host "
        f"({rate / raw:.0%} of the raw consume rate); hourly mismatches vs reference: "
        f"{mismatches}"
    )
    print(
        f"  naive (prefetch 1, 1 tx/msg): {naive:,.0f} messages/s  -> platform is "
        f"{rate / naive:.0f}x faster"
    )
    if anchor is None:
        print(f"  anchor:       not run (no {kit_dir() / 'bench' / 'batched_pipeline.py'})")
    else:
        print(
            f"  anchor:       kit batched_pipeline.py {anchor:,.0f} msg/s (in-order data only) "
            f"-> platform/anchor = {rate / anchor:.2f}x"
        )


if __name__ == "__main__":
    main()
