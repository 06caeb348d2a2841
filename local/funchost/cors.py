"""CORS like Core Tools' `Host.CORS` / `--cors`: any method and header, listed origins."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ANY_ORIGIN = "*"


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """Allowed origins (`*` for any) and whether credentials are allowed."""

    origins: tuple[str, ...]
    allow_credentials: bool = False

    @classmethod
    def from_values(cls, values: Iterable[str], allow_credentials: bool = False) -> CorsPolicy:
        """Build from CLI/setting values; each may be a comma-separated list."""
        origins = tuple(
            origin.strip().rstrip("/")
            for value in values
            for origin in value.split(",")
            if origin.strip()
        )
        return cls(origins, allow_credentials)

    def allows(self, origin: str) -> bool:
        """True when `origin` may read responses."""
        wanted = origin.rstrip("/").lower()
        return any(item == ANY_ORIGIN or item.lower() == wanted for item in self.origins)

    def origin_headers(self, origin: str) -> dict[str, str]:
        """`Access-Control-Allow-Origin` (+ credentials, Vary) for an allowed origin, else {}."""
        if not origin or not self.allows(origin):
            return {}
        if ANY_ORIGIN in self.origins and not self.allow_credentials:
            return {"Access-Control-Allow-Origin": ANY_ORIGIN}
        headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        if self.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers

    def preflight_headers(self, request_headers: Mapping[str, str]) -> dict[str, str]:
        """Headers answering a preflight: echo the requested method and headers when allowed."""
        headers = self.origin_headers(request_headers.get("Origin", ""))
        if not headers:
            return {}
        headers["Access-Control-Allow-Methods"] = request_headers.get(
            "Access-Control-Request-Method", ""
        ).upper()
        requested = request_headers.get("Access-Control-Request-Headers", "")
        if requested:
            headers["Access-Control-Allow-Headers"] = requested
        return headers


def is_preflight(method: str, request_headers: Mapping[str, str]) -> bool:
    """An OPTIONS request with `Origin` and `Access-Control-Request-Method` is a preflight."""
    return (
        method.upper() == "OPTIONS"
        and "Origin" in request_headers
        and "Access-Control-Request-Method" in request_headers
    )
