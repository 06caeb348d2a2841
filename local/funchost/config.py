"""Read `host.json` and `local.settings.json` the way the host and Core Tools do."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_ROUTE_PREFIX = "api"


class HostConfigError(ValueError):
    """A host.json or local.settings.json value is unusable; the message names the key."""


@dataclass(frozen=True, slots=True)
class HostConfig:
    """The parts of host.json the local host uses; `extensions` is kept whole for binders."""

    route_prefix: str = DEFAULT_ROUTE_PREFIX
    custom_headers: Mapping[str, str] = field(default_factory=dict)
    extensions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LocalSettings:
    """local.settings.json: app settings (`Values`) and the `Host` section."""

    values: Mapping[str, str] = field(default_factory=dict)
    cors: tuple[str, ...] = ()
    cors_credentials: bool = False
    port: int | None = None


def get_key(mapping: Mapping[str, Any], key: str) -> Any:
    """Case-insensitive lookup, as the host's configuration is case-insensitive."""
    wanted = key.lower()
    return next((value for name, value in mapping.items() if name.lower() == wanted), None)


# Keys the Service Bus extension 5.x reads from host.json `extensions.serviceBus` (docs:
# "Azure Service Bus bindings for Azure Functions", host.json settings). The local host runs no
# Service Bus listener, but an unknown key here would be silently ignored in Azure.
SERVICE_BUS_KEYS = (
    "clientRetryOptions",
    "prefetchCount",
    "transportType",
    "webProxy",
    "autoCompleteMessages",
    "maxAutoLockRenewalDuration",
    "maxConcurrentCalls",
    "maxConcurrentSessions",
    "maxConcurrentCallsPerSession",
    "maxMessageBatchSize",
    "minMessageBatchSize",
    "maxBatchWaitTime",
    "sessionIdleTimeout",
    "enableCrossEntityTransactions",
)


# The properties of the RabbitMQ extension's RabbitMQOptions (Config/RabbitMQOptions.cs).
RABBITMQ_KEYS = ("prefetchCount", "connectionString", "queueName", "disableCertificateValidation")


def check_known_keys(extensions: Mapping[str, Any], section: str, known: tuple[str, ...]) -> None:
    """Refuse keys of `extensions.<section>` that the real extension does not read."""
    values = get_key(extensions, section) or {}
    if not isinstance(values, Mapping):
        raise HostConfigError(f"extensions.{section} must be an object, got {values!r}")
    wanted = {key.lower() for key in known}
    unknown = sorted(key for key in values if key.lower() not in wanted)
    if unknown:
        raise HostConfigError(
            f"extensions.{section} has keys the Azure extension does not read: {unknown}; "
            f"known keys: {list(known)}"
        )


def parse_host_config(data: Mapping[str, Any]) -> HostConfig:
    """Build a HostConfig from parsed host.json content."""
    extensions = get_key(data, "extensions") or {}
    check_known_keys(extensions, "serviceBus", SERVICE_BUS_KEYS)
    check_known_keys(extensions, "rabbitMQ", RABBITMQ_KEYS)
    http = get_key(extensions, "http") or {}
    prefix = get_key(http, "routePrefix")
    if prefix is None:
        prefix = DEFAULT_ROUTE_PREFIX
    if not isinstance(prefix, str):
        raise HostConfigError(f"extensions.http.routePrefix must be a string, got {prefix!r}")
    headers = get_key(http, "customHeaders") or {}
    if not isinstance(headers, Mapping):
        raise HostConfigError(f"extensions.http.customHeaders must be an object, got {headers!r}")
    return HostConfig(
        route_prefix=prefix.strip("/"),
        custom_headers={str(k): str(v) for k, v in headers.items()},
        extensions=dict(extensions),
    )


def load_host_config(path: Path | None) -> HostConfig:
    """Read host.json; a missing path (None) gives the defaults."""
    if path is None:
        return HostConfig()
    return parse_host_config(_read_json(path))


def parse_local_settings(data: Mapping[str, Any]) -> LocalSettings:
    """Build LocalSettings from parsed local.settings.json content."""
    values = get_key(data, "Values") or {}
    host = get_key(data, "Host") or {}
    cors = str(get_key(host, "CORS") or "")
    port = get_key(host, "LocalHttpPort")
    if port is not None and not isinstance(port, int):
        raise HostConfigError(f"Host.LocalHttpPort must be an integer, got {port!r}")
    return LocalSettings(
        values={str(k): "" if v is None else str(v) for k, v in values.items()},
        cors=tuple(origin.strip() for origin in cors.split(",") if origin.strip()),
        cors_credentials=bool(get_key(host, "CORSCredentials")),
        port=port,
    )


def load_local_settings(path: Path | None) -> LocalSettings:
    """Read local.settings.json; a missing file gives empty settings, as in Core Tools."""
    if path is None or not path.exists():
        return LocalSettings()
    return parse_local_settings(_read_json(path))


def apply_values(values: Mapping[str, str], environ: MutableMapping[str, str] = os.environ) -> None:
    """Export app settings as environment variables; variables already set win."""
    for name, value in values.items():
        environ.setdefault(name, value)


def _read_json(path: Path) -> Mapping[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise HostConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, Mapping):
        raise HostConfigError(f"{path} must hold a JSON object")
    return data
