"""The signed-in client's own resources."""

from __future__ import annotations

import azure.functions as func

from routes._doc import PAGE, ApiDoc, Operation
from routes._http import endpoint, json_response, page_params, user_scope
from shared import devices
from shared.schemas import DevicePublic, Page

bp = func.Blueprint()
api_doc = ApiDoc()


@api_doc(
    Operation(
        "get",
        "/me/devices",
        "My devices",
        "me",
        "user",
        response=Page[DevicePublic],
        query=PAGE,
        errors=(422,),
    )
)
@bp.route(route="me/devices", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@endpoint
def list_my_devices(req: func.HttpRequest) -> func.HttpResponse:
    """List the devices the caller owns."""
    with user_scope(req, read_only=True) as (session, user):
        limit, offset = page_params(req)
        rows, total = devices.list_devices(session, limit=limit, offset=offset, owner_id=user.id)
        items = [DevicePublic.model_validate(d) for d in rows]
        return json_response(
            Page[DevicePublic](items=items, total=total, limit=limit, offset=offset)
        )
