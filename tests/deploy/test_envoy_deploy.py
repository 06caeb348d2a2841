"""One envoy/envoy.yaml for the chat work's check, the compose image and the Container App."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.deploy.bicep import (
    BICEP_DIR,
    ROOT,
    declarations,
    declared_name,
    parse,
    string_value,
    text,
    walk,
)
from tests.deploy.compose import COMPOSE_FILE
from tests.deploy.test_compose import filled_env, model

ENVOY_DIR = ROOT / "envoy"
ENVOY_YAML = ENVOY_DIR / "envoy.yaml"
CHAT_BICEP = BICEP_DIR / "app" / "chat.bicep"

pytestmark = pytest.mark.skipif(
    not ENVOY_YAML.exists(), reason="PENDING: envoy/envoy.yaml not written yet (chat work)"
)


def _envoy_config_call() -> Any:
    """The call expression `var envoyConfig = ...` in chat.bicep."""
    node = next(
        n
        for n in declarations(CHAT_BICEP, "variable_declaration")
        if declared_name(n) == "envoyConfig"
    )
    return node.children[-1]


WEB_ORIGIN = "https://stapp-example.azurestaticapps.net"
CUSTOM_ORIGIN = "https://energy.example.com"
# chat.bicep's last replace() argument: one Envoy exact match per origin, comma-separated.
ORIGINS_EXPRESSION = "join(map(webOrigins, origin => '{exact: \"${origin}\"}'), ', ')"


def _azure_config_text(origins: tuple[str, ...] = (WEB_ORIGIN, CUSTOM_ORIGIN)) -> str:
    """envoy.yaml as the Container App receives it: chat.bicep's replace() calls applied.

    replace(replace(loadTextContent(path), upstream, localhost), placeholder, <origins>), the
    webOrigins parameter filled with an example Static Web App URL and a custom domain.
    """
    call = _envoy_config_call()
    assert text(call).startswith("replace(")
    assert text(call).rstrip(")").rstrip().endswith(ORIGINS_EXPRESSION)
    strings = [string_value(n) for n in walk(call) if n.type == "string"]
    path, old, new, placeholder = strings[:4]
    source = (CHAT_BICEP.parent / path).resolve()
    assert source == ENVOY_YAML
    entries = ", ".join(f'{{exact: "{origin}"}}' for origin in origins)
    assert placeholder in source.read_text()
    return source.read_text().replace(old, new).replace(placeholder, entries)


def _endpoints(document: dict[str, Any]) -> list[tuple[str, int]]:
    found = []
    for cluster in document["static_resources"]["clusters"]:
        for group in cluster["load_assignment"]["endpoints"]:
            for endpoint in group["lb_endpoints"]:
                address = endpoint["endpoint"]["address"]["socket_address"]
                found.append((address["address"], int(address["port_value"])))
    return found


def _listener_ports(document: dict[str, Any]) -> list[int]:
    return [
        int(listener["address"]["socket_address"]["port_value"])
        for listener in document["static_resources"]["listeners"]
    ]


def test_the_chat_work_checks_the_same_file() -> None:
    from tests.envoy import test_envoy_config

    assert test_envoy_config.ENVOY_YAML.resolve() == ENVOY_YAML


def test_compose_builds_envoy_from_that_file() -> None:
    envoy = model(filled_env())["services"]["envoy"]
    assert (COMPOSE_FILE.parent / envoy["build"]["context"]).resolve() == ENVOY_DIR
    dockerfile = (ENVOY_DIR / "Dockerfile").read_text()
    assert re.search(r"^COPY envoy\.yaml /etc/envoy/envoy\.yaml$", dockerfile, re.M)
    assert "/etc/envoy/envoy.yaml" in dockerfile.split("CMD", 1)[1]


def test_bicep_mounts_that_file_for_envoy() -> None:
    source = CHAT_BICEP.read_text()
    assert "secretRef: 'envoy-config'" in source
    assert "path: 'envoy.yaml'" in source
    assert "mountPath: '/etc/envoy'" in source
    assert "'-c', '/etc/envoy/envoy.yaml'" in source


def test_upstream_is_reachable_in_compose() -> None:
    services = model(filled_env())["services"]
    document = yaml.safe_load(ENVOY_YAML.read_text())
    port = int(services["chat"]["environment"]["CHAT_PORT"])
    for host, endpoint_port in _endpoints(document):
        assert endpoint_port == port
        # Envoy runs in the chat container's network namespace: localhost or the service name.
        assert host in ("127.0.0.1", "localhost", "chat"), host
    assert services["envoy"]["network_mode"] == "service:chat"
    assert _listener_ports(document) == [8080]


def test_azure_config_reaches_the_chat_container_on_localhost() -> None:
    from tests.envoy.test_envoy_config import parse as parse_bootstrap

    azure_text = _azure_config_text()
    document = yaml.safe_load(azure_text)
    assert _endpoints(document) == [("127.0.0.1", 50051)] * len(_endpoints(document))
    assert _listener_ports(document) == [8080]
    assert "targetPort: 8080" in CHAT_BICEP.read_text()
    parse_bootstrap(document)  # still a valid Bootstrap after the substitution


def test_envoy_image_matches_the_dockerfile() -> None:
    dockerfile_image = re.search(r"^FROM (\S+)", (ENVOY_DIR / "Dockerfile").read_text(), re.M)
    main = (BICEP_DIR / "main.bicep").read_text()
    bicep_image = re.search(r"param envoyImage string = '([^']+)'", main)
    assert dockerfile_image and bicep_image
    assert bicep_image.group(1).removeprefix("docker.io/") == dockerfile_image.group(1)


def test_syntax_of_the_envoy_call_is_what_bicep_accepts() -> None:
    assert not parse(CHAT_BICEP).root_node.has_error


def test_azure_config_allows_exactly_the_web_app_origin() -> None:
    from tests.deploy.test_compose_topology import _cors_origins

    assert _cors_origins(_azure_config_text()) == [{"exact": WEB_ORIGIN}, {"exact": CUSTOM_ORIGIN}]
    assert _cors_origins(_azure_config_text((WEB_ORIGIN,))) == [{"exact": WEB_ORIGIN}]
    main = (BICEP_DIR / "main.bicep").read_text()
    assert "var webOrigins = concat([web.outputs.URL], webExtraOrigins)" in main
    assert "webOrigins: webOrigins" in main  # the chat
    assert "allowedOrigins: webOrigins" in main  # the function app
