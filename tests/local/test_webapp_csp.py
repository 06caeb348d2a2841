"""The Static Web App twin's security headers, and the deployed staticwebapp.config.json."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
from aiohttp import web

from local.run import _pubsub_ws_origin
from local.webapp import build_webapp, content_security_policy

REPO_ROOT = Path(__file__).resolve().parents[2]
SWA_CONFIG = REPO_ROOT / "static_site" / "public" / "staticwebapp.config.json"
CHAT = "http://127.0.0.1:18080"
PUBSUB = "ws://127.0.0.1:17000"


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (d.split() for d in policy.split(";") if d.strip())
    return {words[0]: words[1:] for words in parts}


async def _serve(dist: Path) -> tuple[web.AppRunner, str]:
    app = build_webapp(dist, "http://127.0.0.1:9/api", {"chatBaseUrl": CHAT + "/"}, [PUBSUB])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def test_pages_and_assets_carry_the_policy(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>x</title>")
    (tmp_path / "assets" / "app.js").write_text("console.log(1)")
    runner, base = await _serve(tmp_path)
    try:
        async with aiohttp.ClientSession() as http:
            for path in ("/", "/client/devices", "/assets/app.js"):
                async with http.get(base + path) as r:
                    assert r.status == 200
                    csp = _directives(r.headers["Content-Security-Policy"])
                    assert r.headers["X-Content-Type-Options"] == "nosniff"
                    assert r.headers["X-Frame-Options"] == "DENY"
            async with http.get(base + "/config.json") as r:
                assert r.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        await runner.cleanup()
    assert csp["script-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["connect-src"] == ["'self'", CHAT, PUBSUB]  # chat (gRPC-Web) and Web PubSub
    assert csp["object-src"] == ["'none'"]


def test_deployed_policy_matches_the_twin_except_where_it_connects() -> None:
    deployed = json.loads(SWA_CONFIG.read_text())["globalHeaders"]
    azure = _directives(deployed["Content-Security-Policy"])
    local = _directives(content_security_policy({}, []))
    assert {k: v for k, v in azure.items() if k != "connect-src"} == {
        k: v for k, v in local.items() if k != "connect-src"
    }
    assert "wss://*.webpubsub.azure.com" in azure["connect-src"]
    assert "https://*.azurecontainerapps.io" in azure["connect-src"]  # the chat's Envoy
    assert deployed["X-Content-Type-Options"] == "nosniff" and deployed["X-Frame-Options"] == "DENY"


def test_pubsub_websocket_origin_from_a_connection_string() -> None:
    local = "Endpoint=http://127.0.0.1;Port=5555;AccessKey=k;Version=1.0;"
    azure = "Endpoint=https://x.webpubsub.azure.com;AccessKey=k;Version=1.0;"
    assert _pubsub_ws_origin(local) == "ws://127.0.0.1:5555"
    assert _pubsub_ws_origin(azure) == "wss://x.webpubsub.azure.com"
