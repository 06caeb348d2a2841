"""Operator console routes (administrators only): overview, all alerts, audit, dead letters."""

from __future__ import annotations

import azure.functions as func

from routes._doc import PAGE, ApiDoc, Operation
from routes._http import (
    choice_param,
    endpoint,
    json_response,
    page_params,
    parse_body,
    user_scope,
)
from routes._params import optional_uuid, search_param, time_param
from shared.audit import ENTITY_TYPES, AuditFilter, list_audit, record_audit
from shared.console.all_alerts import KINDS, STATES, AlertQuery, list_all_alerts
from shared.console.deadletter_stores import chosen_transport, dead_letter_store
from shared.console.overview import build_overview
from shared.console.schemas import (
    AdminAlertPage,
    AuditPage,
    DeadLetterPage,
    FleetOverview,
    ReplayRequest,
    ReplayResultPublic,
)
from shared.console.silence_job import thresholds
from shared.console.views import admin_alert, audit_entry, dead_letter, overview_view
from shared.db import transaction
from shared.errors import FieldError, ValidationFailed
from shared.models import utcnow
from shared.platform import get_platform

bp = func.Blueprint()
api_doc = ApiDoc()
ANON = func.AuthLevel.ANONYMOUS


@api_doc(
    Operation(
        "get",
        "/fleet/overview",
        "Fleet overview: devices by status, today's energy, open alerts",
        "console",
        "admin",
        response=FleetOverview,
    )
)
@bp.route(route="fleet/overview", methods=["GET"], auth_level=ANON)
@endpoint
def fleet_overview(req: func.HttpRequest) -> func.HttpResponse:
    """Devices by status, today's energy, open alerts and the meters needing attention."""
    with user_scope(req, admin=True, read_only=True) as (session, _admin):
        platform = get_platform()
        overview = build_overview(session, now=utcnow(), limits=thresholds(platform))
        settings = platform.settings
        return json_response(
            overview_view(
                overview,
                late_minutes=settings.FLEET_LATE_AFTER_MINUTES,
                silent_minutes=settings.FLEET_SILENT_AFTER_MINUTES,
            )
        )


@api_doc(
    Operation(
        "get",
        "/alerts",
        "Every client's alerts (over-maximum hours and silent meters)",
        "console",
        "admin",
        response=AdminAlertPage,
        query=(*PAGE, "device_id", "owner_id", "admin_alert_state", "kind", "since"),
        errors=(422,),
    )
)
@bp.route(route="alerts", methods=["GET"], auth_level=ANON)
@endpoint
def list_alerts(req: func.HttpRequest) -> func.HttpResponse:
    """Every client's alerts, newest first; filter by device, owner, state, kind, since."""
    with user_scope(req, admin=True, read_only=True) as (session, _admin):
        limit, offset = page_params(req)
        wanted = AlertQuery(
            device_id=optional_uuid(req, "device_id"),
            owner_id=optional_uuid(req, "owner_id"),
            state=choice_param(req, "state", STATES),  # type: ignore[arg-type]
            kind=choice_param(req, "kind", KINDS),  # type: ignore[arg-type]
            since=time_param(req, "since"),
        )
        alerts, total = list_all_alerts(session, wanted=wanted, limit=limit, offset=offset)
        items = [admin_alert(alert) for alert in alerts]
        return json_response(AdminAlertPage(items=items, total=total, limit=limit, offset=offset))


@api_doc(
    Operation(
        "get",
        "/audit",
        "The audit trail of administrative changes",
        "console",
        "admin",
        response=AuditPage,
        query=(*PAGE, "actor_id", "entity_type", "entity_id", "since", "until"),
        errors=(422,),
    )
)
@bp.route(route="audit", methods=["GET"], auth_level=ANON)
@endpoint
def list_audit_entries(req: func.HttpRequest) -> func.HttpResponse:
    """The audit trail, newest first; filter by actor, entity and period."""
    with user_scope(req, admin=True, read_only=True) as (session, _admin):
        limit, offset = page_params(req)
        wanted = AuditFilter(
            actor_id=optional_uuid(req, "actor_id"),
            entity_type=choice_param(req, "entity_type", ENTITY_TYPES),
            entity_id=search_param(req, "entity_id"),
            since=time_param(req, "since"),
            until=time_param(req, "until"),
        )
        entries, total = list_audit(session, wanted=wanted, limit=limit, offset=offset)
        items = [audit_entry(entry) for entry in entries]
        return json_response(AuditPage(items=items, total=total, limit=limit, offset=offset))


@api_doc(
    Operation(
        "get",
        "/deadletters",
        "Dead letters of the ingestion queue (nothing consumed)",
        "console",
        "admin",
        response=DeadLetterPage,
        query=PAGE,
        errors=(422, 503),
    )
)
@bp.route(route="deadletters", methods=["GET"], auth_level=ANON)
@endpoint
def list_dead_letters(req: func.HttpRequest) -> func.HttpResponse:
    """The ingestion queue's dead letters, oldest first; nothing is consumed."""
    with user_scope(req, admin=True, read_only=True):
        limit, offset = page_params(req)
    settings = get_platform().settings
    letters, total = dead_letter_store(settings).list_letters(limit=limit, offset=offset)
    return json_response(
        DeadLetterPage(
            transport=chosen_transport(settings),
            items=[dead_letter(letter) for letter in letters],
            total=total,
            limit=limit,
            offset=offset,
        )
    )


@api_doc(
    Operation(
        "post",
        "/deadletters/replay",
        "Replay chosen (or all) dead letters to the ingestion queue",
        "console",
        "admin",
        response=ReplayResultPublic,
        request=ReplayRequest,
        errors=(400, 422, 503),
    )
)
@bp.route(route="deadletters/replay", methods=["POST"], auth_level=ANON)
@endpoint
def replay_dead_letters(req: func.HttpRequest) -> func.HttpResponse:
    """Move chosen dead letters (or all, up to a limit) back to the ingestion queue; audited."""
    with user_scope(req, admin=True, read_only=True) as (_session, admin):
        body = parse_body(req, ReplayRequest)
        actor = admin
    if (body.ids is None) == (not body.all):
        raise ValidationFailed(
            "Give either ids (the letters to replay) or all=true, not both.",
            errors=[FieldError("ids", "ids or all=true required")],
        )
    platform = get_platform()
    ids = frozenset(body.ids) if body.ids is not None else None
    result = dead_letter_store(platform.settings).replay(ids=ids, limit=body.limit)
    replayed_ids = [letter.id for letter in result.replayed]
    with transaction(platform.sessions) as session:
        after = {
            "replayed_ids": replayed_ids,
            "missing_ids": result.missing,
            "skipped_ids": result.skipped,
            "all": body.all,
        }
        record_audit(session, actor, "deadletters.replayed", ("deadletter", None), None, after)
    return json_response(
        ReplayResultPublic(
            replayed=len(replayed_ids),
            replayed_ids=replayed_ids,
            missing_ids=result.missing,
            skipped_ids=result.skipped,
        )
    )
