"""HTTP ingestion: POST /api/measurements with per-item results."""

from __future__ import annotations

import azure.functions as func

from routes._doc import ApiDoc, Operation
from routes._http import endpoint, json_response, load_json
from shared.auth import authenticate, require_admin
from shared.devices import device_for_key
from shared.errors import Unauthorized, ValidationFailed
from shared.ingestion.pipeline import parse_http_items, store_batch
from shared.platform import Platform, get_platform
from shared.schemas import MAX_BATCH_ITEMS, MeasurementBatch, MeasurementResults

bp = func.Blueprint()
api_doc = ApiDoc()
MAX_ITEMS = MAX_BATCH_ITEMS


def _device_for_key(platform: Platform, key: str) -> str:
    with platform.readers() as session:
        device_id = device_for_key(session, key)
    if device_id is None:
        raise Unauthorized("Unknown device key.")
    return device_id


def _caller_device(platform: Platform, req: func.HttpRequest) -> str | None:
    """The device a device key is bound to, or None for an administrator's token."""
    key = req.headers.get("X-Device-Key")
    if key:
        return _device_for_key(platform, key.strip())
    with platform.readers() as session:
        require_admin(authenticate(platform, session, req.headers.get("Authorization")))
    return None


def _items(req: func.HttpRequest) -> list[object]:
    data = load_json(req.get_body() or b"null")
    if not isinstance(data, list) or not 1 <= len(data) <= MAX_ITEMS:
        raise ValidationFailed(f"The body must be a JSON array of 1 to {MAX_ITEMS} measurements.")
    return data


@api_doc(
    Operation(
        "post",
        "/measurements",
        "Ingest readings (device key or admin token)",
        "ingestion",
        "device",
        response=MeasurementResults,
        request=MeasurementBatch,
        errors=(400, 401, 403, 422),
    )
)
@bp.route(route="measurements", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@endpoint
def post_measurements(req: func.HttpRequest) -> func.HttpResponse:
    """Store readings sent over HTTP (device key or admin token); answer per item."""
    platform = get_platform()
    only_device = _caller_device(platform, req)
    outcome = store_batch(platform, parse_http_items(_items(req), only_device=only_device))
    results = [
        {"index": i, "status": r.status, **({"reason": r.reason} if r.reason else {})}
        for i, r in enumerate(outcome.results)
    ]
    return json_response(
        {
            "results": results,
            "stored": outcome.count("stored"),
            "duplicates": outcome.count("duplicate"),
            "rejected": outcome.count("rejected"),
        }
    )
