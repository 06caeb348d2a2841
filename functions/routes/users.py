"""User administration routes (administrators only)."""

from __future__ import annotations

import azure.functions as func

from routes._doc import PAGE, ApiDoc, Operation
from routes._http import (
    choice_param,
    disconnector,
    endpoint,
    json_response,
    page_params,
    parse_body,
    user_scope,
    uuid_param,
)
from routes._params import search_param
from shared import accounts
from shared.audit import record_audit, user_snapshot
from shared.console.people import USER_SORTS, UserQuery, list_users_with_counts
from shared.console.schemas import UserListItem
from shared.platform import get_platform
from shared.schemas import Page, UserCreate, UserDeleted, UserPublic, UserUpdate

bp = func.Blueprint()
api_doc = ApiDoc()
ANON = func.AuthLevel.ANONYMOUS


def _user_id(req: func.HttpRequest) -> str:
    return uuid_param(req.route_params.get("id"), what="user")


@api_doc(
    Operation(
        "get",
        "/users",
        "List users",
        "users",
        "admin",
        response=Page[UserListItem],
        query=(*PAGE, "role", "q", "user_sort"),
        errors=(422,),
    )
)
@bp.route(route="users", methods=["GET"], auth_level=ANON)
@endpoint
def list_users(req: func.HttpRequest) -> func.HttpResponse:
    """List accounts with their device counts; filter by role and text, sort."""
    with user_scope(req, admin=True, read_only=True) as (session, _admin):
        limit, offset = page_params(req)
        wanted = UserQuery(
            role=choice_param(req, "role", ("admin", "client")),
            search=search_param(req),
            sort=choice_param(req, "sort", USER_SORTS) or "username",
        )
        rows, total = list_users_with_counts(session, wanted=wanted, limit=limit, offset=offset)
        items = [
            UserListItem(**UserPublic.model_validate(u).model_dump(), device_count=n)
            for u, n in rows
        ]
        return json_response(
            Page[UserListItem](items=items, total=total, limit=limit, offset=offset)
        )


@api_doc(
    Operation(
        "post",
        "/users",
        "Create a user",
        "users",
        "admin",
        ok=201,
        response=UserPublic,
        request=UserCreate,
        errors=(400, 409, 422),
    )
)
@bp.route(route="users", methods=["POST"], auth_level=ANON)
@endpoint
def create_user(req: func.HttpRequest) -> func.HttpResponse:
    """Create an account."""
    with user_scope(req, admin=True) as (session, admin):
        user = accounts.create_user(session, data=parse_body(req, UserCreate))
        after = {**user_snapshot(user), "password": "set"}
        record_audit(session, admin, "user.created", ("user", user.id), None, after)
        return json_response(UserPublic.model_validate(user), status=201)


@api_doc(
    Operation(
        "get", "/users/{id}", "Get a user", "users", "admin", response=UserPublic, errors=(404,)
    )
)
@bp.route(route="users/{id}", methods=["GET"], auth_level=ANON)
@endpoint
def get_user(req: func.HttpRequest) -> func.HttpResponse:
    """Read one account."""
    with user_scope(req, admin=True, read_only=True) as (session, _admin):
        user = accounts.get_user(session, user_id=_user_id(req))
        return json_response(UserPublic.model_validate(user))


@api_doc(
    Operation(
        "patch",
        "/users/{id}",
        "Update a user",
        "users",
        "admin",
        response=UserPublic,
        request=UserUpdate,
        errors=(400, 404, 409, 422),
    )
)
@bp.route(route="users/{id}", methods=["PATCH"], auth_level=ANON)
@endpoint
def update_user(req: func.HttpRequest) -> func.HttpResponse:
    """Change an account's username, name, password or role."""
    with user_scope(req, admin=True) as (session, admin):
        user_id = _user_id(req)
        data = parse_body(req, UserUpdate)
        before = user_snapshot(accounts.get_user(session, user_id=user_id))
        user = accounts.update_user(session, user_id=user_id, data=data)
        after = user_snapshot(user) | ({"password": "changed"} if data.password else {})
        record_audit(session, admin, "user.updated", ("user", user_id), before, after)
        public = UserPublic.model_validate(user)
    if data.password is not None or data.role is not None:
        disconnector(get_platform())(user_id)  # committed: their tokens are revoked
    return json_response(public)


@api_doc(
    Operation(
        "delete",
        "/users/{id}",
        "Delete a user",
        "users",
        "admin",
        response=UserDeleted,
        errors=(404, 409),
    )
)
@bp.route(route="users/{id}", methods=["DELETE"], auth_level=ANON)
@endpoint
def delete_user(req: func.HttpRequest) -> func.HttpResponse:
    """Delete an account; its devices become unowned (listed in the response)."""
    with user_scope(req, admin=True) as (session, admin):
        user_id = _user_id(req)
        before = user_snapshot(accounts.get_user(session, user_id=user_id))
        unassigned = accounts.delete_user(session, user_id=user_id, acting_user_id=admin.id)
        after = {"unassigned_device_ids": unassigned}
        record_audit(session, admin, "user.deleted", ("user", user_id), before, after)
    disconnector(get_platform())(user_id)
    return json_response(UserDeleted(id=user_id, unassigned_device_ids=unassigned))
