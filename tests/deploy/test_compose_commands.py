"""Commands the compose file runs inside containers, run here with real processes."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.deploy.compose import ROOT
from tests.deploy.test_compose import filled_env, model

FAKE_PYTHON = """#!/bin/sh
# Stands in for the sensor client: report the device it was given, then run until stopped.
while [ $# -gt 0 ]; do [ "$1" = "--device-id" ] && echo "device $2"; shift; done
exec sleep 60
"""


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return dict(model(filled_env())["services"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sensor_replicas_claim_different_devices(services: dict[str, Any], tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    script = services["sensor"]["command"][0].replace("/state", str(state))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "SENSOR_DEVICE_IDS": "dev-a,dev-b"}
    seen = []
    replicas: list[subprocess.Popen[str]] = []
    try:
        for _ in range(2):
            proc = subprocess.Popen(
                ["sh", "-c", script], env=env, stdout=subprocess.PIPE, text=True
            )
            replicas.append(proc)
            assert proc.stdout is not None
            seen.append(proc.stdout.readline().strip())
        third = subprocess.run(
            ["sh", "-c", script], env=env, capture_output=True, text=True, timeout=10
        )
    finally:
        for proc in replicas:
            proc.kill()
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
    assert sorted(seen) == ["device dev-a", "device dev-b"]
    assert third.returncode == 2
    assert "no free device id" in third.stderr


def test_web_pubsub_healthcheck_command_against_the_twin(services: dict[str, Any]) -> None:
    test = services["webpubsub"]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "python"]
    port = _free_port()
    command = [sys.executable, *[arg.replace("7072", str(port)) for arg in test[2:]]]
    assert command != [sys.executable, *test[2:]]
    key = "k" * 40
    twin = subprocess.Popen(
        [sys.executable, "-m", "local.webpubsub", "--connection-string",
         f"Endpoint=http://127.0.0.1;Port={port};AccessKey={key};Version=1.0;"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while subprocess.run(command, capture_output=True).returncode != 0:
            assert time.monotonic() < deadline, "twin never became healthy"
            time.sleep(0.2)
    finally:
        twin.terminate()
        twin.wait(timeout=10)
    assert subprocess.run(command, capture_output=True).returncode != 0


def _render_like_the_nginx_image(template: str, env: dict[str, str]) -> str:
    """docker-entrypoint.d/20-envsubst-on-templates.sh: only variables defined in env."""
    defined = " ".join(f"${{{name}}}" for name in env)
    result = subprocess.run(
        ["envsubst", defined], input=template, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def _web_image_env(services: dict[str, Any]) -> dict[str, str]:
    """The web container's environment: the image's ENV lines, then compose's environment."""
    dockerfile = (ROOT / "static_site" / "Dockerfile").read_text()
    env = dict(re.findall(r"^ENV (\w+)=(\S+)$", dockerfile.split("FROM nginx", 1)[1], re.M))
    return {**env, **services["web"]["environment"], "HOME": "/"}


@pytest.mark.skipif(not Path("/usr/bin/envsubst").exists(), reason="gettext envsubst missing")
def test_nginx_template_renders_only_the_upstream(services: dict[str, Any]) -> None:
    template = (ROOT / "static_site" / "nginx.conf").read_text()
    env = _web_image_env(services)
    assert set(env) == {"API_UPSTREAM", "CHAT_PUBLIC_URL", "HOME"}
    rendered = _render_like_the_nginx_image(template, env)
    assert "proxy_pass http://api:80;" in rendered
    for nginx_variable in ("$uri", "$host", "$scheme", "$proxy_add_x_forwarded_for"):
        assert nginx_variable in rendered
    assert "${" not in rendered
    assert rendered.count("{") == rendered.count("}")
    assert re.search(r"try_files \$uri \$uri/ /index.html;", rendered)


@pytest.mark.skipif(not Path("/usr/bin/envsubst").exists(), reason="gettext envsubst missing")
def test_nginx_answers_config_json_with_the_chat_url(services: dict[str, Any]) -> None:
    """/config.json is JSON naming Envoy's published port (it used to fall back to index.html)."""
    rendered = _render_like_the_nginx_image(
        (ROOT / "static_site" / "nginx.conf").read_text(), _web_image_env(services)
    )
    block = re.search(r"location = /config\.json \{(.*?)\}\n", rendered, re.S)
    assert block, "nginx has no exact location for /config.json"
    body = re.search(r"return 200 '(.*)';", block.group(1))
    assert body and "default_type application/json;" in block.group(1)
    chat_url = json.loads(body.group(1))["chatBaseUrl"]
    published = {
        int(p.split(":")[-2]): int(p.split(":")[-1]) for p in services["chat"]["ports"]
    }  # host port -> container port
    assert urlsplit(chat_url).port in published
    assert published[urlsplit(chat_url).port] == 8080  # Envoy's listener
    # the browser app reads exactly this key
    assert "body?.chatBaseUrl" in (ROOT / "static_site/src/chat/config.ts").read_text()


def test_nginx_passes_the_bearer_token_to_the_api() -> None:
    """Unlike a Static Web Apps linked backend, the compose proxy leaves Authorization alone."""
    nginx = (ROOT / "static_site" / "nginx.conf").read_text()
    block = re.search(r"location /api/ \{(.*?)\}", nginx, re.S)
    assert block
    settings = block.group(1).lower()
    assert "authorization" not in settings  # neither cleared nor replaced
    assert "proxy_pass_request_headers off" not in settings
