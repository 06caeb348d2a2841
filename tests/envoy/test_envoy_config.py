"""envoy/envoy.yaml parsed into Envoy's Bootstrap proto (xds-protos), with hand-written checks."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import json_format

ENVOY_YAML = Path(__file__).resolve().parents[2] / "envoy" / "envoy.yaml"
TYPED_CONFIG_MODULES = (
    "envoy.extensions.filters.network.http_connection_manager.v3.http_connection_manager_pb2",
    "envoy.extensions.filters.http.grpc_web.v3.grpc_web_pb2",
    "envoy.extensions.filters.http.cors.v3.cors_pb2",
    "envoy.extensions.filters.http.router.v3.router_pb2",
    "envoy.extensions.upstreams.http.v3.http_protocol_options_pb2",
)
HCM = "envoy.filters.network.http_connection_manager"
PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"


def parse(document: dict[str, Any]) -> Any:
    """Parse a config into Bootstrap; unknown fields or types raise ParseError."""
    for module in TYPED_CONFIG_MODULES:
        importlib.import_module(module)  # registers the Any target types
    from envoy.config.bootstrap.v3 import bootstrap_pb2

    return json_format.ParseDict(document, bootstrap_pb2.Bootstrap())


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded = yaml.safe_load(ENVOY_YAML.read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def bootstrap(document: dict[str, Any]) -> Any:
    return parse(document)


def connection_managers(bootstrap: Any) -> list[Any]:
    from envoy.extensions.filters.network.http_connection_manager.v3 import (
        http_connection_manager_pb2 as hcm_pb2,
    )

    found = []
    for listener in bootstrap.static_resources.listeners:
        for chain in listener.filter_chains:
            for network_filter in chain.filters:
                if network_filter.name == HCM:
                    manager = hcm_pb2.HttpConnectionManager()
                    assert network_filter.typed_config.Unpack(manager)
                    found.append(manager)
    return found


def test_filters_are_grpc_web_then_cors_then_router_last(bootstrap: Any) -> None:
    managers = connection_managers(bootstrap)
    assert managers
    for manager in managers:
        names = [f.name for f in manager.http_filters]
        assert names == [
            "envoy.filters.http.grpc_web",
            "envoy.filters.http.cors",
            "envoy.filters.http.router",
        ]


def test_every_route_points_at_an_existing_cluster(bootstrap: Any) -> None:
    clusters = {c.name for c in bootstrap.static_resources.clusters}
    routes = [
        route
        for manager in connection_managers(bootstrap)
        for host in manager.route_config.virtual_hosts
        for route in host.routes
    ]
    assert routes
    for route in routes:
        assert route.route.cluster in clusters
    assert any(r.match.prefix == "/energy.chat.v1.ChatService/" for r in routes)


def test_streaming_timeouts_are_disabled(bootstrap: Any) -> None:
    for manager in connection_managers(bootstrap):
        assert manager.HasField("stream_idle_timeout")
        assert manager.stream_idle_timeout.ToSeconds() == 0
        for host in manager.route_config.virtual_hosts:
            for route in host.routes:
                assert route.route.HasField("timeout") and route.route.timeout.ToSeconds() == 0
                limits = route.route.max_stream_duration
                assert limits.HasField("grpc_timeout_header_max")
                assert limits.grpc_timeout_header_max.ToSeconds() == 0


def test_upstream_speaks_http2(bootstrap: Any) -> None:
    from envoy.extensions.upstreams.http.v3 import http_protocol_options_pb2

    for cluster in bootstrap.static_resources.clusters:
        options = http_protocol_options_pb2.HttpProtocolOptions()
        assert cluster.typed_extension_protocol_options[PROTOCOL_OPTIONS].Unpack(options)
        assert options.explicit_http_config.HasField("http2_protocol_options")


def test_cors_exposes_the_grpc_status_and_allows_the_grpc_web_headers(bootstrap: Any) -> None:
    from envoy.extensions.filters.http.cors.v3 import cors_pb2

    for manager in connection_managers(bootstrap):
        for host in manager.route_config.virtual_hosts:
            policy = cors_pb2.CorsPolicy()
            assert host.typed_per_filter_config["envoy.filters.http.cors"].Unpack(policy)
            exposed = policy.expose_headers.split(",")
            assert {"grpc-status", "grpc-message"} <= set(exposed)
            allowed = policy.allow_headers.split(",")
            for header in ("authorization", "x-grpc-web", "grpc-timeout", "content-type"):
                assert header in allowed


def test_a_misspelled_field_does_not_parse(document: dict[str, Any]) -> None:
    broken = yaml.safe_load(ENVOY_YAML.read_text().replace("lb_policy:", "lb_polcy:"))
    assert broken != document
    with pytest.raises(json_format.ParseError, match="lb_polcy"):
        parse(broken)


def test_a_malformed_duration_does_not_parse() -> None:
    broken = yaml.safe_load(
        ENVOY_YAML.read_text().replace("connect_timeout: 2s", "connect_timeout: 2 seconds")
    )
    with pytest.raises(json_format.ParseError):
        parse(broken)


def test_the_dockerfile_pins_envoy_and_uses_this_config() -> None:
    dockerfile = (ENVOY_YAML.parent / "Dockerfile").read_text()
    base = next(line for line in dockerfile.splitlines() if line.startswith("FROM "))
    assert base.startswith("FROM envoyproxy/envoy:v1.") and ":latest" not in base
    assert "envoy.yaml" in dockerfile
