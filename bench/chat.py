"""Chat through the gRPC-Web bridge with 200 conversations open.

Starts the chat service and the bridge as processes over a fresh database, opens one Subscribe
stream per client (200) plus an administrator's all-conversations stream, then measures the
latency from a SendMessage over the bridge to the other party's stream (p50/p99): paced, and
with every client sending at once (messages per second). Everything goes through raw gRPC-Web.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import insert

from bench.common import (
    BENCH_SECRET,
    REPO_ROOT,
    bench_env,
    free_port,
    fresh_mariadb,
    percentile,
)
from chat_container.gen.energy.chat.v1 import chat_pb2 as pb
from shared import migrate
from shared.aioloop import event_loop
from shared.db import create_db_engine
from shared.models import User
from shared.platform import build_platform
from shared.security.tokens import TokenClaims
from shared.settings import Settings

SERVICE = "/energy.chat.v1.ChatService"


@dataclass
class Latencies:
    """Send times by client_message_id, and the measured delays in ms."""

    sent_at: dict[str, float] = field(default_factory=dict)
    arrived: dict[str, asyncio.Event] = field(default_factory=dict)
    delays_ms: list[float] = field(default_factory=list)

    def expect(self, key: str) -> asyncio.Event:
        self.sent_at[key] = time.perf_counter()
        self.arrived[key] = asyncio.Event()
        return self.arrived[key]

    def saw(self, key: str) -> None:
        start = self.sent_at.pop(key, None)
        if start is not None:
            self.delays_ms.append((time.perf_counter() - start) * 1000)
            self.arrived.pop(key).set()


def make_users(url: str, clients: int) -> tuple[list[str], str]:
    """Insert clients and one admin directly (no password hashing); return their ids."""
    ids = [str(uuid.uuid4()) for _ in range(clients)]
    admin = str(uuid.uuid4())
    rows = [
        {"id": i, "username": f"c{n}-{i[:6]}", "name": f"Client {n}", "role": "client"}
        for n, i in enumerate(ids)
    ]
    rows.append({"id": admin, "username": f"admin-{admin[:6]}", "name": "Support", "role": "admin"})
    engine = create_db_engine(url)
    with engine.begin() as db:
        db.execute(insert(User), [{**r, "password_hash": "x", "token_version": 0} for r in rows])
    engine.dispose()
    return ids, admin


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of a process (this one by default); NaN where /proc is absent."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Processes:
    """The bridge's base URL and the pids whose CPU time the burst reports."""

    base: str
    pids: dict[str, int | None]

    def cpu(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) for name, pid in self.pids.items()}


@contextmanager
def processes(url: str) -> Iterator[Processes]:
    """Run the chat service and the bridge; yield the bridge's base URL and the pids."""
    chat_port, bridge_port = free_port(), free_port()
    env = {**bench_env(url), "CHAT_PORT": str(chat_port), "CHAT_HOST": "127.0.0.1"}
    env.pop("RABBITMQ_URL", None)
    upstream = f"127.0.0.1:{chat_port}"
    bridge = [
        sys.executable,
        "-m",
        "local.grpcweb",
        "--port",
        str(bridge_port),
        "--upstream",
        upstream,
        "--proto-module",
        "chat_container.gen.energy.chat.v1.chat_pb2",
    ]
    procs = [
        subprocess.Popen([sys.executable, "-m", "chat_container"], cwd=REPO_ROOT, env=env,
                         stderr=subprocess.DEVNULL),
        subprocess.Popen(bridge, cwd=REPO_ROOT, env=env, stderr=subprocess.DEVNULL),
    ]  # fmt: skip
    try:
        pids = {"chat": procs[0].pid, "bridge": procs[1].pid, "bench": None}
        yield Processes(f"http://127.0.0.1:{bridge_port}", pids)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


def frame(message: bytes) -> bytes:
    return b"\x00" + len(message).to_bytes(4, "big") + message


