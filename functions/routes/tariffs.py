"""Tariffs and their assignment to devices (administrators only)."""

from __future__ import annotations

import azure.functions as func

from routes._doc import ApiDoc, Operation
from routes._http import endpoint, json_response, parse_body, user_scope, uuid_param
from shared import devices
from shared.audit import record_audit
from shared.usage import tariffs
from shared.usage.schemas import (
    AssignmentCreate,
    AssignmentList,
    TariffCreate,
    TariffList,
    TariffPublic,
)

bp = func.Blueprint()
api_doc = ApiDoc()
ANON = func.AuthLevel.ANONYMOUS


@api_doc(Operation("get", "/tariffs", "List tariffs", "tariffs", "admin", response=TariffList))
@bp.route(route="tariffs", methods=["GET"], auth_level=ANON)
@endpoint
def list_tariffs(req: func.HttpRequest) -> func.HttpResponse:
    """Every tariff, newest first."""
    with user_scope(req, admin=True, read_only=True) as (session, _admin):
        items = [tariffs.tariff_public(session, t) for t in tariffs.list_tariffs(session)]
        return json_response(TariffList(items=items))


@api_doc(
    Operation(
        "post",
        "/tariffs",
        "Create a flat or time-of-use tariff",
        "tariffs",
        "admin",
        ok=201,
        response=TariffPublic,
        request=TariffCreate,
        errors=(400, 422),
    )
)
@bp.route(route="tariffs", methods=["POST"], auth_level=ANON)
@endpoint
def create_tariff(req: func.HttpRequest) -> func.HttpResponse:
    """Create a flat or time-of-use tariff."""
    with user_scope(req, admin=True) as (session, admin):
        data = parse_body(req, TariffCreate)
        tariff = tariffs.create_tariff(session, data=data)
        public = tariffs.tariff_public(session, tariff)
        after = public.model_dump(mode="json", exclude={"id"})
        record_audit(session, admin, "tariff.created", ("tariff", tariff.id), None, after)
        return json_response(public, status=201)


@api_doc(
    Operation(
        "get",
        "/tariffs/{id}",
        "Get a tariff",
        "tariffs",
        "admin",
        response=TariffPublic,
        errors=(404,),
    )
)
@bp.route(route="tariffs/{id}", methods=["GET"], auth_level=ANON)
@endpoint
def get_tariff(req: func.HttpRequest) -> func.HttpResponse:
    """One tariff with its bands."""
    with user_scope(req, admin=True, read_only=True) as (session, _admin):
        tariff_id = uuid_param(req.route_params.get("id"), what="tariff")
        tariff = tariffs.get_tariff(session, tariff_id=tariff_id)
        return json_response(tariffs.tariff_public(session, tariff))


@api_doc(
    Operation(
        "get",
        "/devices/{id}/tariffs",
        "A device's tariff history",
        "tariffs",
        "admin",
        response=AssignmentList,
        errors=(404,),
    )
)
@bp.route(route="devices/{id}/tariffs", methods=["GET"], auth_level=ANON)
@endpoint
def device_tariffs(req: func.HttpRequest) -> func.HttpResponse:
    """A device's tariff history, oldest first."""
    with user_scope(req, admin=True, read_only=True) as (session, _admin):
        device_id = uuid_param(req.route_params.get("id"), what="device")
        device = devices.get_device(session, device_id=device_id)
        return json_response(AssignmentList(items=tariffs.list_assignments(session, device=device)))


@api_doc(
    Operation(
        "post",
        "/devices/{id}/tariffs",
        "Assign a tariff to a device from a date or hour on",
        "tariffs",
        "admin",
        ok=201,
        response=AssignmentList,
        request=AssignmentCreate,
        errors=(400, 404, 409, 422),
    )
)
@bp.route(route="devices/{id}/tariffs", methods=["POST"], auth_level=ANON)
@endpoint
def assign_tariff(req: func.HttpRequest) -> func.HttpResponse:
    """Bill a device by a tariff from effective_from on; returns the history."""
    with user_scope(req, admin=True) as (session, admin):
        device_id = uuid_param(req.route_params.get("id"), what="device")
        device = devices.get_device(session, device_id=device_id)
        data = parse_body(req, AssignmentCreate)
        tariffs.assign_tariff(session, device=device, data=data)
        history = tariffs.list_assignments(session, device=device)
        after = data.model_dump(mode="json")
        record_audit(session, admin, "tariff.assigned", ("device", device_id), None, after)
        return json_response(AssignmentList(items=history), status=201)
