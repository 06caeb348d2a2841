"""The gRPC-Web bridge in front of the real chat server, spoken to over raw HTTP."""

from __future__ import annotations

import asyncio
import base64
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from chat_container.gen.energy.chat.v1 import chat_pb2 as pb
from chat_container.server import RunningServer, start_server
from local.grpcweb.bridge import UNARY_METHODS, create_app, unary_methods
from local.grpcweb.wire import (
    TRAILERS,
    FrameError,
    decode_text,
    encode_frame,
    grpc_timeout_seconds,
    parse_frames,
    parse_trailer_block,
    percent_encode,
    request_message,
)
from shared import migrate
from shared.db import session_factory, transaction
from shared.platform import Platform, build_platform
from shared.settings import Settings
from tests.chat_container.support import chat_config, issue_token
from tests.utils.factories import make_user

SERVICE = "/energy.chat.v1.ChatService"
REPO_ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "http://localhost:5173"


@dataclass
class Env:
    base: str
    server: RunningServer
    client_token: str
    admin_token: str
    http: aiohttp.ClientSession


@pytest.fixture(scope="module")
def chat_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('chat') / 'chat.db'}"
    migrate.upgrade(url)
    return url


# "unary": unary methods relayed as unary calls (as local.run and the bench configure the bridge);
# "stream": every method relayed as a server stream (the bridge told nothing about the service).
@pytest.fixture(params=["unary", "stream"])
async def env(chat_db: str, request: pytest.FixtureRequest) -> AsyncIterator[Env]:
    platform: Platform = build_platform(Settings(DATABASE_URL=chat_db))
    sessions: sessionmaker[Session] = session_factory(chat_db)
    with transaction(sessions) as session:
        client = make_user(session, role="client")
        admin = make_user(session, role="admin")
        ids = (client.id, admin.id)
    server = await start_server(chat_config(), platform=platform, rabbitmq_url=None)
    unary = unary_methods(pb.DESCRIPTOR) if request.param == "unary" else ()
    runner = web.AppRunner(
        create_app(f"127.0.0.1:{server.port}", allow_origins=[ORIGIN], unary=unary),
        handler_cancellation=True,
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as http:
        yield Env(
            f"http://127.0.0.1:{port}",
            server,
            issue_token(platform, ids[0], "client"),
            issue_token(platform, ids[1], "admin"),
            http,
        )
    await runner.cleanup()
    await server.stop()


def headers(token: str | None, *, text: bool = False) -> dict[str, str]:
    kind = "application/grpc-web-text" if text else "application/grpc-web+proto"
    found = {"content-type": kind, "x-grpc-web": "1", "origin": ORIGIN, "grpc-timeout": "9S"}
    if token:
        found["authorization"] = f"Bearer {token}"
    return found


async def call(env: Env, method: str, message: Any, token: str | None, *, text: bool = False):  # type: ignore[no-untyped-def]
    body = encode_frame(message.SerializeToString())
    if text:
        body = base64.b64encode(body)
    return await env.http.post(
        f"{env.base}{SERVICE}/{method}", data=body, headers=headers(token, text=text)
    )


async def unary(env: Env, method: str, message: Any, token: str | None, *, text: bool = False):  # type: ignore[no-untyped-def]
    response = await call(env, method, message, token, text=text)
    body = await response.read()
    return response, parse_frames(decode_text(body) if text else body)


class FrameReader:
    """Reads frames from a streaming response as they arrive (binary or text)."""

    def __init__(self, response: aiohttp.ClientResponse, *, text: bool) -> None:
        self.response = response
        self.text = text
        self.raw = b""
        self.decoded = b""

    async def next(self) -> tuple[int, bytes]:
        async with asyncio.timeout(5):
            while True:
                frames = self._complete()
                if frames is not None:
                    return frames
                chunk = await self.response.content.readany()
                assert chunk, "stream ended"
                self.raw += chunk

    def _complete(self) -> tuple[int, bytes] | None:
        if self.text:
            usable = len(self.raw) - len(self.raw) % 4
            self.decoded += decode_text(self.raw[:usable])
            self.raw = self.raw[usable:]
        else:
            self.decoded, self.raw = self.decoded + self.raw, b""
        if len(self.decoded) < 5:
            return None
        length = int.from_bytes(self.decoded[1:5], "big")
        if len(self.decoded) < 5 + length:
            return None
        flag, payload = self.decoded[0], self.decoded[5 : 5 + length]
        self.decoded = self.decoded[5 + length :]
        return flag, payload

    async def event(self) -> pb.ChatEvent:
        flag, payload = await self.next()
        assert flag == 0, parse_trailer_block(payload)
        return pb.ChatEvent.FromString(payload)


@pytest.mark.parametrize("text", [False, True], ids=["binary", "text"])
async def test_unary_call_returns_a_data_frame_then_an_ok_trailer_frame(
    env: Env, text: bool
) -> None:
    response, frames = await unary(
        env, "ListConversations", pb.ListConversationsRequest(), env.client_token, text=text
    )
    assert response.status == 200
    expected = "application/grpc-web-text+proto" if text else "application/grpc-web+proto"
    assert response.headers["content-type"] == expected
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "grpc-status" in response.headers["access-control-expose-headers"]
    (data_flag, data), (trailer_flag, trailer) = frames
    assert (data_flag, trailer_flag) == (0, TRAILERS)
    assert len(pb.ListConversationsResponse.FromString(data).conversations) == 1
    assert parse_trailer_block(trailer)["grpc-status"] == "0"


@pytest.mark.parametrize("text", [False, True], ids=["binary", "text"])
async def test_server_streaming_is_flushed_message_by_message(env: Env, text: bool) -> None:
    response = await call(env, "Subscribe", pb.SubscribeRequest(), env.client_token, text=text)
    assert response.status == 200
    reader = FrameReader(response, text=text)
    assert (await reader.event()).WhichOneof("event") == "ready"
    for i in range(3):
        await unary(
            env, "SendMessage", pb.SendMessageRequest(text=f"over the bridge {i}"), env.client_token
        )
        event = await reader.event()
        assert event.message.text == f"over the bridge {i}"
    response.close()


async def test_errors_before_any_message_are_trailers_only(env: Env) -> None:
    response, frames = await unary(
        env, "SendMessage", pb.SendMessageRequest(text=""), env.client_token
    )
    assert response.status == 200 and frames == []
    assert response.headers["grpc-status"] == "3"
    assert "empty" in response.headers["grpc-message"]
    response, frames = await unary(env, "ListConversations", pb.ListConversationsRequest(), None)
    assert (response.headers["grpc-status"], frames) == ("16", [])
    response, frames = await unary(
        env, "GetHistory", pb.GetHistoryRequest(after_seq=10**6), env.client_token, text=True
    )
    assert response.headers["grpc-status"] == "11"  # OUT_OF_RANGE
    assert "future" in response.headers["grpc-message"]
    response, _ = await unary(env, "NoSuchMethod", pb.ListConversationsRequest(), None)
    assert response.headers["grpc-status"] == "12"  # UNIMPLEMENTED


async def test_an_error_after_messages_arrives_in_the_trailer_frame(env: Env) -> None:
    response = await call(env, "Subscribe", pb.SubscribeRequest(), env.admin_token)
    reader = FrameReader(response, text=False)
    assert (await reader.event()).WhichOneof("event") == "ready"
    await env.server.stop()  # graceful shutdown ends streams with UNAVAILABLE
    flag, payload = await reader.next()
    assert flag == TRAILERS
    trailer = parse_trailer_block(payload)
    response.close()
    assert trailer["grpc-status"] == "14" and "shutting down" in trailer["grpc-message"]


async def test_client_disconnect_cancels_the_upstream_stream(env: Env) -> None:
    response = await call(env, "Subscribe", pb.SubscribeRequest(), env.client_token)
    await FrameReader(response, text=False).event()
    assert env.server.servicer.live_streams == 1
    response.close()
    for _ in range(100):
        if not env.server.servicer.live_streams:
            break
        await asyncio.sleep(0.05)
    assert env.server.servicer.live_streams == 0


async def test_cors_preflight_allows_the_grpc_web_headers(env: Env) -> None:
    response = await env.http.options(
        f"{env.base}{SERVICE}/Subscribe",
        headers={
            "origin": ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization,content-type,x-grpc-web",
        },
    )
    response.release()
    assert response.status == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    allowed = response.headers["access-control-allow-headers"].split(",")
    for header in ("authorization", "content-type", "x-grpc-web", "grpc-timeout", "x-user-agent"):
        assert header in allowed
    assert "POST" in response.headers["access-control-allow-methods"]
    assert int(response.headers["access-control-max-age"]) > 0


async def test_malformed_requests_get_clear_answers(env: Env) -> None:
    url = f"{env.base}{SERVICE}/ListConversations"
    async with env.http.post(
        url, data=b"\x00\x00\x00\x00\x09abc", headers=headers(None)
    ) as response:
        assert response.headers["grpc-status"] == "3"
        assert "frame" in response.headers["grpc-message"]
    async with env.http.post(
        url, data=b"{}", headers={"content-type": "application/json"}
    ) as response:
        assert response.status == 415
    async with env.http.get(url) as response:  # every response released: no unclosed sockets
        assert response.status == 405


def test_text_bodies_decode_chunk_by_chunk() -> None:
    frames = [encode_frame(b"a"), encode_frame(b"bc"), encode_frame(b"k: v\r\n", TRAILERS)]
    body = b"".join(base64.b64encode(frame) for frame in frames)  # each chunk padded
    assert parse_frames(decode_text(body)) == [(0, b"a"), (0, b"bc"), (TRAILERS, b"k: v\r\n")]
    with pytest.raises(FrameError):
        decode_text(b"!!!!")
    with pytest.raises(FrameError):
        request_message(encode_frame(b"a") + encode_frame(b"b"))


def test_wire_helpers() -> None:
    assert percent_encode("50% ok é") == "50%25 ok %C3%A9"
    assert grpc_timeout_seconds("3000m") == 3.0
    assert grpc_timeout_seconds("2S") == 2.0
    assert grpc_timeout_seconds("bogus") is None
    assert request_message(b"") == b""


@pytest.fixture
def bridge_process(bridge_proc: tuple[int, subprocess.Popen[bytes]]) -> int:
    return bridge_proc[0]


@pytest.fixture
def bridge_proc() -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local.grpcweb",
            "--port",
            str(port),
            "--upstream",
            "127.0.0.1:1",
            "--proto-module",
            "chat_container.gen.energy.chat.v1.chat_pb2",
        ],
        cwd=REPO_ROOT,
    )
    yield port, proc
    proc.terminate()
    proc.wait(timeout=10)


