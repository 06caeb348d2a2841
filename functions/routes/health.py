"""Health probe: the API and its database answer."""

from __future__ import annotations

import logging

import azure.functions as func
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from routes._doc import ApiDoc, Operation
from routes._http import json_response
from shared.platform import get_platform

bp = func.Blueprint()
api_doc = ApiDoc()
logger = logging.getLogger(__name__)


@api_doc(
    Operation("get", "/health", "Health", "health", "none", errors=(503,), problem_errors=False)
)
@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health(req: func.HttpRequest) -> func.HttpResponse:
    """200 when the database answers, 503 otherwise."""
    try:
        with get_platform().sessions() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        logger.exception("health check: database unreachable")
        return json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    return json_response({"status": "ok", "database": "ok"})
