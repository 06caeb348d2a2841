"""Chat fixtures: a real grpc.aio server on port 0 over a migrated database, people, stubs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import pytest
from sqlalchemy.orm import Session, sessionmaker

from chat_container.gen.energy.chat.v1 import chat_pb2_grpc
from chat_container.server import ChatConfig, RunningServer, start_server
from shared.db import transaction
from shared.platform import Platform, build_platform
from shared.settings import Settings
from tests.chat_container.support import People, Someone, chat_config, issue_token
from tests.utils.factories import make_user


@pytest.fixture
def platform(migrated_url: str) -> Platform:
    return build_platform(Settings(DATABASE_URL=migrated_url))


@pytest.fixture
def make_person(platform: Platform, sessions: sessionmaker[Session]) -> Callable[[str], Someone]:
    def make(role: str) -> Someone:
        with transaction(sessions) as session:
            user = make_user(session, role=role)
            user_id, username = user.id, user.username
        return Someone(user_id, username, role, issue_token(platform, user_id, role))

    return make


@pytest.fixture
def people(make_person: Callable[[str], Someone]) -> People:
    return People(
        make_person("client"), make_person("client"), make_person("admin"), make_person("admin")
    )


@pytest.fixture
def server_config() -> ChatConfig:
    """The chat settings the `server` fixture runs with (a test module may override it)."""
    return chat_config()


@pytest.fixture
async def server(platform: Platform, server_config: ChatConfig) -> AsyncIterator[RunningServer]:
    running = await start_server(server_config, platform=platform, rabbitmq_url=None)
    yield running
    await running.stop()


@pytest.fixture
async def stub(server: RunningServer) -> AsyncIterator[Any]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield chat_pb2_grpc.ChatServiceStub(channel)
