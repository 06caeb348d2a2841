"""The official Python `WebPubSubClient` (JSON protocol) against the twin."""

from __future__ import annotations

import gc
import queue
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from azure.messaging.webpubsubclient import WebPubSubClient
from azure.messaging.webpubsubclient.models import (
    CallbackType,
    OpenClientError,
    SendMessageError,
    WebPubSubDataType,
    WebPubSubProtocolType,
)
from azure.messaging.webpubsubservice import WebPubSubServiceClient

from local.webpubsub.background import RunningTwin

WAIT_SECONDS = 3.0
# azure-messaging-webpubsubclient 1.1.0 can notify before it waits, so with a fast twin open()
# and acked sends sometimes sit out the whole timeout (the outcome is still right): keep it short.
CLIENT_TIMEOUT_SECONDS = 1.0


def _client(url: str) -> WebPubSubClient:
    return WebPubSubClient(
        url,
        protocol_type=WebPubSubProtocolType.JSON,
        start_timeout=CLIENT_TIMEOUT_SECONDS,
        ack_timeout=CLIENT_TIMEOUT_SECONDS,
        reconnect_retry_total=0,
        message_retry_total=0,
    )


@pytest.fixture(autouse=True)
def _reap_websocket_client_sockets() -> Iterator[None]:
    """websocket-client leaves closed-over sockets to the GC; reap them without the warning."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture
def received() -> queue.Queue[tuple[str, Any]]:
    return queue.Queue()


@pytest.fixture
def alice(
    service: WebPubSubServiceClient, received: queue.Queue[tuple[str, Any]]
) -> Iterator[WebPubSubClient]:
    """Alice, allowed to join and publish to `room`, recording what she receives."""
    token = service.get_client_access_token(
        user_id="alice", roles=["webpubsub.joinLeaveGroup.room", "webpubsub.sendToGroup.room"]
    )
    client = _client(token["url"])
    client.subscribe(CallbackType.CONNECTED, lambda e: received.put(("connected", e.user_id)))
    client.subscribe(CallbackType.SERVER_MESSAGE, lambda e: received.put(("server", e.data)))
    client.subscribe(
        CallbackType.GROUP_MESSAGE, lambda e: received.put(("group", (e.group, e.data)))
    )
    client.subscribe(CallbackType.DISCONNECTED, lambda e: received.put(("disconnected", e.message)))
    client.open()
    yield client
    client.close()


def _next(received: queue.Queue[tuple[str, Any]]) -> tuple[str, Any]:
    return received.get(timeout=WAIT_SECONDS)


def test_client_connects_joins_sends_and_receives(
    alice: WebPubSubClient,
    service: WebPubSubServiceClient,
    received: queue.Queue[tuple[str, Any]],
) -> None:
    assert _next(received) == ("connected", "alice")
    assert alice.is_connected()

    alice.join_group("room")
    alice.send_to_group("room", {"reading": 3}, WebPubSubDataType.JSON)
    assert _next(received) == ("group", ("room", {"reading": 3}))
    alice.send_to_group("room", "quiet", WebPubSubDataType.TEXT, no_echo=True)

    service.send_to_user("alice", {"alert": "high"})
    service.send_to_group("room", "to the room", content_type="text/plain")
    assert _next(received) == ("server", {"alert": "high"})
    assert _next(received) == ("server", "to the room")
    alice.send_event("ping", "payload", WebPubSubDataType.TEXT)


def test_client_gets_forbidden_for_other_groups(
    alice: WebPubSubClient, received: queue.Queue[tuple[str, Any]]
) -> None:
    assert _next(received) == ("connected", "alice")
    with pytest.raises(SendMessageError) as caught:
        alice.join_group("elsewhere")
    assert caught.value.error_detail is not None
    assert caught.value.error_detail.name == "Forbidden"


def test_client_sees_server_close_reason(
    alice: WebPubSubClient,
    service: WebPubSubServiceClient,
    received: queue.Queue[tuple[str, Any]],
) -> None:
    assert _next(received) == ("connected", "alice")

    service.close_user_connections("alice", reason="signed out")

    assert _next(received) == ("disconnected", "signed out")
    assert not service.user_exists("alice")


def test_client_with_a_token_for_another_key_cannot_open(twin: RunningTwin) -> None:
    wrong_key = WebPubSubServiceClient.from_connection_string(
        twin.connection_string.replace("AccessKey=", "AccessKey=wrong"), hub="chat"
    )
    client = _client(wrong_key.get_client_access_token()["url"])
    with pytest.raises(OpenClientError):
        client.open()
