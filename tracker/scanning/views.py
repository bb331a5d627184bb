"""The camera-scan route of the pages: a signed-in browser that cannot read codes itself (no BarcodeDetector)
posts a camera frame and gets the code's text back as JSON. The text is answered, never logged."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from tracker.errors import DomainError
from tracker.roles import ROLES
from tracker.scanning.decode import NotAnImage, read_code
from tracker.web.guard import requires

bp = Blueprint("scan_pages", __name__)


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    # The page's script reads JSON, so this route answers its errors in the API's shape, not as a page.
    return jsonify(error={"code": code, "message": message, "details": {}}), status


@bp.post("/scan/decode")
@requires(*ROLES)  # any signed-in user: a frame in, its code out, nothing stored or shown about a bag
def decode() -> Response:
    frame = request.files.get("image")
    if frame is None:
        raise NotAnImage("Send the camera frame as the form field 'image' (JPEG, PNG or WebP)")
    answer = jsonify(text=read_code(frame.read()))
    answer.headers["Cache-Control"] = "no-store"
    return answer


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError) -> tuple[Response, int]:
    return _error(exc.status, exc.code, exc.message)


@bp.errorhandler(CSRFError)
def csrf_error(exc: CSRFError) -> tuple[Response, int]:
    return _error(400, "csrf_failed", "The page expired or did not come from this site: reload and try again")


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> tuple[Response, int]:
    return _error(413, "payload_too_large", "The upload is too large")
