"""Security headers on every answer, no control characters in any query string, and the one check for where a
form may send the browser next."""

from urllib.parse import urlsplit

from flask import Flask, Response, request

from tracker.errors import Invalid
from tracker.text import control_character_problems
from tracker.translation import N_
from tracker.web.guard import is_api_request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# A PDF may be framed by the app's own pages: they print labels and certificates so (static/js/print.js).
PDF_CSP = "default-src 'none'; frame-ancestors 'self'"


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response: Response) -> Response:
        framable = response.mimetype == "application/pdf"
        response.headers.setdefault("Content-Security-Policy", PDF_CSP if framable else CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "SAMEORIGIN" if framable else "DENY"
        # same-origin: HTTPS form posts need their Referer (Flask-WTF checks it); other sites get none.
        response.headers["Referrer-Policy"] = "same-origin"
        if is_api_request() or response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-store"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response


def register_query_check(app: Flask) -> None:
    @app.before_request
    def no_control_characters_in_the_query() -> None:
        # As in a JSON body (tracker/web/api.py load_body): 422, or the error page. Before any view reads the
        # query string: PostgreSQL refuses a NUL in text, which made a search or a report a 500.
        problems = control_character_problems(request.args.to_dict(flat=False))
        if problems:
            raise Invalid(N_("Some parameters hold control characters"), details=problems)


def is_local_path(target: str | None) -> bool:
    """A path on this site, never an open redirect. Browsers drop tabs and newlines from a URL and read a
    backslash as a slash, so a path with either could still lead to another host."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
