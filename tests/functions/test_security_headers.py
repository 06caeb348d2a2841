"""nosniff and frame-blocking on the API's documents, its 404s and its JSON answers."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.functions.conftest import Api

HOST_JSON = Path(__file__).resolve().parents[2] / "functions" / "host.json"


def _assert_hardened(headers: object) -> None:
    h = {k.lower(): v for k, v in dict(headers).items()}  # type: ignore[call-overload]
    assert h.get("x-content-type-options") == "nosniff", h
    assert h.get("x-frame-options") == "DENY", h
    assert "frame-ancestors 'none'" in h.get("content-security-policy", ""), h


@pytest.mark.parametrize("path", ["/docs", "/openapi.json", "/health"])
def test_documents_cannot_be_sniffed_or_framed(api: Api, path: str) -> None:
    r = api.get(path)
    assert r.status_code == 200
    _assert_hardened(r.headers)


def test_docs_page_policy_allows_only_its_own_inline_style(api: Api) -> None:
    csp = api.get("/docs").headers["content-security-policy"]
    assert "default-src 'none'" in csp and "style-src 'unsafe-inline'" in csp
    assert "script-src" not in csp  # no scripts at all (default-src 'none' covers them)


@pytest.mark.parametrize("path", ["/no-such-route", "/users/x/y/z"])
def test_host_404s_are_hardened(api: Api, path: str) -> None:
    r = api.get(path)
    assert r.status_code == 404
    _assert_hardened(r.headers)


def test_problem_404_from_a_route_is_hardened(api: Api) -> None:
    r = api.get(f"/users/{uuid.uuid4()}", token=api.admin_token)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem")
    _assert_hardened(r.headers)


def test_host_json_declares_the_headers_for_the_real_host() -> None:
    custom = json.loads(HOST_JSON.read_text())["extensions"]["http"]["customHeaders"]
    _assert_hardened(custom)
