"""Routes about the service itself: the OpenAPI document (health is tracker/health.py)."""

from flask import jsonify

from tracker.web.api import api_blueprint, endpoint, openapi_document
from tracker.web.guard import PUBLIC

bp = api_blueprint("meta_api", __name__)


@endpoint(bp, "/openapi.json", "GET", roles=PUBLIC, summary="This API's OpenAPI document")
def openapi():
    return jsonify(openapi_document())
