"""Device administration routes (administrators only)."""

from __future__ import annotations

import azure.functions as func

from routes._http import endpoint, json_response, page_params, parse_body, user_scope, uuid_param
from shared import devices
from shared.schemas import DeviceCreate, DeviceCreated, DeviceKey, DevicePublic, DeviceUpdate, Page

bp = func.Blueprint()
ANON = func.AuthLevel.ANONYMOUS


def _device_id(req: func.HttpRequest) -> str:
    return uuid_param(req.route_params.get("id"), what="device")


@bp.route(route="devices", methods=["GET"], auth_level=ANON)
@endpoint
def list_devices(req: func.HttpRequest) -> func.HttpResponse:
    """List devices, optionally of one owner."""
    with user_scope(req, admin=True, read_only=True) as (session, _admin):
        limit, offset = page_params(req)
        owner = req.params.get("owner_id")
        owner_id = uuid_param(owner, what="owner") if owner else None
        rows, total = devices.list_devices(session, limit=limit, offset=offset, owner_id=owner_id)
        items = [DevicePublic.model_validate(d) for d in rows]
        return json_response(
            Page[DevicePublic](items=items, total=total, limit=limit, offset=offset)
        )


@bp.route(route="devices", methods=["POST"], auth_level=ANON)
@endpoint
def create_device(req: func.HttpRequest) -> func.HttpResponse:
    """Create a device; the response carries its ingestion key once."""
    with user_scope(req, admin=True) as (session, _admin):
        device, key = devices.create_device(session, data=parse_body(req, DeviceCreate))
        public = DevicePublic.model_validate(device)
        return json_response(DeviceCreated(**public.model_dump(), device_key=key), status=201)


@bp.route(route="devices/{id}", methods=["GET"], auth_level=ANON)
@endpoint
def get_device(req: func.HttpRequest) -> func.HttpResponse:
    """Read one device."""
    with user_scope(req, admin=True, read_only=True) as (session, _admin):
        device = devices.get_device(session, device_id=_device_id(req))
        return json_response(DevicePublic.model_validate(device))


@bp.route(route="devices/{id}", methods=["PATCH"], auth_level=ANON)
@endpoint
def update_device(req: func.HttpRequest) -> func.HttpResponse:
    """Change a device or its owner (owner_id null unassigns)."""
    with user_scope(req, admin=True) as (session, _admin):
        device_id = _device_id(req)
        data = parse_body(req, DeviceUpdate)
        device = devices.update_device(session, device_id=device_id, data=data)
        return json_response(DevicePublic.model_validate(device))


@bp.route(route="devices/{id}", methods=["DELETE"], auth_level=ANON)
@endpoint
def delete_device(req: func.HttpRequest) -> func.HttpResponse:
    """Delete a device and its history."""
    with user_scope(req, admin=True) as (session, _admin):
        devices.delete_device(session, device_id=_device_id(req))
        return func.HttpResponse(status_code=204)


@bp.route(route="devices/{id}/key", methods=["POST"], auth_level=ANON)
@endpoint
def rotate_device_key(req: func.HttpRequest) -> func.HttpResponse:
    """Issue a new ingestion key for a device; the old one stops working."""
    with user_scope(req, admin=True) as (session, _admin):
        device_id = _device_id(req)
        key = devices.rotate_device_key(session, device_id=device_id)
        return json_response(DeviceKey(device_id=device_id, device_key=key))
