"""Fixtures: a twin on a free port in a background thread, and clients that talk to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from azure.messaging.webpubsubservice import WebPubSubServiceClient
from webpubsub_testkit import ACCESS_KEY, HUB, Connector

from local.webpubsub.background import RunningTwin, twin_in_thread


@pytest.fixture
def twin() -> Iterator[RunningTwin]:
    """A fresh twin on a free port; tests reach it through `twin.connection_string`."""
    connection_string = f"Endpoint=http://127.0.0.1;Port=0;AccessKey={ACCESS_KEY};Version=1.0;"
    with twin_in_thread(connection_string) as running:
        yield running


@pytest.fixture
def service(twin: RunningTwin) -> Iterator[WebPubSubServiceClient]:
    """The official service SDK client for hub `chat`."""
    client = WebPubSubServiceClient.from_connection_string(twin.connection_string, hub=HUB)
    with client:
        yield client


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp session for raw REST and WebSocket calls."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def connect(twin: RunningTwin, session: aiohttp.ClientSession) -> AsyncIterator[Connector]:
    """Open raw WebSocket clients to the twin: `await connect(sub="alice", role=[...])`."""
    connector = Connector(session, twin.port)
    yield connector
    await connector.close_all()
