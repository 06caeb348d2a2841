"""Consumption of one device: the day view, any range grouped, and exports (CSV, ESPI XML).

Owners use /me/devices/{id}/…, administrators /devices/{id}/…; a client asking for another
client's device gets 404, and sees no hour of their own device from before it was handed over
to them (`devices.visible_from_utc`, shared/ownership.py); administrators see every hour.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import azure.functions as func
from sqlalchemy.orm import Session

from routes._doc import EXPORT, VIEW, ApiDoc, Operation
from routes._http import (
    JSON_HEADERS,
    caller_scope,
    endpoint,
    json_response,
    user_scope,
    uuid_param,
)
from shared import consumption, devices
from shared.errors import DomainError
from shared.models import Device, User
from shared.platform import get_platform
from shared.usage import exports
from shared.usage.periods import Period, parse_period
from shared.usage.schemas import ConsumptionView
from shared.usage.view import caller_range_view, priced_period

bp = func.Blueprint()
api_doc = ApiDoc()
ANON = func.AuthLevel.ANONYMOUS
RANGE_PARAMS = ("from", "to", "group_by")
CSV_TYPE = "text/csv"
XML_TYPE = "application/atom+xml"
P = TypeVar("P")


def _cached(req: func.HttpRequest, body: bytes, mimetype: str, **headers: str) -> func.HttpResponse:
    """200 with a strong ETag of the body, or 304 when the client already has it."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    common = {**JSON_HEADERS, "Cache-Control": "private, no-cache", "ETag": etag}
    if etag in (req.headers.get("If-None-Match") or ""):
        return func.HttpResponse(status_code=304, headers=common)
    return func.HttpResponse(
        body, status_code=200, mimetype=mimetype, charset="utf-8", headers={**common, **headers}
    )


def _view(req: func.HttpRequest, *, admin: bool) -> func.HttpResponse:
    """The day or range view; the caller and the device are checked in the statement that reads
    them.

    The hottest reads, no ORM entities: on MySQL/MariaDB each view is one statement (caller
    check, device and its day rows; the range view also the tariff history, packed:
    shared/usage/store.py `caller_device_hours`). On SQLite the day view is one, the range view
    a caller check and two. Bad parameters are refused after the caller's 401 or 403.
    """
    if not any(req.params.get(name) for name in RANGE_PARAMS):
        return _day(req, admin=admin)
    device_id, period = _refused_after_caller(
        req, admin, lambda: _period(req, group_by=req.params.get("group_by"))
    )
    platform = get_platform()
    with platform.readers() as session:
        ranged = caller_range_view(
            platform,
            session,
            req.headers.get("Authorization"),
            device_id=device_id,
            period=period,
            admin=admin,
        )
    return _cached(req, ranged.model_dump_json().encode(), "application/json")


def _refused_after_caller(
    req: func.HttpRequest, admin: bool, parse: Callable[[], P]
) -> tuple[str, P]:
    """The route's device id and parsed parameters; when either is bad, the caller is checked
    alone first (their 401 or 403 comes before a 404 or 422, as on every route)."""
    try:
        return uuid_param(req.route_params.get("id"), what="device"), parse()
    except DomainError:
        with caller_scope(req, admin=admin):
            raise


def _day(req: func.HttpRequest, *, admin: bool) -> func.HttpResponse:
    device_id, day = _refused_after_caller(
        req, admin, lambda: consumption.parse_day(req.params.get("date"), req.params.get("tz"))
    )
    platform = get_platform()
    with platform.readers() as session:
        view = consumption.caller_day_view(
            platform,
            session,
            req.headers.get("Authorization"),
            device_id=device_id,
            local_day=day,
            admin=admin,
        )
    return json_response(view)


def _period(req: func.HttpRequest, *, group_by: str | None) -> Period:
    return parse_period(
        req.params.get("from"), req.params.get("to"), req.params.get("tz"), group_by
    )


def _export(req: func.HttpRequest, session: Session, seen: Seen, kind: str) -> func.HttpResponse:
    device, bound = seen
    period = _period(req, group_by="day")
    priced = priced_period(session, device=device, period=period, visible_from=bound)
    if kind == "csv":
        body, mimetype = exports.to_csv(priced).encode(), CSV_TYPE
    else:
        body, mimetype = exports.to_espi(priced, device=device), XML_TYPE
    name = exports.export_filename(device, period, kind)
    return _cached(req, body, mimetype, **{"Content-Disposition": f'attachment; filename="{name}"'})


# A device and the first hour the caller may see of it (None: all; shared/ownership.py).
Seen = tuple[Device, datetime | None]
Action = Callable[[func.HttpRequest, Session, Seen], func.HttpResponse]


