"""The official service SDK against the twin: sends, groups, closes, existence, permissions."""

from __future__ import annotations

import json

import aiohttp
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.messaging.webpubsubservice import WebPubSubServiceClient
from webpubsub_testkit import Connector, RawClient


def _server_data(frame: dict[str, object]) -> object:
    """The data of a server message frame, checking its envelope."""
    assert frame["type"] == "message" and frame["from"] == "server", frame
    return frame["data"]


async def test_send_to_user_reaches_every_connection_of_that_user_and_no_other(
    service: WebPubSubServiceClient, connect: Connector
) -> None:
    alice_phone = await connect(sub="alice")
    alice_laptop = await connect(sub="alice")
    bob = await connect(sub="bob")
    anonymous = await connect()

    service.send_to_user("alice", {"kwh": 1.5})

    for client in (alice_phone, alice_laptop):
        frame = await client.receive_json()
        assert frame["dataType"] == "json"
        assert _server_data(frame) == {"kwh": 1.5}
    await bob.assert_silent()
    await anonymous.assert_silent()


async def test_send_to_nobody_is_accepted_and_dropped(
    service: WebPubSubServiceClient, connect: Connector
) -> None:
    bob = await connect(sub="bob")

    service.send_to_user("nobody", "hello", content_type="text/plain")
    service.send_to_group("empty-group", "hello", content_type="text/plain")
    service.send_to_connection("no-such-connection", "hello", content_type="text/plain")

    await bob.assert_silent()


async def test_send_to_all_skips_excluded_connections(
    service: WebPubSubServiceClient, connect: Connector
) -> None:
    first, second, third = [await connect() for _ in range(3)]

    service.send_to_all("news", content_type="text/plain", excluded=[second.connection_id])

    for client in (first, third):
        frame = await client.receive_json()
        assert (frame["dataType"], _server_data(frame)) == ("text", "news")
    await second.assert_silent()


async def test_content_types_map_to_json_protocol_frames(
    service: WebPubSubServiceClient, connect: Connector
) -> None:
    client = await connect()
    target = client.connection_id
    assert target is not None

    service.send_to_connection(target, [1, "two"])
    service.send_to_connection(target, "plain text", content_type="text/plain")
    service.send_to_connection(target, b"\x00\xffbin", content_type="application/octet-stream")

    assert await client.receive_json() == {
        "type": "message",
        "from": "server",
        "dataType": "json",
        "data": [1, "two"],
    }
    text = await client.receive_json()
    assert (text["dataType"], text["data"]) == ("text", "plain text")
    binary = await client.receive_json()
    assert (binary["dataType"], binary["data"]) == ("binary", "AP9iaW4=")


async def test_content_types_map_to_plain_frames(
    service: WebPubSubServiceClient, connect: Connector
) -> None:
    plain = await connect(protocol=None, sub="plain-user")

    service.send_to_user("plain-user", "quoted")
    service.send_to_user("plain-user", "raw text", content_type="text/plain")
    service.send_to_user("plain-user", b"\x01\x02", content_type="application/octet-stream")

    json_frame = await plain.receive()
    assert (json_frame.type, json_frame.data) == (aiohttp.WSMsgType.TEXT, '"quoted"')
    text_frame = await plain.receive()
    assert (text_frame.type, text_frame.data) == (aiohttp.WSMsgType.TEXT, "raw text")
    binary_frame = await plain.receive()
    assert (binary_frame.type, binary_frame.data) == (aiohttp.WSMsgType.BINARY, b"\x01\x02")
    await plain.assert_silent()


async def test_connection_group_membership(
    service: WebPubSubServiceClient, connect: Connector
) -> None:
    member, other, outsider = [await connect() for _ in range(3)]
    assert member.connection_id and other.connection_id
    assert not service.group_exists("room")

    service.add_connection_to_group("room", member.connection_id)
    service.add_connection_to_group("room", other.connection_id)
    assert service.group_exists("room")
    service.send_to_group("room", "one", content_type="text/plain", excluded=[other.connection_id])
    assert _server_data(await member.receive_json()) == "one"
    await other.assert_silent()
    await outsider.assert_silent()

    service.remove_connection_from_group("room", member.connection_id)
    service.remove_connection_from_all_groups(other.connection_id)
    service.send_to_group("room", "two", content_type="text/plain")
    await member.assert_silent()
    await other.assert_silent()
    assert not service.group_exists("room")


async def test_user_group_membership(service: WebPubSubServiceClient, connect: Connector) -> None:
    alice_one = await connect(sub="alice")
    alice_two = await connect(sub="alice")
    bob = await connect(sub="bob")

    service.add_user_to_group("room", "alice")
    service.add_user_to_group("lobby", "alice")
    service.send_to_group("room", {"n": 1})
    for client in (alice_one, alice_two):
        assert _server_data(await client.receive_json()) == {"n": 1}
    await bob.assert_silent()

    service.remove_user_from_group("room", "alice")
    service.send_to_group("room", {"n": 2})
    service.send_to_group("lobby", {"n": 3})
    for client in (alice_one, alice_two):
        assert _server_data(await client.receive_json()) == {"n": 3}

    service.remove_user_from_all_groups("alice")
    assert not service.group_exists("lobby")


