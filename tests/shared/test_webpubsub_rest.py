"""The lean REST sender: the same call as the SDK's send_to_user, against the Web PubSub twin."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import jwt
import pytest
import websocket

from local.webpubsub.background import RunningTwin, twin_in_thread
from local.webpubsub.connstr import format_connection_string
from shared.realtime import service_client
from shared.webpubsub_rest import RestSender, parse_connection_string

KEY = "rest-sender-key-" + "k" * 32


@pytest.fixture(scope="module")
def twin() -> Iterator[RunningTwin]:
    with twin_in_thread(format_connection_string("127.0.0.1", 0, KEY)) as running:
        yield running


def test_connection_string_parsing() -> None:
    endpoint, key = parse_connection_string(
        "Endpoint=https://x.webpubsub.azure.com;AccessKey=abc=;Version=1.0;"
    )
    assert (endpoint, key) == ("https://x.webpubsub.azure.com", "abc=")
    assert parse_connection_string("Endpoint=http://h;Port=81;AccessKey=k")[0] == "http://h:81"
    with pytest.raises(ValueError, match="AccessKey"):
        parse_connection_string("Endpoint=http://h")


def test_token_audience_is_the_request_url(twin: RunningTwin) -> None:
    sender = RestSender(twin.connection_string, "alerts")
    try:
        url = sender.url_for("user/1")
        assert url.endswith("/api/hubs/alerts/users/user%2F1/:send?api-version=2024-01-01")
        claims = jwt.decode(sender.token_for(url), KEY, algorithms=["HS256"], audience=url)
        assert claims["aud"] == url
    finally:
        sender.close()


def test_a_token_is_reused_until_a_minute_before_it_expires(
    twin: RunningTwin, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = RestSender(twin.connection_string, "alerts")
    try:
        url, other = sender.url_for("u1"), sender.url_for("u2")
        first = sender.token_for(url)
        assert sender.token_for(url) == first
        assert jwt.decode(sender.token_for(other), KEY, algorithms=["HS256"], audience=other)
        now = time.time()
        monkeypatch.setattr(time, "time", lambda: now + 241)  # 59 s left of 300: too little
        renewed = sender.token_for(url)
        assert renewed != first
        claims = jwt.decode(renewed, KEY, algorithms=["HS256"], audience=url)
        assert claims["exp"] >= int(now) + 241 + 299
    finally:
        sender.close()


def test_messages_reach_only_the_users_connections(twin: RunningTwin) -> None:
    client = service_client(twin.connection_string, "alerts")
    sockets = {
        user: websocket.create_connection(
            client.get_client_access_token(user_id=user)["url"],
            subprotocols=["json.webpubsub.azure.v1"],
            timeout=5,
        )
        for user in ("alice", "bob")
    }
    sender = RestSender(twin.connection_string, "alerts")
    try:
        for ws in sockets.values():
            assert json.loads(ws.recv())["event"] == "connected"
        assert all(sender.send_to_user("alice", {"type": "x", "n": n}) for n in range(50))
        received = [json.loads(sockets["alice"].recv())["data"]["n"] for _ in range(50)]
        assert sorted(received) == list(range(50))
        sockets["bob"].settimeout(0.5)
        with pytest.raises(websocket.WebSocketTimeoutException):
            sockets["bob"].recv()
    finally:
        sender.close()
        for ws in sockets.values():
            ws.close()


def test_a_full_queue_refuses_instead_of_blocking(twin: RunningTwin) -> None:
    sender = RestSender(twin.connection_string, "alerts", max_pending=3)
    try:
        started = time.monotonic()
        accepted = [sender.send_to_user("nobody", {"type": "x"}) for _ in range(200)]
        assert time.monotonic() - started < 5  # never waits on the network
        assert accepted.count(False) > 0
    finally:
        sender.close()
