"""A CSV export's provenance (when, by whom, from which audit chain head) in its response headers, since a CSV
has no page to print it on; and a CSV answer built from rows with them."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response

from tracker.audit.services import read_chain_head
from tracker.csvwriter import SafeDictWriter
from tracker.db import utcnow
from tracker.roles import Actor
from tracker.web.context import reader


def provenance_headers(response: Response, actor: Actor, head: tuple[int, str] | None = None) -> Response:
    """The one place the provenance headers are written; the chain head is read now unless given."""
    if head is None:
        head = read_chain_head(reader())
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
    writer = SafeDictWriter(buffer, columns)
    writer.writeheader()
    writer.writerows(rows)
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return provenance_headers(response, actor, head)
