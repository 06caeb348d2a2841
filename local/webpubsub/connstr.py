"""Parse a Web PubSub connection string the way the official SDK does."""

from __future__ import annotations

from dataclasses import dataclass

from yarl import URL


class ConnectionStringError(ValueError):
    """The connection string is malformed or lacks a required key."""


@dataclass(frozen=True, slots=True)
class TwinSettings:
    """Where the twin listens and which key signs every token."""

    endpoint: str
    host: str
    port: int
    access_key: str


def _split_segments(connection_string: str) -> dict[str, str]:
    """Split `Key=Value;...` into a dict with lower-cased keys (first occurrence wins)."""
    fields: dict[str, str] = {}
    for segment in connection_string.strip().split(";"):
        segment = segment.strip()
        if not segment:
            continue
        if "=" not in segment:
            raise ConnectionStringError(
                f"Malformed connection string: expected 'key=value', found segment {segment!r}"
            )
        key, value = segment.split("=", 1)
        fields.setdefault(key.strip().lower(), value.strip())
    return fields


def _parse_port(raw: str) -> int:
    """Parse the `Port` value, naming the key when it is invalid."""
    try:
        port = int(raw)
    except ValueError:
        raise ConnectionStringError(f"Port must be an integer, got {raw!r}") from None
    if not 0 <= port <= 65535:
        raise ConnectionStringError(f"Port must be between 0 and 65535, got {port}")
    return port


def parse_connection_string(connection_string: str) -> TwinSettings:
    """Return the settings held by `Endpoint=http://host;Port=p;AccessKey=k;Version=1.0;`."""
    fields = _split_segments(connection_string)
    for required in ("endpoint", "accesskey"):
        if not fields.get(required):
            raise ConnectionStringError(f"Connection string is missing the {required!r} field")
    url = URL(fields["endpoint"])
    if url.scheme != "http" or not url.host:
        raise ConnectionStringError(
            f"Endpoint must be an http:// URL with a host for the local twin, "
            f"got {fields['endpoint']!r}"
        )
    port = _parse_port(fields["port"]) if "port" in fields else url.port or 80
    return TwinSettings(
        endpoint=f"http://{url.host}:{port}",
        host=url.host,
        port=port,
        access_key=fields["accesskey"],
    )


def format_connection_string(host: str, port: int, access_key: str) -> str:
    """Build the connection string a client should use to reach a twin on `host:port`."""
    return f"Endpoint=http://{host};Port={port};AccessKey={access_key};Version=1.0;"
