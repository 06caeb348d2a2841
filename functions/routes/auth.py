"""Auth routes: login, refresh, who am I."""

from __future__ import annotations

import azure.functions as func

from routes._http import endpoint, json_response, parse_body, user_scope
from shared import auth
from shared.platform import get_platform
from shared.schemas import LoginRequest, RefreshRequest, UserPublic

bp = func.Blueprint()


@bp.route(route="auth/login", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@endpoint
def login(req: func.HttpRequest) -> func.HttpResponse:
    """Exchange username and password for tokens."""
    body = parse_body(req, LoginRequest)
    return json_response(auth.login(get_platform(), body.username, body.password))


@bp.route(route="auth/refresh", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@endpoint
def refresh(req: func.HttpRequest) -> func.HttpResponse:
    """Exchange a refresh token for a new token pair."""
    body = parse_body(req, RefreshRequest)
    return json_response(auth.refresh(get_platform(), body.refresh_token))


@bp.route(route="auth/me", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@endpoint
def me(req: func.HttpRequest) -> func.HttpResponse:
    """Return the authenticated user."""
    with user_scope(req, read_only=True) as (_session, user):
        return json_response(UserPublic.model_validate(user))
