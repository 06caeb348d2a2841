"""The caller's alert history and acknowledgements."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.functions as func

from routes._doc import PAGE, ApiDoc, Operation
from routes._http import choice_param, endpoint, json_response, page_params, user_scope, uuid_param
from shared import alerts
from shared.errors import FieldError, ValidationFailed
from shared.schemas import AckAllResult, AlertPage, AlertPublic

bp = func.Blueprint()
api_doc = ApiDoc()
ANON = func.AuthLevel.ANONYMOUS


def _since(req: func.HttpRequest) -> datetime | None:
    text = req.params.get("since")
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailed(
            "since must be an ISO 8601 timestamp.",
            errors=[FieldError("since", "invalid timestamp")],
        ) from exc
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError as exc:  # 0001-01-01T00:00+14:00 has no UTC equivalent
            raise ValidationFailed(
                "since is out of range.", errors=[FieldError("since", "out of range")]
            ) from exc
    return parsed


@api_doc(
    Operation(
        "get",
        "/me/alerts",
        "My alerts, newest first",
        "alerts",
        "user",
        response=AlertPage,
        query=(*PAGE, "since", "unacknowledged", "state"),
        errors=(422,),
    )
)
@bp.route(route="me/alerts", methods=["GET"], auth_level=ANON)
@endpoint
def list_my_alerts(req: func.HttpRequest) -> func.HttpResponse:
    """The caller's alerts, newest first; `since` returns only newer ones, `state` filters."""
    with user_scope(req, read_only=True) as (session, user):
        limit, offset = page_params(req)
        only_open = choice_param(req, "unacknowledged", ("true", "false", "1", "0")) in (
            "1",
            "true",
        )
        items, total, open_count = alerts.list_alerts(
            session,
            owner_id=user.id,
            limit=limit,
            offset=offset,
            since=_since(req),
            unacknowledged_only=only_open,
            state=choice_param(req, "state", ("active", "cleared")),
        )
        return json_response(
            AlertPage(
                items=items, total=total, limit=limit, offset=offset, unacknowledged=open_count
            )
        )


@api_doc(
    Operation(
        "post",
        "/me/alerts/{id}/ack",
        "Acknowledge an alert",
        "alerts",
        "user",
        response=AlertPublic,
        errors=(404,),
    )
)
@bp.route(route="me/alerts/{id}/ack", methods=["POST"], auth_level=ANON)
@endpoint
def ack_my_alert(req: func.HttpRequest) -> func.HttpResponse:
    """Acknowledge one alert."""
    with user_scope(req) as (session, user):
        alert_id = uuid_param(req.route_params.get("id"), what="alert")
        return json_response(alerts.acknowledge(session, owner_id=user.id, alert_id=alert_id))


@api_doc(
    Operation(
        "post",
        "/me/alerts/ack-all",
        "Acknowledge all my alerts",
        "alerts",
        "user",
        response=AckAllResult,
    )
)
@bp.route(route="me/alerts/ack-all", methods=["POST"], auth_level=ANON)
@endpoint
def ack_all_my_alerts(req: func.HttpRequest) -> func.HttpResponse:
    """Acknowledge every open alert of the caller."""
    with user_scope(req) as (session, user):
        count = alerts.acknowledge_all(session, owner_id=user.id)
        return json_response(AckAllResult(acknowledged=count))
