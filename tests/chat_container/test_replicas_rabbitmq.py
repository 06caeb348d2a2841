"""Two chat server processes sharing the real RabbitMQ see each other's events live."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aio_pika
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from chat_container.gen.energy.chat.v1 import chat_pb2 as pb
from chat_container.gen.energy.chat.v1 import chat_pb2_grpc
from chat_container.rabbit import RabbitBus
from chat_container.server import start_server
from shared.platform import Platform
from tests.chat_container.support import (
    People,
    chat_config,
    next_event,
    own_conversation,
    send,
    subscribe_ready,
)
from tests.utils.services import unavailable

pytestmark = pytest.mark.rabbitmq

RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
REPO_ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def broker() -> str:
    try:
        connection = await aio_pika.connect(RABBITMQ_URL, timeout=5)
    except Exception as exc:
        unavailable("RabbitMQ", f"{RABBITMQ_URL}: {exc!r}")
    await connection.close()
    return RABBITMQ_URL


@pytest.fixture
def replicas(migrated_url: str, broker: str, tmp_path: Path) -> Iterator[list[int]]:
    exchange = f"chat.events.test-{uuid.uuid4().hex[:8]}"
    ports = [_free_port(), _free_port()]
    procs = []
    logs = []
    for i, port in enumerate(ports):
        env = {
            **os.environ,
            "DATABASE_URL": migrated_url,
            "RABBITMQ_URL": broker,
            "CHAT_PORT": str(port),
            "CHAT_HOST": "127.0.0.1",
            "CHAT_EVENTS_EXCHANGE": exchange,
            "CHAT_TYPING_TTL_S": "1",
        }
        log = (tmp_path / f"replica{i}.log").open("w")
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "chat_container"],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
        codes = [proc.wait(timeout=20) for proc in procs]
        for log in logs:
            log.close()
        assert codes == [0, 0], "a replica did not stop cleanly on SIGTERM"
        # the CLI serves on uvloop (shared/aioloop.py) where it is installed, as in the image
        expected = "event loop: asyncio" if sys.platform == "win32" else "event loop: uvloop"
        for i in range(len(ports)):
            assert expected in (tmp_path / f"replica{i}.log").read_text()


@pytest.fixture
async def stubs(replicas: list[int]) -> AsyncIterator[list[chat_pb2_grpc.ChatServiceAsyncStub]]:
    channels = [grpc.aio.insecure_channel(f"127.0.0.1:{port}") for port in replicas]
    try:
        for channel in channels:
            await _wait_serving(channel)
        yield [chat_pb2_grpc.ChatServiceStub(channel) for channel in channels]  # type: ignore[misc]
    finally:
        for channel in channels:
            await channel.close()


async def _wait_serving(channel: grpc.aio.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    request = health_pb2.HealthCheckRequest(service="energy.chat.v1.ChatService")
    for _ in range(150):
        try:
            reply = await health.Check(request, timeout=1)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.aio.AioRpcError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("replica did not become SERVING")


async def test_a_client_on_one_replica_and_an_admin_on_the_other_talk_live(
    stubs: list[chat_pb2_grpc.ChatServiceAsyncStub], people: People
) -> None:
    one, two = stubs
    conversation = await own_conversation(one, people.client1)
    client_stream, _ = await subscribe_ready(one, people.client1)
    admin_stream, _ = await subscribe_ready(two, people.admin1)

    sent = await send(one, people.client1, "", "hello via replica one")
    got = (await next_event(admin_stream, "message")).message
    assert (got.conversation_id, got.seq, got.text) == (conversation, sent.seq, sent.text)

    reply = await send(two, people.admin1, conversation, "answer via replica two")
    while (got := (await next_event(client_stream, "message")).message).seq != reply.seq:
        pass
    assert got.text == "answer via replica two"

    typing = pb.SetTypingRequest(conversation_id=conversation)
    assert (await two.SetTyping(typing, metadata=people.admin1.metadata)).accepted
    assert (await next_event(client_stream, "typing")).typing.typing
    seen = pb.MarkSeenRequest(up_to_seq=reply.seq)
    await one.MarkSeen(seen, metadata=people.client1.metadata)
    assert (await next_event(admin_stream, "seen")).seen.seen_seq == reply.seq
    client_stream.cancel()
    admin_stream.cancel()


def _close_connection_on_the_broker(name: str) -> bool:
    """Close, with rabbitmqctl, only the connection that named itself `name`."""
    if shutil.which("rabbitmqctl") is None:
        return False
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", "--no-table-headers", "pid", "client_properties"],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    marker = f'{{"connection_name","{name}"}}'
    pids = [line.split("\t")[0] for line in listed.stdout.splitlines() if marker in line]
    for pid in pids:
        subprocess.run(
            ["rabbitmqctl", "-q", "close_connection", pid, "chat test cut"],
            capture_output=True,
            timeout=20,
            check=False,
        )
    return bool(pids)


async def test_after_a_broker_reconnect_streams_end_and_resume_without_loss(
    platform: Platform, people: People, broker: str
) -> None:
    exchange = f"chat.events.test-{uuid.uuid4().hex[:8]}"
    running = await start_server(
        chat_config(exchange=exchange), platform=platform, rabbitmq_url=broker
    )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = chat_pb2_grpc.ChatServiceStub(channel)
            conversation = await own_conversation(stub, people.client1)
            stream, _ = await subscribe_ready(stub, people.client1)
            first = await send(stub, people.admin1, conversation, "before the cut")
            assert (await next_event(stream, "message")).message.seq == first.seq

            assert isinstance(running.bus, RabbitBus)
            if not await asyncio.to_thread(
                _close_connection_on_the_broker, running.bus.connection_name
            ):
                pytest.skip("rabbitmqctl cannot close connections here")
            with pytest.raises(grpc.aio.AioRpcError) as ended:
                async with asyncio.timeout(20):
                    while True:
                        assert await stream.read() is not grpc.aio.EOF
            assert ended.value.code() == grpc.StatusCode.UNAVAILABLE

            later = await send(stub, people.admin1, conversation, "after the cut")
            stream, replayed = await subscribe_ready(
                stub, people.client1, resume={conversation: first.seq}
            )
            assert [m.seq for m in replayed] == [later.seq]
            again = await send(stub, people.admin1, conversation, "live again")
            assert (await next_event(stream, "message")).message.seq == again.seq
            stream.cancel()
    finally:
        await running.stop()