def _as_owner(req: func.HttpRequest, action: Action) -> func.HttpResponse:
    with user_scope(req, read_only=True) as (session, user):
        device = _owned(session, user, req)
        return action(req, session, (device, device.visible_from_utc))


def _as_admin(req: func.HttpRequest, action: Action) -> func.HttpResponse:
    with user_scope(req, admin=True, read_only=True) as (session, _admin):
        device_id = uuid_param(req.route_params.get("id"), what="device")
        return action(req, session, (devices.get_device(session, device_id=device_id), None))


def _owned(session: Session, user: User, req: func.HttpRequest) -> Device:
    device_id = uuid_param(req.route_params.get("id"), what="device")
    return devices.get_owned_device(session, owner_id=user.id, device_id=device_id)


def _csv(req: func.HttpRequest, session: Session, seen: Seen) -> func.HttpResponse:
    return _export(req, session, seen, "csv")


def _xml(req: func.HttpRequest, session: Session, seen: Seen) -> func.HttpResponse:
    return _export(req, session, seen, "xml")


@api_doc(
    Operation(
        "get",
        "/me/devices/{id}/consumption",
        "My device's day view (?date) or range view (?from&to&group_by)",
        "consumption",
        "user",
        response=ConsumptionView,
        query=VIEW,
        errors=(404, 422),
    )
)
@bp.route(route="me/devices/{id}/consumption", methods=["GET"], auth_level=ANON)
@endpoint
def my_device_consumption(req: func.HttpRequest) -> func.HttpResponse:
    """One of the caller's devices: ?date= day view, or ?from&to&group_by range view."""
    return _view(req, admin=False)


@api_doc(
    Operation(
        "get",
        "/devices/{id}/consumption",
        "Any device's day view (?date) or range view (?from&to&group_by)",
        "consumption",
        "admin",
        response=ConsumptionView,
        query=VIEW,
        errors=(404, 422),
    )
)
@bp.route(route="devices/{id}/consumption", methods=["GET"], auth_level=ANON)
@endpoint
def device_consumption(req: func.HttpRequest) -> func.HttpResponse:
    """Any device (administrators): ?date= day view, or ?from&to&group_by range view."""
    return _view(req, admin=True)


@api_doc(
    Operation(
        "get",
        "/me/devices/{id}/consumption.csv",
        "My device's hourly CSV export",
        "consumption",
        "user",
        media="text/csv",
        query=EXPORT,
        required=("from", "to"),
        errors=(404, 422),
    )
)
@bp.route(route="me/devices/{id}/consumption.csv", methods=["GET"], auth_level=ANON)
@endpoint
def my_device_csv(req: func.HttpRequest) -> func.HttpResponse:
    """Hourly CSV export of one of the caller's devices."""
    return _as_owner(req, _csv)


@api_doc(
    Operation(
        "get",
        "/devices/{id}/consumption.csv",
        "Any device's hourly CSV export",
        "consumption",
        "admin",
        media="text/csv",
        query=EXPORT,
        required=("from", "to"),
        errors=(404, 422),
    )
)
@bp.route(route="devices/{id}/consumption.csv", methods=["GET"], auth_level=ANON)
@endpoint
def device_csv(req: func.HttpRequest) -> func.HttpResponse:
    """Hourly CSV export of any device (administrators)."""
    return _as_admin(req, _csv)


@api_doc(
    Operation(
        "get",
        "/me/devices/{id}/consumption.xml",
        "My device's hourly Green Button ESPI Atom export",
        "consumption",
        "user",
        media="application/atom+xml",
        query=EXPORT,
        required=("from", "to"),
        errors=(404, 422),
    )
)
@bp.route(route="me/devices/{id}/consumption.xml", methods=["GET"], auth_level=ANON)
@endpoint
def my_device_espi(req: func.HttpRequest) -> func.HttpResponse:
    """Green Button ESPI Atom export of one of the caller's devices."""
    return _as_owner(req, _xml)


@api_doc(
    Operation(
        "get",
        "/devices/{id}/consumption.xml",
        "Any device's hourly Green Button ESPI Atom export",
        "consumption",
        "admin",
        media="application/atom+xml",
        query=EXPORT,
        required=("from", "to"),
        errors=(404, 422),
    )
)
@bp.route(route="devices/{id}/consumption.xml", methods=["GET"], auth_level=ANON)
@endpoint
def device_espi(req: func.HttpRequest) -> func.HttpResponse:
    """Green Button ESPI Atom export of any device (administrators)."""
    return _as_admin(req, _xml)