async def test_the_bridge_runs_as_a_module(bridge_process: int) -> None:
    url = f"http://127.0.0.1:{bridge_process}{SERVICE}/ListConversations"
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            try:
                response = await http.post(url, data=encode_frame(b""), headers=headers(None))
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
        response.release()
        assert response.headers["grpc-status"] == "14"  # upstream unreachable: UNAVAILABLE
        async with http.post(
            f"http://127.0.0.1:{bridge_process}{SERVICE}/Subscribe",
            data=encode_frame(b""),
            headers=headers(None),
        ) as streamed:
            assert streamed.headers["grpc-status"] == "14"  # the streaming path says the same


def test_unary_methods_are_read_from_the_descriptor() -> None:
    found = unary_methods(pb.DESCRIPTOR)
    assert f"{SERVICE}/SendMessage" in found and f"{SERVICE}/ListConversations" in found
    assert f"{SERVICE}/Subscribe" not in found  # server streaming
    assert create_app("127.0.0.1:1", unary=found)[UNARY_METHODS] == found
    assert create_app("127.0.0.1:1")[UNARY_METHODS] == frozenset()


async def test_cors_is_limited_to_the_web_app_origin(env: Env) -> None:
    """Another site's page gets no CORS headers (the browser then refuses the response)."""
    for origin in ("https://evil.example", ORIGIN + ".evil.example", "null"):
        preflight = await env.http.options(
            f"{env.base}{SERVICE}/Subscribe",
            headers={"origin": origin, "access-control-request-method": "POST"},
        )
        preflight.release()
        assert "access-control-allow-origin" not in preflight.headers, origin
        assert "access-control-allow-headers" not in preflight.headers, origin
        request_headers = {**headers(env.client_token), "origin": origin}
        response = await env.http.post(
            f"{env.base}{SERVICE}/ListConversations",
            data=b"\x00\x00\x00\x00\x00",
            headers=request_headers,
        )
        await response.read()
        response.release()
        assert "access-control-allow-origin" not in response.headers, origin


