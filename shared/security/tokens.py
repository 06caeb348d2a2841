"""JWT access and refresh tokens carrying the user id and role."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt

from shared.errors import Unauthorized

TokenKind = Literal["access", "refresh"]
ALGORITHM = "HS256"
# Tokens already verified, by (secret, issuer, token text): a token never changes, so the
# repeat requests of a session skip PyJWT's base64, JSON and HMAC work (~0.1 ms each); the
# expiry is checked on every use. Revocation is not a token property: the database checks it.
_VERIFIED: dict[tuple[str, str, str], tuple[TokenClaims, float]] = {}
_VERIFIED_MAX = 4096


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a verified platform token says about its bearer."""

    user_id: str
    role: str
    token_version: int
    kind: TokenKind
    session_id: str | None = None  # the sign-in (auth_sessions row) the token belongs to
    token_id: str | None = None  # refresh tokens: which rotation of the session this is


@dataclass(frozen=True, slots=True)
class TokenIssuer:
    """Signs and verifies the platform's tokens with one secret."""

    secret: str
    issuer: str
    access_ttl: timedelta
    refresh_ttl: timedelta

    def issue(self, claims: TokenClaims, *, now: datetime | None = None) -> str:
        """Return a signed token for claims."""
        issued = now or datetime.now(UTC)
        ttl = self.access_ttl if claims.kind == "access" else self.refresh_ttl
        payload: dict[str, object] = {
            "sub": claims.user_id,
            "role": claims.role,
            "ver": claims.token_version,
            "typ": claims.kind,
            "iss": self.issuer,
            "iat": issued,
            "exp": issued + ttl,
        }
        if claims.session_id is not None:
            payload["sid"] = claims.session_id
        if claims.token_id is not None:
            payload["jti"] = claims.token_id
        return jwt.encode(payload, self.secret, algorithm=ALGORITHM)

    def verify(self, token: str, *, kind: TokenKind) -> TokenClaims:
        """Return the claims of a valid token of the given kind, or raise Unauthorized."""
        key = (self.secret, self.issuer, token)
        hit = _VERIFIED.get(key)
        if hit is not None and hit[0].kind == kind and time.time() < hit[1]:
            return hit[0]
        claims, expires = self._decode(token, kind)
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[key] = (claims, expires)
        return claims

    def _decode(self, token: str, kind: TokenKind) -> tuple[TokenClaims, float]:
        try:
            payload = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={"require": ["sub", "exp", "iat", "iss", "typ"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The token has expired.") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("The token is invalid.") from exc
        if payload.get("typ") != kind:
            raise Unauthorized(f"Expected an {kind} token.")
        claims = TokenClaims(
            user_id=str(payload["sub"]),
            role=str(payload.get("role", "")),
            token_version=int(payload.get("ver", 0)),
            kind=kind,
            session_id=_optional_str(payload.get("sid")),
            token_id=_optional_str(payload.get("jti")),
        )
        return claims, float(payload["exp"])


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None
