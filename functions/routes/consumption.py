"""Day views of hourly consumption, for owners and administrators."""

from __future__ import annotations

import azure.functions as func

from routes._http import endpoint, json_response, user_scope, uuid_param
from shared import consumption, devices

bp = func.Blueprint()
ANON = func.AuthLevel.ANONYMOUS


@bp.route(route="me/devices/{id}/consumption", methods=["GET"], auth_level=ANON)
@endpoint
def my_device_day(req: func.HttpRequest) -> func.HttpResponse:
    """Hourly consumption of one of the caller's devices over one local day."""
    with user_scope(req, read_only=True) as (session, user):
        device_id = uuid_param(req.route_params.get("id"), what="device")
        device = devices.get_owned_device(session, owner_id=user.id, device_id=device_id)
        day = consumption.parse_day(req.params.get("date"), req.params.get("tz"))
        return json_response(consumption.day_view(session, device=device, local_day=day))


@bp.route(route="devices/{id}/consumption", methods=["GET"], auth_level=ANON)
@endpoint
def device_day(req: func.HttpRequest) -> func.HttpResponse:
    """Hourly consumption of any device over one local day (administrators)."""
    with user_scope(req, admin=True, read_only=True) as (session, _admin):
        device_id = uuid_param(req.route_params.get("id"), what="device")
        device = devices.get_device(session, device_id=device_id)
        day = consumption.parse_day(req.params.get("date"), req.params.get("tz"))
        return json_response(consumption.day_view(session, device=device, local_day=day))