def test_the_bridge_allows_no_origin_unless_told() -> None:
    from local.grpcweb.bridge import ALLOWED_ORIGINS

    assert create_app("127.0.0.1:1")[ALLOWED_ORIGINS] == set()
    app = create_app("127.0.0.1:1", allow_origins=["http://127.0.0.1:4280/"])
    assert app[ALLOWED_ORIGINS] == {"http://127.0.0.1:4280"}


def test_the_bridge_holds_a_burst_of_new_connections_while_busy(
    bridge_proc: tuple[int, subprocess.Popen[bytes]],
) -> None:
    """300 clients connecting at once are all queued by the kernel even while the bridge is
    stalled; with aiohttp's backlog of 128 the surplus waited for TCP's 1 s retry."""
    port, proc = bridge_proc
    if int(Path("/proc/sys/net/core/somaxconn").read_text()) < 300:
        pytest.skip("net.core.somaxconn caps every listen backlog below 300 here")
    for _ in range(100):  # until it listens
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    proc.send_signal(signal.SIGSTOP)  # the bridge accepts nothing for now
    sockets = []
    try:
        for _ in range(300):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
            sockets.append(sock)
        deadline = time.monotonic() + 0.5
        pending = set(sockets)
        while pending and time.monotonic() < deadline:
            _, writable, _ = select.select([], list(pending), [], 0.05)
            pending -= {
                s for s in writable if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
            }
        assert not pending, f"{len(pending)} of 300 connections were not queued within 0.5 s"
    finally:
        proc.send_signal(signal.SIGCONT)
        for sock in sockets:
            sock.close()


def test_the_bridge_cli_runs_on_uvloop_where_it_is_installed() -> None:
    """uvloop is a pinned dependency outside Windows: the bridge must actually use it."""
    from shared.aioloop import event_loop

    uvloop = pytest.importorskip("uvloop") if sys.platform == "win32" else __import__("uvloop")
    loop = event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
