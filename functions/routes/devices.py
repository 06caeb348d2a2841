"""Device administration routes (administrators only)."""

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
    uuid_param,
)
from routes._params import search_param
from shared import devices
from shared.audit import device_snapshot, record_audit
from shared.console.fleet import SORTS, STATUSES, DeviceQuery, list_fleet
from shared.console.schemas import DeviceFleetItem
from shared.console.silence_job import thresholds
from shared.console.views import fleet_item
from shared.models import utcnow
from shared.platform import get_platform
from shared.schemas import DeviceCreate, DeviceCreated, DeviceKey, DevicePublic, DeviceUpdate, Page

bp = func.Blueprint()
api_doc = ApiDoc()
ANON = func.AuthLevel.ANONYMOUS


def _device_id(req: func.HttpRequest) -> str:
    return uuid_param(req.route_params.get("id"), what="device")


@api_doc(
    Operation(
        "get",
        "/devices",
        "List devices",
        "devices",
        "admin",
        response=Page[DeviceFleetItem],
        query=(*PAGE, "owner_id", "status", "q", "device_sort"),
        errors=(404, 422),
    )
)
@bp.route(route="devices", methods=["GET"], auth_level=ANON)
@endpoint
def list_devices(req: func.HttpRequest) -> func.HttpResponse:
    """List devices with last reading and status; filter by owner, status, text; sort."""
    with user_scope(req, admin=True, read_only=True) as (session, _admin):
        limit, offset = page_params(req)
        owner = req.params.get("owner_id")
        wanted = DeviceQuery(
            owner_id=uuid_param(owner, what="owner") if owner else None,
            status=choice_param(req, "status", STATUSES),  # type: ignore[arg-type]
            search=search_param(req),
            sort=choice_param(req, "sort", SORTS) or "description",
        )
        rows, total = list_fleet(
            session,
            wanted=wanted,
            now=utcnow(),
            limits=thresholds(get_platform()),
            limit=limit,
            offset=offset,
        )
        items = [fleet_item(row) for row in rows]
        return json_response(
            Page[DeviceFleetItem](items=items, total=total, limit=limit, offset=offset)
        )


@api_doc(
    Operation(
        "post",
        "/devices",
        "Create a device",
        "devices",
        "admin",
        ok=201,
        response=DeviceCreated,
        request=DeviceCreate,
        errors=(400, 422),
    )
)
@bp.route(route="devices", methods=["POST"], auth_level=ANON)
@endpoint
def create_device(req: func.HttpRequest) -> func.HttpResponse:
    """Create a device; the response carries its ingestion key once."""
    with user_scope(req, admin=True) as (session, admin):
        device, key = devices.create_device(session, data=parse_body(req, DeviceCreate))
        after = device_snapshot(device)
        record_audit(session, admin, "device.created", ("device", device.id), None, after)
        public = DevicePublic.model_validate(device)
        return json_response(DeviceCreated(**public.model_dump(), device_key=key), status=201)


@api_doc(
    Operation(
        "get",
        "/devices/{id}",
        "Get a device",
        "devices",
        "admin",
        response=DevicePublic,
        errors=(404,),
    )
)
@bp.route(route="devices/{id}", methods=["GET"], auth_level=ANON)
@endpoint
def get_device(req: func.HttpRequest) -> func.HttpResponse:
    """Read one device."""
    with user_scope(req, admin=True, read_only=True) as (session, _admin):
        device = devices.get_device(session, device_id=_device_id(req))
        return json_response(DevicePublic.model_validate(device))


@api_doc(
    Operation(
        "patch",
        "/devices/{id}",
        "Update or (un)assign a device",
        "devices",
        "admin",
        response=DevicePublic,
        request=DeviceUpdate,
        errors=(400, 404, 422),
    )
)
@bp.route(route="devices/{id}", methods=["PATCH"], auth_level=ANON)
@endpoint
def update_device(req: func.HttpRequest) -> func.HttpResponse:
    """Change a device or its owner (owner_id null unassigns)."""
    with user_scope(req, admin=True) as (session, admin):
        device_id = _device_id(req)
        data = parse_body(req, DeviceUpdate)
        before = device_snapshot(devices.get_device(session, device_id=device_id))
        device = devices.update_device(session, device_id=device_id, data=data)
        after = device_snapshot(device)
        record_audit(
            session, admin, _update_action(before, after), ("device", device_id), before, after
        )
        return json_response(DevicePublic.model_validate(device))


def _update_action(before: dict[str, object], after: dict[str, object]) -> str:
    if before["owner_id"] == after["owner_id"]:
        return "device.updated"
    return "device.assigned" if after["owner_id"] is not None else "device.unassigned"


@api_doc(
    Operation(
        "delete", "/devices/{id}", "Delete a device", "devices", "admin", ok=204, errors=(404,)
    )
)
@bp.route(route="devices/{id}", methods=["DELETE"], auth_level=ANON)
@endpoint
def delete_device(req: func.HttpRequest) -> func.HttpResponse:
    """Delete a device and its history."""
    with user_scope(req, admin=True) as (session, admin):
        device_id = _device_id(req)
        before = device_snapshot(devices.get_device(session, device_id=device_id))
        devices.delete_device(session, device_id=device_id)
        record_audit(session, admin, "device.deleted", ("device", device_id), before, None)
        return func.HttpResponse(status_code=204)


@api_doc(
    Operation(
        "post",
        "/devices/{id}/key",
        "Rotate a device's ingestion key",
        "devices",
        "admin",
        response=DeviceKey,
        errors=(404,),
    )
)
@bp.route(route="devices/{id}/key", methods=["POST"], auth_level=ANON)
@endpoint
def rotate_device_key(req: func.HttpRequest) -> func.HttpResponse:
    """Issue a new ingestion key for a device; the old one stops working."""
    with user_scope(req, admin=True) as (session, admin):
        device_id = _device_id(req)
        key = devices.rotate_device_key(session, device_id=device_id)
        after = {"key_rotated": True}
        record_audit(session, admin, "device.key_rotated", ("device", device_id), None, after)
        return json_response(DeviceKey(device_id=device_id, device_key=key))
