"""Token refusal at the REST data plane and at the WebSocket handshake."""

from __future__ import annotations

import time
from collections.abc import Callable

import aiohttp
import pytest
from azure.messaging.webpubsubservice import WebPubSubServiceClient
from webpubsub_testkit import ACCESS_KEY, JSON_PROTOCOL, client_token, client_url, sign

from local.webpubsub.background import RunningTwin

SEND_PATH = "/api/hubs/chat/:send"


def _rest_url(twin: RunningTwin, path: str = SEND_PATH) -> str:
    return f"http://127.0.0.1:{twin.port}{path}?api-version=2024-12-01"


def _rest_token(audience: str, *, key: str = ACCESS_KEY, expires_in: int = 60) -> str:
    return sign({"aud": audience, "exp": int(time.time()) + expires_in}, key)


async def _post(session: aiohttp.ClientSession, url: str, token: str | None) -> int:
    headers = {"Content-Type": "text/plain"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with session.post(url, data="hello", headers=headers) as response:
        return response.status


async def test_rest_accepts_a_self_signed_token_for_the_url(
    twin: RunningTwin, session: aiohttp.ClientSession
) -> None:
    url = _rest_url(twin)
    # aud is compared case-insensitively and without the query string.
    audience = url.split("?")[0].upper().replace("HTTP://", "http://")
    assert await _post(session, url, _rest_token(audience)) == 202


@pytest.mark.parametrize(
    ("case", "make_token"),
    [
        ("missing", lambda url: None),
        ("expired", lambda url: _rest_token(url, expires_in=-30)),
        ("wrong key", lambda url: _rest_token(url, key="another-key-" + "x" * 40)),
        ("wrong audience", lambda url: _rest_token(url.replace("/:send", "/users/a/:send"))),
        ("not a jwt", lambda url: "not.a.jwt"),
    ],
)
async def test_rest_refuses_bad_tokens(
    twin: RunningTwin,
    session: aiohttp.ClientSession,
    case: str,
    make_token: Callable[[str], str | None],
) -> None:
    url = _rest_url(twin)
    assert await _post(session, url, make_token(url)) == 401, case


async def test_rest_refuses_a_token_without_exp(
    twin: RunningTwin, session: aiohttp.ClientSession
) -> None:
    url = _rest_url(twin)
    assert await _post(session, url, sign({"aud": url})) == 401


async def test_sdk_with_a_wrong_key_gets_401(twin: RunningTwin) -> None:
    wrong = twin.connection_string.replace(ACCESS_KEY, "wrong-key-" + "y" * 40)
    client = WebPubSubServiceClient.from_connection_string(wrong, hub="chat")
    with client, pytest.raises(Exception) as caught:
        client.send_to_all("x", content_type="text/plain")
    assert getattr(caught.value, "status_code", None) == 401


async def test_invalid_hub_name_is_a_bad_request(
    twin: RunningTwin, session: aiohttp.ClientSession
) -> None:
    url = _rest_url(twin, "/api/hubs/9bad/:send")
    assert await _post(session, url, _rest_token(url)) == 400


async def test_health_needs_no_token(twin: RunningTwin, session: aiohttp.ClientSession) -> None:
    async with session.head(f"http://127.0.0.1:{twin.port}/api/health") as response:
        assert response.status == 200


async def _handshake_status(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None
) -> int:
    """Try a WebSocket upgrade; return 101 when accepted, else the refusal status."""
    try:
        ws = await session.ws_connect(url, protocols=(JSON_PROTOCOL,), headers=headers)
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status
    await ws.close()
    return 101


async def test_handshake_accepts_query_and_bearer_tokens(
    twin: RunningTwin, session: aiohttp.ClientSession
) -> None:
    token = client_token(twin.port)
    assert await _handshake_status(session, client_url(twin.port, token)) == 101
    headers = {"Authorization": f"Bearer {token}"}
    assert await _handshake_status(session, client_url(twin.port, None), headers) == 101


def _tampered(token: str) -> str:
    """Swap the payload for another one while keeping the original signature."""
    header, _, signature = token.split(".")
    other_payload = client_token(0, sub="mallory").split(".")[1]
    return f"{header}.{other_payload}.{signature}"


@pytest.mark.parametrize(
    ("case", "make_token"),
    [
        ("missing", lambda port: None),
        ("expired", lambda port: client_token(port, exp=int(time.time()) - 30)),
        ("tampered", lambda port: _tampered(client_token(port))),
        ("wrong key", lambda port: client_token(port, key="other-key-" + "z" * 40)),
        ("wrong hub audience", lambda port: client_token(port, hub="otherhub")),
        ("wrong port audience", lambda port: client_token(port + 1)),
    ],
)
async def test_handshake_refuses_bad_tokens(
    twin: RunningTwin,
    session: aiohttp.ClientSession,
    case: str,
    make_token: Callable[[int], str | None],
) -> None:
    url = client_url(twin.port, make_token(twin.port))
    assert await _handshake_status(session, url) == 401, case
