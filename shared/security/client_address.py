"""The client address of an HTTP request, from the X-Forwarded-For its trusted front end set.

In Azure Functions the worker never sees the TCP peer: the platform's front end appends the
address it accepted the connection from to `X-Forwarded-For`. Everything to the left of what
the trusted proxies appended was written by the client and is ignored. With `trusted_hops`
proxies in front of the app (1: the Functions front end; 2: e.g. Front Door + Functions), the
client is the `trusted_hops`-th entry from the right. IPv6 clients are grouped by /64 (one
subscriber usually owns a whole /64). Anything unparsable becomes "unknown", one shared bucket.
"""

from __future__ import annotations

import ipaddress

UNKNOWN = "unknown"


def _parse(entry: str) -> str | None:
    text = entry.strip()
    if text.startswith("["):  # [v6]:port
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def client_address(forwarded_for: str | None, *, trusted_hops: int = 1) -> str:
    """The client's address (or /64 for IPv6) as appended by the trusted front end."""
    entries = [e for e in (forwarded_for or "").split(",") if e.strip()]
    if trusted_hops < 1 or len(entries) < trusted_hops:
        return UNKNOWN
    return _parse(entries[-trusted_hops]) or UNKNOWN
