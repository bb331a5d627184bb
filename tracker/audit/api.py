"""Reading the audit trail (qa, admin): paged JSON and a streamed CSV export."""

from __future__ import annotations

import csv
import io
import json
from itertools import islice

from flask import Response, current_app, g, stream_with_context

from tracker.audit.schemas import AuditPage, AuditQuery
from tracker.audit.services import AuditFilter, chain_head, iter_events, list_events, list_unblinded_events
from tracker.blinding import UNBLINDED_ROLES
from tracker.db import utcnow
from tracker.errors import Invalid
from tracker.reports.pdf import Provenance, Section, render_report
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
    # Every reader sees every event of the sealed chain, so a short page is the last one.
    next_after = events[-1]["seq"] if len(events) == flt.limit else None
    return answer(AuditPage(), {"events": events, "next_after_seq": next_after})


@endpoint(bp, "/audit/unblinded", "GET", roles=tuple(sorted(UNBLINDED_ROLES)),
          summary="The unblinded chain (thaws, what happens to containers in the pharmacy), paged",
          query=AuditQuery, answers={200: AuditPage})  # fmt: skip
def list_unblinded_audit(query: dict):
    flt = _filter(query)
    with reader() as work:
        events = list_unblinded_events(work.session, g.actor, flt)
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
    return audit_csv_response(query)


def audit_csv_response(query: dict) -> Response:
    """The streamed CSV, shared with the reports page."""
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


PDF_LIMIT = 5000  # a printable trail is for a filtered view; the CSV carries everything


@endpoint(bp, "/audit/export.pdf", "GET", roles=("qa", "admin"), summary="The audit trail (PDF, Annex 11)",
          query=AuditQuery, answers={200: "application/pdf"})  # fmt: skip
def export_audit_pdf(query: dict):
    return audit_pdf_response(query)


def audit_pdf_response(query: dict) -> Response:
    flt = _filter(query)
    with reader() as work:
        head = chain_head(work.session)
        events = list(islice(iter_events(work.session, g.actor, flt), PDF_LIMIT + 1))
    if len(events) > PDF_LIMIT:
        raise Invalid(
            f"More than {PDF_LIMIT} events match: narrow the filter (entity, since, until) or use export.csv",
            code="too_many_events",
        )
    filters = (
        ", ".join(f"{k}={v}" for k, v in sorted(query.items()) if k not in ("limit", "after_seq")) or "none"
    )
    rows = [
        (e["seq"], e["at"], f"{e['user']} ({e['role']})", e["action"], f"{e['entity_type']} {e['entity_id']}",
         json.dumps(e["after"], ensure_ascii=False, sort_keys=True) if e["after"] else "", e["reason"] or "",
         e["hash"][:16])
        for e in events
    ]  # fmt: skip
    provenance = Provenance(utcnow(), g.actor.username, head, current_app.config["SITE_NAME"])
    pdf = render_report(
        "Audit trail",
        provenance,
        [Section(f"Events (filters: {filters})", ("Seq", "When", "Who", "Action", "Entity", "After", "Reason",
                                                   "Hash"), rows, (12, 30, 32, 20, 35, 80, 35, 25))],
        wide=True,
    )  # fmt: skip
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = "inline; filename=audit-trail.pdf"
    return response
