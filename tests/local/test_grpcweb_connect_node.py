"""The generated connect-web client under Node against the real chat server behind the bridge.

The pytest side starts the gRPC chat server (port 0, migrated temp SQLite) and the gRPC-Web bridge
in this event loop, issues platform tokens for two clients and an administrator, then runs the
vitest file `static_site/test/chat/bridge.node.test.ts` (unary calls, the server stream, resume,
error codes, the app's ChatStore) and asserts that it passed.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from chat_container.server import start_server
from local.grpcweb.bridge import create_app
from shared import migrate
from shared.db import session_factory, transaction
from shared.platform import Platform, build_platform
from shared.settings import Settings
from tests.chat_container.support import chat_config, issue_token
from tests.utils.factories import make_user

REPO_ROOT = Path(__file__).resolve().parents[2]
STATIC_SITE = REPO_ROOT / "static_site"
NODE_TEST = "test/chat/bridge.node.test.ts"
RUN_TIMEOUT_S = 180
EXPECTED_TESTS = 8  # the `it(...)` cases in NODE_TEST


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Bridge:
    url: str
    env: dict[str, str]


@pytest.fixture
async def bridge(tmp_path: Path) -> AsyncIterator[Bridge]:
    url = f"sqlite:///{tmp_path / 'chat.db'}"
    migrate.upgrade(url)
    platform: Platform = build_platform(Settings(DATABASE_URL=url))
    sessions: sessionmaker[Session] = session_factory(url)
    with transaction(sessions) as session:
        client = make_user(session, role="client")
        client2 = make_user(session, role="client")
        admin = make_user(session, role="admin")
        ids = (client.id, client2.id, admin.id)
    server = await start_server(chat_config(), platform=platform, rabbitmq_url=None)
    runner = web.AppRunner(create_app(f"127.0.0.1:{server.port}"), handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    base = f"http://127.0.0.1:{port}"
    try:
        yield Bridge(
            base,
            {
                "BRIDGE_URL": base,
                "CLIENT_TOKEN": issue_token(platform, ids[0], "client"),
                "CLIENT2_TOKEN": issue_token(platform, ids[1], "client"),
                "ADMIN_TOKEN": issue_token(platform, ids[2], "admin"),
                "CLIENT2_ID": ids[1],
                "ADMIN_ID": ids[2],
            },
        )
    finally:
        await runner.cleanup()
        await server.stop()


async def test_connect_web_client_under_node_against_the_bridge(bridge: Bridge) -> None:
    npx = shutil.which("npx")
    if npx is None:
        _skip_or_fail("npx is not installed")
    if not (STATIC_SITE / "node_modules" / "@connectrpc" / "connect-web").is_dir():
        _skip_or_fail("static_site/node_modules is missing: run `npm ci` in static_site")
    # The subprocess runs while this event loop keeps serving the chat server and the bridge.
    proc = await asyncio.create_subprocess_exec(
        str(npx),
        "vitest",
        "run",
        NODE_TEST,
        "--reporter=verbose",
        cwd=STATIC_SITE,
        env={**os.environ, **bridge.env, "CI": "1", "NO_COLOR": "1", "FORCE_COLOR": "0"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT_S)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        pytest.fail(f"vitest did not finish within {RUN_TIMEOUT_S} s")
    text = out.decode(errors="replace")
    assert proc.returncode == 0, f"vitest {NODE_TEST} failed:\n{text[-8000:]}"
    # The run really executed the bridge tests (not an empty selection, nothing skipped).
    counts = re.search(r"Tests\s+(.*)", text)
    assert counts is not None, text[-4000:]
    assert re.fullmatch(
        rf"{EXPECTED_TESTS} passed \({EXPECTED_TESTS}\)", counts.group(1).strip()
    ), text[-4000:]


def test_generated_typescript_client_is_up_to_date(tmp_path: Path) -> None:
    """`npm run gen` output equals the committed static_site/src/gen (never edited by hand)."""
    plugin = STATIC_SITE / "node_modules" / ".bin" / "protoc-gen-es"
    if not plugin.exists():
        _skip_or_fail("static_site/node_modules is missing: run `npm ci` in static_site")
    package = json.loads((STATIC_SITE / "package.json").read_text())
    gen_script = str(package["scripts"]["gen"])
    options = re.search(r"--es_opt=(\S+)", gen_script)
    assert options, gen_script
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-I",
            "chat_container/proto",
            f"--plugin=protoc-gen-es={plugin}",
            f"--es_out={tmp_path}",
            f"--es_opt={options.group(1)}",
            "chat_container/proto/energy/chat/v1/chat.proto",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    committed = STATIC_SITE / "src" / "gen"
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    stored = sorted(p.relative_to(committed) for p in committed.rglob("*") if p.is_file())
    assert fresh == stored
    for rel in fresh:
        assert (tmp_path / rel).read_bytes() == (committed / rel).read_bytes(), (
            f"{rel} differs from a fresh `npm run gen`: regenerate and commit it"
        )
