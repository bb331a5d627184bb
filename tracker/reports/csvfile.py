"""A CSV report answer: the header row first, and its provenance (when, by whom, from which audit chain head)
in response headers, since a CSV has no page to print it on."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response

from tracker.audit.services import chain_head
from tracker.db import utcnow
from tracker.roles import Actor
from tracker.web.context import reader


def provenance_headers(response: Response, actor: Actor, head: tuple[int, str] | None = None) -> Response:
    if head is None:
        with reader() as work:
            head = chain_head(work.session)
    response.headers["X-Generated-At"] = utcnow().isoformat()
    response.headers["X-Generated-By"] = actor.username
    response.headers["X-Audit-Chain-Head"] = f"{head[0]}:{head[1]}"
    return response


def csv_response(
    columns: Sequence[str],
    rows: Iterable[dict[str, Any]],
    filename: str,
    actor: Actor,
    head: tuple[int, str] | None = None,
) -> Response:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return provenance_headers(response, actor, head)
