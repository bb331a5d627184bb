"""The camera-scan route of the pages: a signed-in browser that cannot read codes itself (no BarcodeDetector)
posts a camera frame and gets the code's text back as JSON (its errors too: it asks for JSON). The text is
answered, never logged."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from tracker.camera.decode import NotAnImage, read_code
from tracker.roles import ROLES
from tracker.web.guard import requires

bp = Blueprint("scan_pages", __name__)


@bp.post("/scan/decode")
@requires(*ROLES)  # any signed-in user: a frame in, its code out, nothing stored or shown about a bag
def decode() -> Response:
    frame = request.files.get("image")
    if frame is None:
        raise NotAnImage("Send the camera frame as the form field 'image' (JPEG, PNG or WebP)")
    answer = jsonify(text=read_code(frame.read()))
    answer.headers["Cache-Control"] = "no-store"
    return answer
