"""POST /api/realtime/negotiate: a Web PubSub client URL bound to the caller."""

from __future__ import annotations

import azure.functions as func

from routes._doc import ApiDoc, Operation
from routes._http import endpoint, json_response, user_scope
from shared.platform import get_platform
from shared.realtime import client_url
from shared.schemas import NegotiateResult

bp = func.Blueprint()
api_doc = ApiDoc()


@api_doc(
    Operation(
        "post",
        "/realtime/negotiate",
        "WebSocket URL for live alerts",
        "realtime",
        "user",
        response=NegotiateResult,
        errors=(503,),
    )
)
@bp.route(route="realtime/negotiate", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@endpoint
def negotiate(req: func.HttpRequest) -> func.HttpResponse:
    """Return a short-lived WebSocket URL for the caller's own user id (and nobody else's)."""
    with user_scope(req, read_only=True) as (_session, user):
        user_id = user.id
    url, expires_in = client_url(get_platform().settings, user_id)
    return json_response(NegotiateResult(url=url, expires_in=expires_in))
