"""The audit trail as a streamed CSV, sent alike by the reports page and the API (its PDF is a report:
tracker/reports/responses.py)."""

from __future__ import annotations

import io
import json

from flask import Response, g, stream_with_context

from tracker.audit.provenance import provenance_headers
from tracker.audit.services import AuditFilter, read_chain_head, stream_events
from tracker.csvwriter import SafeCsvWriter
from tracker.web.context import report_reader

CSV_COLUMNS = (
    "seq",
    "at",
    "user",
    "role",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "reason",
    "hash",
)


def _csv_cell(event: dict, column: str) -> object:
    value = event[column]
    if column in ("before", "after"):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value.isoformat() if column == "at" else value


def audit_csv_response(query: dict) -> Response:
    """The streamed CSV, shared with the reports page."""
    flt = AuditFilter(**query)
    actor = g.actor
    head = read_chain_head(report_reader())
    events = stream_events(report_reader(), actor, flt)

    def rows():
        buffer = io.StringIO()
        writer = SafeCsvWriter(buffer)
        writer.writerow(CSV_COLUMNS)
        for event in events:
            writer.writerow(_csv_cell(event, column) for column in CSV_COLUMNS)
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(rows()), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=audit-trail.csv"
    return provenance_headers(response, actor, head)
