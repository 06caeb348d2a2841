"""Auth routes: login, refresh, logout, who am I, change my password."""

from __future__ import annotations

import azure.functions as func

from routes._doc import ApiDoc, Operation
from routes._http import (
    client_address_of,
    disconnector,
    endpoint,
    json_response,
    parse_body,
    user_scope,
)
from shared import auth
from shared.platform import get_platform
from shared.schemas import LoginRequest, PasswordChange, RefreshRequest, TokenPair, UserPublic

bp = func.Blueprint()
api_doc = ApiDoc()
ANON = func.AuthLevel.ANONYMOUS


@api_doc(
    Operation(
        "post",
        "/auth/login",
        "Log in",
        "auth",
        "none",
        response=TokenPair,
        request=LoginRequest,
        errors=(400, 401, 422, 429),
    )
)
@bp.route(route="auth/login", methods=["POST"], auth_level=ANON)
@endpoint
def login(req: func.HttpRequest) -> func.HttpResponse:
    """Exchange username and password for tokens."""
    body = parse_body(req, LoginRequest)
    return json_response(
        auth.login(get_platform(), body.username, body.password, address=client_address_of(req))
    )


@api_doc(
    Operation(
        "post",
        "/auth/refresh",
        "Refresh tokens",
        "auth",
        "none",
        response=TokenPair,
        request=RefreshRequest,
        errors=(400, 401, 422),
    )
)
@bp.route(route="auth/refresh", methods=["POST"], auth_level=ANON)
@endpoint
def refresh(req: func.HttpRequest) -> func.HttpResponse:
    """Exchange a refresh token for a new token pair (the old refresh token is spent)."""
    body = parse_body(req, RefreshRequest)
    platform = get_platform()
    return json_response(
        auth.refresh(platform, body.refresh_token, disconnect=disconnector(platform))
    )


@api_doc(Operation("post", "/auth/logout", "End my session", "auth", "user", ok=204))
@bp.route(route="auth/logout", methods=["POST"], auth_level=ANON)
@endpoint
def logout(req: func.HttpRequest) -> func.HttpResponse:
    """End the caller's session: its access and refresh tokens stop working."""
    platform = get_platform()
    with platform.readers() as session:
        _user, claims = auth.verify_access(platform, session, req.headers.get("Authorization"))
    auth.logout(platform, claims)
    return func.HttpResponse(status_code=204, headers={"Cache-Control": "no-store"})


@api_doc(Operation("get", "/auth/me", "Current user", "auth", "user", response=UserPublic))
@bp.route(route="auth/me", methods=["GET"], auth_level=ANON)
@endpoint
def me(req: func.HttpRequest) -> func.HttpResponse:
    """Return the authenticated user."""
    with user_scope(req, read_only=True) as (_session, user):
        return json_response(UserPublic.model_validate(user))


@api_doc(
    Operation(
        "post",
        "/me/password",
        "Change my password (ends my other sessions)",
        "auth",
        "user",
        response=TokenPair,
        request=PasswordChange,
        errors=(400, 422, 429),
    )
)
@bp.route(route="me/password", methods=["POST"], auth_level=ANON)
@endpoint
def change_my_password(req: func.HttpRequest) -> func.HttpResponse:
    """Change the caller's password (the current one is required); other sessions end."""
    platform = get_platform()
    with platform.readers() as session:
        _user, claims = auth.verify_access(platform, session, req.headers.get("Authorization"))
    body = parse_body(req, PasswordChange)
    pair = auth.change_password(
        platform,
        claims,
        body.old_password,
        body.new_password,
        address=client_address_of(req),
        disconnect=disconnector(platform),
    )
    return json_response(pair)
