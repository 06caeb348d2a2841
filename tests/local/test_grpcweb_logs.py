"""The bridge's logs stay readable: a chat tab that closes mid-stream is one quiet line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from chat_container.gen.energy.chat.v1 import chat_pb2 as pb
from chat_container.server import RunningServer, start_server
from local.grpcweb.bridge import create_app
from local.grpcweb.wire import encode_frame, parse_frames
from shared import migrate
from shared.db import session_factory, transaction
from shared.platform import build_platform
from shared.settings import Settings
from tests.chat_container.support import chat_config, issue_token
from tests.utils.factories import make_user

SERVICE = "/energy.chat.v1.ChatService"
HEADERS = {"content-type": "application/grpc-web+proto", "x-grpc-web": "1"}


@dataclass
class Bridge:
    base: str
    server: RunningServer
    token: str


@pytest.fixture(scope="module")
def chat_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('chatlogs') / 'chat.db'}"
    migrate.upgrade(url)
    return url


# local.run serves the bridge without handler cancellation, `python -m local.grpcweb` with it.
@pytest.fixture(params=[False, True], ids=["local-run", "module"])
async def bridge(request: pytest.FixtureRequest, chat_db: str) -> AsyncIterator[Bridge]:
    platform = build_platform(Settings(DATABASE_URL=chat_db))
    with transaction(session_factory(chat_db)) as session:
        client_id = make_user(session, role="client").id
    server = await start_server(chat_config(), platform=platform, rabbitmq_url=None)
    runner = web.AppRunner(
        create_app(f"127.0.0.1:{server.port}"), handler_cancellation=request.param
    )
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    yield Bridge(f"http://127.0.0.1:{port}", server, issue_token(platform, client_id, "client"))
    await runner.cleanup()
    await server.stop()


async def post(http: aiohttp.ClientSession, bridge: Bridge, method: str, message: object) -> bytes:
    body = encode_frame(message.SerializeToString())  # type: ignore[attr-defined]
    headers = {**HEADERS, "authorization": f"Bearer {bridge.token}"}
    async with http.post(f"{bridge.base}{SERVICE}/{method}", data=body, headers=headers) as r:
        return await r.read()


async def test_a_closed_tab_logs_one_line_and_no_traceback(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with aiohttp.ClientSession() as http:
        headers = {**HEADERS, "authorization": f"Bearer {bridge.token}"}
        stream = await http.post(
            f"{bridge.base}{SERVICE}/Subscribe",
            data=encode_frame(pb.SubscribeRequest().SerializeToString()),
            headers=headers,
        )
        await stream.content.readany()  # the "ready" event: the stream is live
        stream.close()  # the tab goes away
        async with aiohttp.ClientSession() as other:
            for i in range(3):  # events the bridge now tries to write to the closed tab
                frames = parse_frames(
                    await post(other, bridge, "SendMessage", pb.SendMessageRequest(text=f"m{i}"))
                )
                assert frames, "SendMessage answered"
                await asyncio.sleep(0.05)
        for _ in range(100):
            if not bridge.server.servicer.live_streams:
                break
            await asyncio.sleep(0.05)
    assert bridge.server.servicer.live_streams == 0
    await asyncio.sleep(0.1)
    noisy = [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING]
    assert noisy == [], [f"{r.name}: {r.getMessage()}" for r in noisy]
    gone = [
        r
        for r in caplog.records
        if r.name == "local.grpcweb.bridge" and "went away" in r.getMessage()
    ]
    assert len(gone) == 1 and gone[0].levelno <= logging.INFO
    assert "Subscribe" in gone[0].getMessage()
