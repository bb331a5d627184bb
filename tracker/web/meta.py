"""Routes about the service itself: health and the OpenAPI document."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from tracker.web.api import api_blueprint, endpoint, openapi_document
from tracker.web.context import reader
from tracker.web.guard import PUBLIC

bp = api_blueprint("meta_api", __name__)
health_bp = Blueprint("health", __name__)


@health_bp.get("/healthz")
def healthz():
    try:
        with reader() as work:
            work.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})


@endpoint(bp, "/openapi.json", "GET", roles=PUBLIC, summary="This API's OpenAPI document")
def openapi():
    return jsonify(openapi_document())
