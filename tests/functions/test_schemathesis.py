"""Schemathesis against /api/openapi.json on the running local host: no 5xx, responses conform."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from local.webpubsub.background import twin_in_thread
from local.webpubsub.connstr import format_connection_string
from tests.functions.conftest import Api, serve_api

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


@pytest.fixture(scope="module")
def api_base_url(migrated_url: str) -> Iterator[str]:
    """The API with a Web PubSub twin configured, so negotiate works as deployed."""
    key = "schemathesis-twin-key-" + "s" * 32
    with (
        twin_in_thread(format_connection_string("127.0.0.1", 0, key)) as twin,
        serve_api(migrated_url, WEBPUBSUB_CONNECTION_STRING=twin.connection_string) as base,
    ):
        yield base


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Schemathesis runs against SQLite only (the HTTP surface is the same on both)."""
    path: Path = tmp_path_factory.mktemp("schemathesis") / "energy.db"
    yield f"sqlite:///{path}"


def _schemathesis(api: Api, *extra: str) -> subprocess.CompletedProcess[str]:
    st = Path(sys.executable).with_name("st")
    command = [
        str(st),
        "run",
        f"{api.base_url}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        "25",
        "--seed",
        "20261127",
        "--phases",
        "examples,coverage,fuzzing",
        "--suppress-health-check",
        "all",
        *extra,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


def _sessionless(token: str, secret: str) -> str:
    """The same admin token without its session: fuzzing POST /auth/logout must not end it."""
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.pop("sid", None)
    return jwt.encode(claims, secret, algorithm="HS256")


def test_api_as_admin_conforms_and_never_fails_with_5xx(api: Api) -> None:
    token = _sessionless(api.admin_token, api.jwt_secret)
    result = _schemathesis(api, "-H", f"Authorization: Bearer {token}")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    selected = re.search(r"Selected: (\d+)/(\d+)", result.stdout)
    assert selected and selected[1] == selected[2], result.stdout[-3000:]
    assert f"Tested: {selected[1]}" in result.stdout, result.stdout[-3000:]
    assert " passed" in result.stdout and " failed" not in result.stdout


def test_api_anonymous_never_fails_with_5xx(api: Api) -> None:
    result = _schemathesis(api)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
