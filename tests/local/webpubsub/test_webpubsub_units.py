"""Pure pieces of the twin: connection string, tokens, permissions and frames."""

from __future__ import annotations

import json
import time

import pytest
from webpubsub_testkit import ACCESS_KEY, sign
from yarl import URL

from local.webpubsub.connstr import (
    ConnectionStringError,
    format_connection_string,
    parse_connection_string,
)
from local.webpubsub.permissions import grants_from_roles, is_allowed, revoke
from local.webpubsub.protocol import (
    Payload,
    ProtocolError,
    UnsupportedContentType,
    parse_client_frame,
    payload_from_body,
    server_message_frame,
)
from local.webpubsub.tokens import TokenError, identity_from_claims, verify_token


def test_connection_string_like_the_sdk() -> None:
    settings = parse_connection_string(
        f"Endpoint=http://127.0.0.1;Port=8080;AccessKey={ACCESS_KEY};Version=1.0;"
    )
    assert (settings.host, settings.port, settings.endpoint) == (
        "127.0.0.1",
        8080,
        "http://127.0.0.1:8080",
    )
    assert settings.access_key == ACCESS_KEY
    assert parse_connection_string("endpoint=http://localhost:9000;accesskey=k").port == 9000
    assert parse_connection_string(format_connection_string("h", 1, "k")).port == 1


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Endpoint=http://127.0.0.1;Version=1.0;", "accesskey"),
        ("AccessKey=k;Version=1.0;", "endpoint"),
        ("Endpoint=https://x.webpubsub.azure.com;AccessKey=k", "http://"),
        ("Endpoint=http://127.0.0.1;Port=eighty;AccessKey=k", "eighty"),
        ("Endpoint=http://127.0.0.1;garbage;AccessKey=k", "garbage"),
    ],
)
def test_bad_connection_strings_name_the_problem(text: str, named: str) -> None:
    with pytest.raises(ConnectionStringError, match=named):
        parse_connection_string(text)


def test_token_audience_ignores_case_and_query() -> None:
    url = URL("http://127.0.0.1:80/api/hubs/Chat/users/a%20b/:send?api-version=1")
    token = sign({"aud": "HTTP://127.0.0.1/api/hubs/chat/users/a b/:send", "exp": time.time() + 9})
    assert verify_token(token, key=ACCESS_KEY, expected_url=url)["aud"]
    with pytest.raises(TokenError, match="audience"):
        verify_token(token, key=ACCESS_KEY, expected_url=url.with_path("/api/hubs/chat/:send"))


def test_a_verified_token_is_still_refused_once_expired_or_under_another_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = URL("http://127.0.0.1:80/api/hubs/chat/:send")
    now = time.time()
    token = sign({"aud": str(url), "exp": int(now) + 60})
    assert verify_token(token, key=ACCESS_KEY, expected_url=url)["exp"] == int(now) + 60
    assert verify_token(token, key=ACCESS_KEY, expected_url=url)  # the second check is cached
    with pytest.raises(TokenError, match="invalid"):
        verify_token(token, key="another-key-" + "x" * 32, expected_url=url)
    with pytest.raises(TokenError, match="audience"):
        verify_token(token, key=ACCESS_KEY, expected_url=url.with_path("/api/hubs/other/:send"))
    monkeypatch.setattr(time, "time", lambda: now + 61)
    with pytest.raises(TokenError, match="expired"):
        verify_token(token, key=ACCESS_KEY, expected_url=url)


def test_identity_accepts_string_or_list_claims() -> None:
    identity = identity_from_claims(
        {"sub": "alice", "role": "webpubsub.sendToGroup", "webpubsub.group": ["a", "a", "b"]}
    )
    assert identity.user_id == "alice"
    assert identity.roles == {"webpubsub.sendToGroup"}
    assert identity.groups == ("a", "b")
    assert identity_from_claims({}).user_id is None


def test_roles_map_to_grants() -> None:
    grants = grants_from_roles(
        ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup.room.with.dots", "admin"]
    )
    assert is_allowed(grants, "joinLeaveGroup", "anything")
    assert is_allowed(grants, "sendToGroup", "room.with.dots")
    assert not is_allowed(grants, "sendToGroup", "room")
    revoke(grants, "joinLeaveGroup", None)
    assert not is_allowed(grants, "joinLeaveGroup", "anything")


def test_rest_bodies_become_payloads() -> None:
    assert payload_from_body(b'"s"', "application/json") == Payload("json", '"s"')
    assert payload_from_body("é".encode(), "text/plain") == Payload("text", "é")
    assert payload_from_body(b"\xff", "application/octet-stream") == Payload("binary", b"\xff")
    with pytest.raises(ProtocolError, match="JSON"):
        payload_from_body(b"{", "application/json")
    with pytest.raises(UnsupportedContentType):
        payload_from_body(b"x", "application/xml")


def test_server_frames_carry_typed_data() -> None:
    frame = json.loads(server_message_frame(Payload("binary", b"\x00\x01")))
    assert frame == {"type": "message", "from": "server", "dataType": "binary", "data": "AAE="}


def test_client_frames_default_to_json_data() -> None:
    request = parse_client_frame('{"type":"sendToGroup","group":"g","ackId":1,"data":{"a":1}}')
    assert request.payload == Payload("json", '{"a": 1}')
    assert request.no_echo is False
    with pytest.raises(ProtocolError, match="ackId"):
        parse_client_frame('{"type":"event","event":"e","ackId":true}')
