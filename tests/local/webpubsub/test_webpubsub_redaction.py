"""The twin never logs or echoes a client access token; the SDK's per-request logging is quiet."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from azure.messaging.webpubsubservice import WebPubSubServiceClient
from webpubsub_testkit import HUB, client_token

from local.webpubsub.background import RunningTwin
from shared.realtime import service_client


async def test_refused_handshake_hides_the_token(
    twin: RunningTwin, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # signed correctly but for another hub: refused on the audience, which names the URL
    token = client_token(twin.port, hub="otherhub", sub="alice")
    url = f"http://127.0.0.1:{twin.port}/client/hubs/{HUB}?access_token={token}"
    async with session.get(url, headers={"Upgrade": "websocket", "Connection": "Upgrade"}) as r:
        body = await r.text()
    assert r.status == 401
    assert "audience" in body  # still says why
    assert token not in body and "access_token" not in body
    assert caplog.records and all(token not in rec.getMessage() for rec in caplog.records)


def test_sdk_http_logging_is_quiet(twin: RunningTwin, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    client: WebPubSubServiceClient = service_client(twin.connection_string, HUB)
    for _ in range(3):
        client.send_to_user("nobody", {"hello": 1}, content_type="application/json")
    chatty = [r for r in caplog.records if r.name.startswith("azure.core.pipeline.policies")]
    assert chatty == []
    assert (
        logging.getLogger("azure.core.pipeline.policies.http_logging_policy").getEffectiveLevel()
        == logging.WARNING
    )
