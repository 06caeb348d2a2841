"""Helpers for twin tests: tokens signed by hand and a small raw WebSocket client."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt

ACCESS_KEY = "twin-test-access-key-0123456789-abcdefghijklmnopqrstuvwxyz"
HUB = "chat"
JSON_PROTOCOL = "json.webpubsub.azure.v1"
RECEIVE_TIMEOUT_SECONDS = 2.0
SILENCE_SECONDS = 0.2


def sign(claims: dict[str, Any], key: str = ACCESS_KEY) -> str:
    """Sign arbitrary claims with HS256, as the SDK does."""
    return jwt.encode(claims, key, algorithm="HS256")


def client_token(port: int, *, hub: str = HUB, key: str = ACCESS_KEY, **extra: Any) -> str:
    """A client access token for the twin, with `exp` one minute ahead unless overridden."""
    claims: dict[str, Any] = {
        "aud": f"http://127.0.0.1:{port}/client/hubs/{hub}",
        "exp": int(time.time()) + 60,
    }
    claims.update(extra)
    return sign(claims, key)


def client_url(port: int, token: str | None, *, hub: str = HUB) -> str:
    """The WebSocket URL a client connects to."""
    url = f"ws://127.0.0.1:{port}/client/hubs/{hub}"
    return url if token is None else f"{url}?access_token={token}"


@dataclass
class RawClient:
    """A raw aiohttp WebSocket client with receive helpers that never hang."""

    ws: aiohttp.ClientWebSocketResponse
    connection_id: str | None = None

    async def receive(self, seconds: float = RECEIVE_TIMEOUT_SECONDS) -> aiohttp.WSMessage:
        """The next frame, failing the test after `seconds`."""
        return await asyncio.wait_for(self.ws.receive(), seconds)

    async def receive_json(self, seconds: float = RECEIVE_TIMEOUT_SECONDS) -> dict[str, Any]:
        """The next frame, which must be a JSON text frame."""
        message = await self.receive(seconds)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        decoded: dict[str, Any] = json.loads(message.data)
        return decoded

    async def assert_silent(self, seconds: float = SILENCE_SECONDS) -> None:
        """Fail if any frame arrives within `seconds`."""
        try:
            message = await asyncio.wait_for(self.ws.receive(), seconds)
        except TimeoutError:
            return
        raise AssertionError(f"expected no frame, got {message}")

    async def send_json(self, message: dict[str, Any]) -> None:
        """Send a JSON-protocol request."""
        await self.ws.send_str(json.dumps(message))

    async def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send a request with an ackId and return the ack that answers it."""
        await self.send_json(message)
        return await self.receive_json()


class Connector:
    """Opens raw clients to one twin and closes them all when the test ends."""

    def __init__(self, session: aiohttp.ClientSession, port: int) -> None:
        self._session = session
        self._port = port
        self._clients: list[RawClient] = []

    async def __call__(self, *, protocol: str | None = JSON_PROTOCOL, **claims: Any) -> RawClient:
        """Connect with a token carrying `claims`; JSON clients read their `connected` message."""
        token = client_token(self._port, **claims)
        ws = await self._session.ws_connect(
            client_url(self._port, token),
            protocols=(protocol,) if protocol else (),
            timeout=aiohttp.ClientWSTimeout(ws_close=RECEIVE_TIMEOUT_SECONDS),
        )
        client = RawClient(ws)
        self._clients.append(client)
        if protocol == JSON_PROTOCOL:
            connected = await client.receive_json()
            assert connected["type"] == "system" and connected["event"] == "connected", connected
            client.connection_id = connected["connectionId"]
        return client

    async def close_all(self) -> None:
        """Close every client this connector opened."""
        for client in self._clients:
            await client.ws.close()
