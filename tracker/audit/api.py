"""Reading the audit trail (qa, admin): paged JSON and a streamed CSV export."""

from __future__ import annotations

import csv
import io
import json

from flask import Response, g, stream_with_context

from tracker.audit.schemas import AuditPage, AuditQuery
from tracker.audit.services import AuditFilter, chain_head, iter_events, list_events
from tracker.db import utcnow
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import reader

bp = api_blueprint("audit_api", __name__)

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


def _filter(query: dict) -> AuditFilter:
    return AuditFilter(**query)


@endpoint(bp, "/audit", "GET", roles=("qa", "admin"), summary="The audit trail, paged", query=AuditQuery,
          answers={200: AuditPage})  # fmt: skip
def list_audit(query: dict):
    flt = _filter(query)
    with reader() as work:
        events = list_events(work.session, g.actor, flt)
    # The next page starts after the last row read, even when redaction hid some of it.
    next_after = events[-1]["seq"] if len(events) == flt.limit else None
    return answer(AuditPage(), {"events": events, "next_after_seq": next_after})


def _csv_cell(event: dict, column: str) -> object:
    value = event[column]
    if column in ("before", "after"):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value.isoformat() if column == "at" else value


@endpoint(bp, "/audit/export.csv", "GET", roles=("qa", "admin"), summary="The audit trail as CSV, streamed",
          query=AuditQuery, answers={200: "text/csv"})  # fmt: skip
def export_audit(query: dict):
    flt = _filter(query)
    actor = g.actor
    with reader() as work:
        head_seq, head_hash = chain_head(work.session)
    reader_uow = reader()

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        with reader_uow as work:
            for event in iter_events(work.session, actor, flt):
                writer.writerow(_csv_cell(event, column) for column in CSV_COLUMNS)
                if buffer.tell() > 64_000:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(rows()), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=audit-trail.csv"
    response.headers["X-Generated-At"] = utcnow().isoformat()
    response.headers["X-Generated-By"] = actor.username
    response.headers["X-Audit-Chain-Head"] = f"{head_seq}:{head_hash}"
    return response