class Bridge:
    """Raw gRPC-Web calls through the bridge."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http = http
        self.base = base

    def headers(self, token: str) -> dict[str, str]:
        return {
            "content-type": "application/grpc-web+proto",
            "x-grpc-web": "1",
            "authorization": f"Bearer {token}",
        }

    async def unary(self, method: str, request: bytes, token: str) -> bytes:
        async with self.http.post(
            f"{self.base}{SERVICE}/{method}", data=frame(request), headers=self.headers(token)
        ) as response:
            body = await response.read()
            if response.headers.get("grpc-status", "0") != "0":
                raise RuntimeError(f"{method}: {response.headers.get('grpc-message')}")
            return body[5 : 5 + int.from_bytes(body[1:5], "big")]

    async def stream(self, token: str, on_message: Latencies, ready: asyncio.Event) -> None:
        request = frame(pb.SubscribeRequest().SerializeToString())
        async with self.http.post(
            f"{self.base}{SERVICE}/Subscribe", data=request, headers=self.headers(token)
        ) as response:
            while True:
                header = await response.content.readexactly(5)
                payload = await response.content.readexactly(int.from_bytes(header[1:], "big"))
                if header[0] & 0x80:
                    return
                event = pb.ChatEvent.FromString(payload)
                kind = event.WhichOneof("event")
                if kind == "ready":
                    ready.set()
                elif kind == "message":
                    on_message.saw(event.message.client_message_id)


async def wait_healthy(bridge: Bridge, token: str) -> None:
    for _ in range(200):
        try:
            await bridge.unary("ListConversations", b"", token)
            return
        except (aiohttp.ClientError, RuntimeError):
            await asyncio.sleep(0.1)
    raise RuntimeError("the chat service did not come up through the bridge")


async def send(bridge: Bridge, token: str, conversation: str, latencies: Latencies) -> None:
    key = uuid.uuid4().hex
    arrived = latencies.expect(key)
    request = pb.SendMessageRequest(
        conversation_id=conversation, text="ping", client_message_id=key
    )
    await bridge.unary("SendMessage", request.SerializeToString(), token)
    await asyncio.wait_for(arrived.wait(), 30)


async def run(
    procs: Processes, tokens: list[str], admin_token: str, args: argparse.Namespace
) -> None:
    base = procs.base
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        bridge = Bridge(http, base)
        await wait_healthy(bridge, admin_token)
        conversations = []
        for token in tokens:  # each client's conversation is created on first use
            listed = pb.ListConversationsResponse.FromString(
                await bridge.unary("ListConversations", b"", token)
            )
            conversations.append(listed.conversations[0].conversation_id)
        to_admin, to_clients = Latencies(), Latencies()
        readies = [asyncio.Event() for _ in range(len(tokens) + 1)]
        streams = [
            asyncio.create_task(bridge.stream(token, to_clients, ready))
            for token, ready in zip(tokens, readies, strict=False)
        ]
        streams.append(asyncio.create_task(bridge.stream(admin_token, to_admin, readies[-1])))
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
        print(f"{len(streams)} streams open ({len(tokens)} clients + 1 administrator)")

        # Warm-up, not measured: fills connection pools and caches. Every client sends at the
        # same time, so each holds its own keep-alive connection to the bridge afterwards, as a
        # browser with the chat open does; one at a time, they would all share one connection
        # and the burst would open ~200 (about 110 ms per first message here). `--cold` keeps
        # that: the warm-up sends one at a time.
        warm_up = Latencies()
        to_admin.__dict__.update(warm_up.__dict__)
        warmed = range(min(args.warm_up, len(tokens)))
        if args.cold:
            for n in warmed:
                await send(bridge, tokens[n], conversations[n], to_admin)
        else:
            await asyncio.gather(
                *(send(bridge, tokens[n], conversations[n], to_admin) for n in warmed)
            )
        to_admin.__dict__.update(Latencies().__dict__)

        for label, latencies, senders in (
            ("client -> admin", to_admin, tokens),
            ("admin -> client", to_clients, [admin_token] * len(tokens)),
        ):
            started = time.perf_counter()
            for i in range(args.paced):
                n = i % len(tokens)
                await send(bridge, senders[n], conversations[n], latencies)
                await asyncio.sleep(max(0.0, started + (i + 1) / args.rate - time.perf_counter()))
            report(f"paced {args.rate}/s, {label}", latencies.delays_ms)

        burst = Latencies()
        to_admin.__dict__.update(burst.__dict__)  # admin's stream now records into `burst`
        started, cpu_before = time.perf_counter(), procs.cpu()

        async def client_loop(n: int) -> None:
            for _ in range(args.burst):
                await send(bridge, tokens[n], conversations[n], to_admin)

        await asyncio.gather(*(client_loop(n) for n in range(len(tokens))))
        elapsed = time.perf_counter() - started
        cpu_after = procs.cpu()
        total = len(tokens) * args.burst
        report(f"all {len(tokens)} clients at once, client -> admin", to_admin.delays_ms)
        print(f"  throughput: {total} messages in {elapsed:.2f} s = {total / elapsed:.0f} msg/s")
        per_message = {
            name: (cpu_after[name] - cpu_before[name]) * 1000 / total for name in cpu_after
        }
        print("  CPU per message: " + ", ".join(f"{k} {v:.3f} ms" for k, v in per_message.items()))
        for task in streams:
            task.cancel()
        await asyncio.gather(*streams, return_exceptions=True)


def report(label: str, delays_ms: list[float]) -> None:
    print(
        f"{label}: n={len(delays_ms)} p50={percentile(delays_ms, 50):.1f} ms "
        f"p99={percentile(delays_ms, 99):.1f} ms max={max(delays_ms):.1f} ms"
    )


def main() -> None:
    """Run the chat benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--paced", type=int, default=400, help="paced messages per direction")
    parser.add_argument("--rate", type=float, default=100.0, help="paced messages per second")
    parser.add_argument("--burst", type=int, default=10, help="messages per client in the burst")
    parser.add_argument(
        "--warm-up", type=int, default=200, help="unmeasured messages first (one per client)"
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="warm up one message at a time (the burst then opens most clients' connections)",
    )
    parser.add_argument("--database-url", help="an empty database (default: a fresh SQLite file)")
    parser.add_argument(
        "--mariadb", action="store_true", help="a fresh database on the local MariaDB instead"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.mariadb:
            url = fresh_mariadb("energy_bench_chat")  # migrated
        else:
            url = args.database_url or f"sqlite:///{Path(tmp) / 'chat-bench.db'}"
            migrate.upgrade(url)
        client_ids, admin_id = make_users(url, args.clients)
        issuer = build_platform(Settings(DATABASE_URL=url, JWT_SECRET=BENCH_SECRET)).tokens
        tokens = [issuer.issue(TokenClaims(i, "client", 0, "access")) for i in client_ids]
        admin_token = issuer.issue(TokenClaims(admin_id, "admin", 0, "access"))
        backend = url.split("://")[0]
        print(f"database: {backend}; chat service and bridge in their own processes")
        with processes(url) as procs:
            # the load generator on the bridge's loop too (uvloop where installed): it shares
            # the two cores with what it measures, so the cheaper it is the fairer the figure
            runner = asyncio.Runner(loop_factory=event_loop)
            with runner:
                runner.run(run(procs, tokens, admin_token, args))


if __name__ == "__main__":
    main()
