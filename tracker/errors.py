"""Domain errors with a stable code, mapped to HTTP once (in `tracker.web.errors`)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ):
        # A message marked with N_ and written with %(name)s parameters is translated where it is shown
        # (tracker.web.problems); `message` is the English sentence, `template` the catalogue's key.
        self.template, self.params = message, params or {}
        message = message % self.params if params else message
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}
        # Top-level keys an API answer carries beside "error" (a refused scan says {"match": false}).
        self.extra = extra or {}


class Invalid(DomainError):
    """The request is well-formed but its values break a rule (422)."""

    status = 422
    code = "validation_failed"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The thing is in the wrong state for this action (409)."""

    status = 409
    code = "conflict"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"


class Unavailable(DomainError):
    """Something the request needs outside the tracker (a printer) did not answer (503)."""

    status = 503
    code = "service_unavailable"
