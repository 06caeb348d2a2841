"""Raw WebSocket clients against the twin: plain frames and `json.webpubsub.azure.v1`."""

from __future__ import annotations

import aiohttp
from webpubsub_testkit import JSON_PROTOCOL, Connector, client_token, client_url

from local.webpubsub.background import RunningTwin

JOIN_AND_SEND = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"]


async def test_connected_message_comes_first_and_names_the_user(
    twin: RunningTwin, session: aiohttp.ClientSession
) -> None:
    ws = await session.ws_connect(
        client_url(twin.port, client_token(twin.port, sub="alice")), protocols=(JSON_PROTOCOL,)
    )
    assert ws.protocol == JSON_PROTOCOL
    connected = await ws.receive_json(timeout=2)
    assert connected["type"] == "system" and connected["event"] == "connected"
    assert connected["userId"] == "alice"
    assert isinstance(connected["connectionId"], str) and connected["connectionId"]
    await ws.close()


async def test_unsupported_subprotocol_is_not_echoed(
    twin: RunningTwin, session: aiohttp.ClientSession
) -> None:
    ws = await session.ws_connect(
        client_url(twin.port, client_token(twin.port)),
        protocols=("json.reliable.webpubsub.azure.v1",),
    )
    assert ws.protocol is None
    await ws.close()


async def test_plain_client_gets_no_system_messages(connect: Connector) -> None:
    plain = await connect(protocol=None)
    await plain.ws.send_str("upstream message without upstream")
    await plain.assert_silent()


async def test_ping_is_answered_with_pong(connect: Connector) -> None:
    client = await connect()
    await client.send_json({"type": "ping"})
    assert await client.receive_json() == {"type": "pong"}


async def test_group_requests_need_roles(connect: Connector) -> None:
    client = await connect(role="webpubsub.joinLeaveGroup.room")

    joined = await client.request({"type": "joinGroup", "group": "room", "ackId": 1})
    assert joined == {"type": "ack", "ackId": 1, "success": True}
    other = await client.request({"type": "joinGroup", "group": "lobby", "ackId": 2})
    assert other["success"] is False and other["error"]["name"] == "Forbidden"
    assert other["error"]["message"]
    send = await client.request(
        {"type": "sendToGroup", "group": "room", "ackId": 3, "data": "hi", "dataType": "text"}
    )
    assert send["success"] is False and send["error"]["name"] == "Forbidden"
    left = await client.request({"type": "leaveGroup", "group": "room", "ackId": 4})
    assert left["success"] is True


async def test_send_to_group_reaches_members_and_honours_no_echo(connect: Connector) -> None:
    sender = await connect(sub="alice", role=JOIN_AND_SEND)
    member = await connect(sub="bob", **{"webpubsub.group": ["room"]})
    plain = await connect(protocol=None, **{"webpubsub.group": "room"})
    outsider = await connect()
    assert (await sender.request({"type": "joinGroup", "group": "room", "ackId": 1}))["success"]

    await sender.send_json(
        {"type": "sendToGroup", "group": "room", "ackId": 2, "data": {"t": 21.5}}
    )
    # Without noEcho the sender gets its own message too, in any order with the ack.
    frames = {f["type"]: f for f in [await sender.receive_json(), await sender.receive_json()]}
    assert frames["ack"] == {"type": "ack", "ackId": 2, "success": True}
    assert frames["message"]["data"] == {"t": 21.5}
    assert await member.receive_json() == {
        "type": "message",
        "from": "group",
        "group": "room",
        "dataType": "json",
        "data": {"t": 21.5},
        "fromUserId": "alice",
    }
    raw = await plain.receive()
    assert (raw.type, raw.data) == (aiohttp.WSMsgType.TEXT, '{"t": 21.5}')

    quiet = {"type": "sendToGroup", "group": "room", "ackId": 3, "noEcho": True}
    quiet |= {"dataType": "binary", "data": "AAE="}
    assert (await sender.request(quiet))["success"] is True
    binary = await member.receive_json()
    assert (binary["dataType"], binary["data"]) == ("binary", "AAE=")
    raw = await plain.receive()
    assert (raw.type, raw.data) == (aiohttp.WSMsgType.BINARY, b"\x00\x01")
    await sender.assert_silent()
    await outsider.assert_silent()


async def test_event_is_acked(connect: Connector) -> None:
    client = await connect()
    ack = await client.request(
        {"type": "event", "event": "reading", "ackId": 7, "dataType": "text", "data": "x"}
    )
    assert ack == {"type": "ack", "ackId": 7, "success": True}
    await client.send_json({"type": "event", "event": "noack", "data": 1})
    await client.assert_silent()


async def test_duplicate_ack_id_is_reported(connect: Connector) -> None:
    client = await connect()
    event = {"type": "event", "event": "e", "ackId": 5, "data": 1}
    assert (await client.request(event))["success"] is True
    duplicate = await client.request(event)
    assert duplicate["ackId"] == 5 and duplicate["success"] is False
    assert duplicate["error"]["name"] == "Duplicate"


async def test_malformed_frames_get_error_acks_or_are_ignored(connect: Connector) -> None:
    client = await connect(role=JOIN_AND_SEND)

    for bad in ("not json", "[1, 2]", '{"no": "type"}', '{"type": 5}'):
        await client.ws.send_str(bad)
    await client.ws.send_bytes(b"\x00binary on the json protocol")
    await client.assert_silent()

    bad_requests = [
        {"type": "teleport", "ackId": 1},
        {"type": "joinGroup", "ackId": 2},
        {"type": "sendToGroup", "group": "g", "ackId": 3, "dataType": "text", "data": {}},
        {"type": "sendToGroup", "group": "g", "ackId": 4, "dataType": "binary", "data": "!!"},
        {"type": "sendToGroup", "group": "g", "ackId": 5, "dataType": "xml", "data": "<a/>"},
        {"type": "joinGroup", "group": "x" * 1025, "ackId": 6},
    ]
    for request in bad_requests:
        ack = await client.request(request)
        assert ack["ackId"] == request["ackId"] and ack["success"] is False, ack
        assert ack["error"]["name"] == "BadRequest" and ack["error"]["message"], ack

    await client.send_json({"type": "ping"})
    assert await client.receive_json() == {"type": "pong"}
