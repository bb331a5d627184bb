"""Every error, domain or HTTP, becomes the contract's body on the API and a readable page elsewhere."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from tracker.errors import DomainError
from tracker.translation import N_
from tracker.web.guard import is_api_request
from tracker.web.problems import refusal_sentence

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


# Parts of the site that say errors in another language than the contract's body (FHIR's OperationOutcome
# under /fhir/): their path prefix and how they say one. Handed in by create_app: the web imports no feature.
_ERROR_BODIES: dict[str, Callable[[int, str, str, dict], Any]] = {}


def answer_errors_under(prefix: str, body: Callable[[int, str, str, dict], Any]) -> None:
    """`body(status, code, sentence, details)` answers every error of a request whose path starts with
    `prefix` (the guard's, the feature's, and HTTP's own, such as a wrong method)."""
    _ERROR_BODIES[prefix] = body


def _wants_json() -> bool:
    """The API, and a page's script that asks for JSON (the camera scan), get the contract's error body."""
    accepted = request.accept_mimetypes
    return is_api_request() or accepted.best_match(["text/html", "application/json"]) == "application/json"


def _respond(
    status: int, code: str, message: str | DomainError, details: dict | None = None, extra: dict | None = None
):  # noqa: ANN202, E501
    """`message`: a refusal, or an English sentence marked with N_; both said in the reader's language."""
    refusal = message if isinstance(message, DomainError) else DomainError(message, code=code)
    for prefix, body in _ERROR_BODIES.items():
        if request.path.startswith(prefix):
            return body(status, code, refusal_sentence(refusal, page=False), details or {}), status
    if _wants_json():
        said = refusal_sentence(refusal, page=False)
        body = {**(extra or {}), "error": {"code": code, "message": said, "details": details or {}}}
        return jsonify(body), status
    return render_template(
        "error.html", status=status, code=code, message=refusal_sentence(refusal), details=details or {}
    ), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):  # noqa: ANN202
        return _respond(exc.status, exc.code, exc, exc.details, exc.extra)

    @app.errorhandler(ValidationError)
    def validation_error(exc: ValidationError):  # noqa: ANN202
        details = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return _respond(422, "validation_failed", N_("Some fields are missing or invalid"), details)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):  # noqa: ANN202
        return _respond(
            400, "csrf_failed", N_("The form expired or did not come from this site: reload and try again")
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # noqa: ANN202
        status = exc.code or 500
        code = _HTTP_CODES.get(status, "http_error")
        messages = {
            404: N_("Nothing exists at this address"),
            405: N_("This address does not accept that method"),
            413: N_("The upload is too large"),
            429: N_("Too many requests: wait a moment and try again"),
        }
        return _respond(status, code, messages.get(status, exc.description or "Request failed"))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(exc: Exception):  # noqa: ANN202
        # The database restarted or dropped the connection: the transaction rolled back, the pool reconnects.
        log.warning("database unavailable: %s", type(exc).__name__)
        response = make_response(
            _respond(
                503, "database_unavailable", N_("The database is not reachable just now; nothing was saved.")
            )
        )
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # noqa: ANN202
        log.exception("unhandled error")  # the traceback, never the request body (it may hold a password)
        return _respond(500, "internal_error", N_("Something went wrong on the server; nothing was saved"))