async def test_existence_checks(service: WebPubSubServiceClient, connect: Connector) -> None:
    client = await connect(sub="alice", **{"webpubsub.group": ["room"]})
    assert client.connection_id is not None

    assert service.connection_exists(client.connection_id)
    assert service.user_exists("alice")
    assert service.group_exists("room")
    assert not service.connection_exists("missing")
    assert not service.user_exists("bob")
    assert not service.group_exists("other")


async def _expect_disconnected(client: RawClient, reason: str) -> None:
    """The client gets the `disconnected` system message, then the socket closes."""
    assert await client.receive_json() == {
        "type": "system",
        "event": "disconnected",
        "message": reason,
    }
    closing = await client.receive()
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), closing


async def test_close_connection(service: WebPubSubServiceClient, connect: Connector) -> None:
    doomed = await connect()
    survivor = await connect()
    assert doomed.connection_id is not None

    service.close_connection(doomed.connection_id, reason="maintenance")

    assert not service.connection_exists(doomed.connection_id)
    await _expect_disconnected(doomed, "maintenance")
    await survivor.assert_silent()
    service.close_connection(doomed.connection_id)  # closing twice is not an error


async def test_close_user_group_and_all_connections(
    service: WebPubSubServiceClient, connect: Connector
) -> None:
    alice_one = await connect(sub="alice")
    alice_two = await connect(sub="alice")
    grouped = await connect(**{"webpubsub.group": ["room"]})
    kept = await connect(sub="carol")
    last = await connect(sub="dave")

    service.close_user_connections("alice", reason="user", excluded=[alice_two.connection_id])
    await _expect_disconnected(alice_one, "user")
    assert service.user_exists("alice")

    service.close_group_connections("room", reason="group")
    await _expect_disconnected(grouped, "group")
    assert not service.group_exists("room")

    service.close_all_connections(reason="all", excluded=[kept.connection_id])
    await _expect_disconnected(alice_two, "all")
    await _expect_disconnected(last, "all")
    await kept.assert_silent()
    assert service.user_exists("carol")
    assert not service.user_exists("dave")


async def test_permissions_grant_check_and_revoke(
    service: WebPubSubServiceClient, connect: Connector
) -> None:
    client = await connect()
    connection_id = client.connection_id
    assert connection_id is not None
    assert not service.has_permission("joinLeaveGroup", connection_id, target_name="room")

    service.grant_permission("joinLeaveGroup", connection_id, target_name="room")
    assert service.has_permission("joinLeaveGroup", connection_id, target_name="room")
    assert not service.has_permission("joinLeaveGroup", connection_id, target_name="other")
    assert not service.has_permission("sendToGroup", connection_id, target_name="room")
    ack = await client.request({"type": "joinGroup", "group": "room", "ackId": 1})
    assert ack["success"] is True

    service.revoke_permission("joinLeaveGroup", connection_id, target_name="room")
    assert not service.has_permission("joinLeaveGroup", connection_id, target_name="room")
    ack = await client.request({"type": "leaveGroup", "group": "room", "ackId": 2})
    assert ack["error"]["name"] == "Forbidden"

    service.grant_permission("sendToGroup", connection_id)
    assert service.has_permission("sendToGroup", connection_id, target_name="any")
    with pytest.raises(ResourceNotFoundError):
        service.grant_permission("sendToGroup", "missing-connection")


async def test_list_connections_pages_through_group_members(
    service: WebPubSubServiceClient, connect: Connector
) -> None:
    members = [await connect(sub=f"user{i}", **{"webpubsub.group": ["room"]}) for i in range(5)]
    await connect(sub="outsider")
    expected = {(m.connection_id, f"user{i}") for i, m in enumerate(members)}

    paged = list(service.list_connections(group="room", maxpagesize=2))
    assert {(m.connection_id, m.user_id) for m in paged} == expected
    assert len(paged) == 5
    assert len(list(service.list_connections(group="room", maxpagesize=2, top=3))) == 3
    assert list(service.list_connections(group="empty")) == []


async def test_add_unknown_connection_to_group_is_not_found(
    service: WebPubSubServiceClient,
) -> None:
    with pytest.raises(ResourceNotFoundError):
        service.add_connection_to_group("room", "missing-connection")


async def test_filter_is_refused_with_a_clear_message(service: WebPubSubServiceClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        service.send_to_all("x", content_type="text/plain", filter="userId eq 'a'")
    assert caught.value.status_code == 400
    assert "filter" in json.dumps(caught.value.response.json())


async def test_plain_clients_are_closed_without_a_system_message(
    service: WebPubSubServiceClient, connect: Connector
) -> None:
    plain = await connect(protocol=None, sub="plain-user")

    service.close_user_connections("plain-user", reason="bye")

    closing = await plain.receive()
    assert closing.type == aiohttp.WSMsgType.CLOSE
    assert closing.extra == "bye"
