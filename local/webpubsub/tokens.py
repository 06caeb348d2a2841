"""Verify and issue the HS256 JWTs that Web PubSub uses for REST calls and client connections."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import jwt
from yarl import URL

_SCHEME_ALIASES = {"ws": "http", "wss": "https"}
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Signatures already checked: (token, key) -> claims. A token's signature and claims are fixed by
# its text, so a repeat only needs its expiry checked again (the same rule as PyJWT: expired once
# `exp` <= now). Bounded, least recently used first out. Only accepted tokens are kept.
_VERIFIED: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
_VERIFIED_MAX = 4096


class TokenError(Exception):
    """The bearer token is missing, unsigned by the access key, expired or for another URL."""


@dataclass(frozen=True, slots=True)
class ClientIdentity:
    """Who a client access token says the connecting client is."""

    user_id: str | None
    roles: frozenset[str]
    groups: tuple[str, ...]


def _normalise_url(url: URL) -> tuple[str, str, int | None, str]:
    """Reduce a URL to (scheme, host, port, decoded path), lower-cased, without the query."""
    scheme = _SCHEME_ALIASES.get(url.scheme.lower(), url.scheme.lower())
    port = url.explicit_port or _DEFAULT_PORTS.get(scheme)
    path = unquote(url.raw_path).rstrip("/").lower()
    return scheme, (url.host or "").lower(), port, path


def audience_matches(audience: str, expected_url: URL) -> bool:
    """Compare `aud` with a URL case-insensitively, ignoring the query string."""
    try:
        return _normalise_url(URL(audience)) == _normalise_url(expected_url)
    except (ValueError, TypeError):
        return False


def bearer_token(authorization: str | None) -> str | None:
    """Return the token of an `Authorization: Bearer <token>` header, if there is one."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def verify_token(token: str | None, *, key: str, expected_url: URL) -> dict[str, Any]:
    """Return the claims of a token signed with `key` for `expected_url`, or raise TokenError."""
    if not token:
        raise TokenError("No access token was provided")
    claims = _decode(token, key)
    audience = claims.get("aud")
    if not isinstance(audience, str) or not audience_matches(audience, expected_url):
        # Never the request's query: a client URL carries its access token there.
        raise TokenError(
            f"The access token audience does not match {expected_url.with_query(None)}"
        )
    return claims


def _decode(token: str, key: str) -> dict[str, Any]:
    """The claims of a token signed with `key` that has not expired, or raise TokenError."""
    cached = _VERIFIED.get((token, key))
    if cached is not None:
        if cached["exp"] <= time.time():
            del _VERIFIED[(token, key)]
            raise TokenError("The access token has expired")
        _VERIFIED.move_to_end((token, key))
        return dict(cached)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["HS256"],
            options={"verify_aud": False, "require": ["exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("The access token has expired") from None
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"The access token is invalid: {exc}") from None
    _VERIFIED[(token, key)] = dict(claims)
    if len(_VERIFIED) > _VERIFIED_MAX:
        _VERIFIED.popitem(last=False)
    return claims


def _string_list(value: object) -> list[str]:
    """Accept a claim given either as one string or as a list of strings."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def identity_from_claims(claims: Mapping[str, Any]) -> ClientIdentity:
    """Read user id (`sub`), roles (`role`) and auto-join groups (`webpubsub.group`)."""
    subject = claims.get("sub")
    return ClientIdentity(
        user_id=subject if isinstance(subject, str) and subject else None,
        roles=frozenset(_string_list(claims.get("role"))),
        groups=tuple(dict.fromkeys(_string_list(claims.get("webpubsub.group")))),
    )


def issue_client_token(
    *,
    key: str,
    audience: str,
    user_id: str | None,
    roles: Iterable[str],
    groups: Iterable[str],
    minutes_to_expire: int,
) -> str:
    """Sign a client access token with the same claims as the SDK's key-based generator."""
    now = int(time.time())
    payload: dict[str, Any] = {"aud": audience, "iat": now, "exp": now + minutes_to_expire * 60}
    if user_id:
        payload["sub"] = user_id
    role_list = list(roles)
    if role_list:
        payload["role"] = role_list
    group_list = list(groups)
    if group_list:
        payload["webpubsub.group"] = group_list
    return jwt.encode(payload, key, algorithm="HS256")
