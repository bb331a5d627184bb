"""A list's ID from a URL, and its CSV file as an HTTP answer: alike for the statistician's pages and API."""

from __future__ import annotations

from flask import Response

from tracker.errors import NotFound
from tracker.translation import N_


def list_id_of(text: str) -> int:
    if not text.isdigit() or len(text) > 10:
        raise NotFound(N_("No randomization list %(list)s"), params={"list": text}, code="unknown_list")
    return int(text)


def csv_download(data: bytes, list_id: int) -> Response:
    response = Response(data, mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename=randomization-list-{list_id}.csv"
    response.headers["Cache-Control"] = "no-store"
    return response
