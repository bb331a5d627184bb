"""Reading the audit trail (qa, admin): paged JSON and a streamed CSV export."""

from __future__ import annotations

from flask import g

from tracker.audit.responses import audit_csv_response
from tracker.audit.schemas import AuditPage, AuditQuery
from tracker.audit.services import AuditFilter, read_events, read_unblinded_events
from tracker.blinding import UNBLINDED_ROLES
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import reader

bp = api_blueprint("audit_api", __name__)


def _filter(query: dict) -> AuditFilter:
    return AuditFilter(**query)


@endpoint(bp, "/audit", "GET", roles=("qa", "admin"), summary="The audit trail, paged", query=AuditQuery,
          trial_wide=True, answers={200: AuditPage})  # fmt: skip
def list_audit(query: dict):
    flt = _filter(query)
    events = read_events(reader(), g.actor, flt)
    # Every reader sees every event of the sealed chain, so a short page is the last one.
    next_after = events[-1]["seq"] if len(events) == flt.limit else None
    return answer(AuditPage(), {"events": events, "next_after_seq": next_after})


@endpoint(bp, "/audit/unblinded", "GET", roles=tuple(sorted(UNBLINDED_ROLES)), trial_wide=True,
          summary="The unblinded chain (thaws, what happens to containers in the pharmacy), paged",
          query=AuditQuery, answers={200: AuditPage})  # fmt: skip
def list_unblinded_audit(query: dict):
    flt = _filter(query)
    events = read_unblinded_events(reader(), g.actor, flt)
    next_after = events[-1]["seq"] if len(events) == flt.limit else None
    return answer(AuditPage(), {"events": events, "next_after_seq": next_after})


@endpoint(bp, "/audit/export.csv", "GET", roles=("qa", "admin"), summary="The audit trail as CSV, streamed",
          trial_wide=True, query=AuditQuery, answers={200: "text/csv"})  # fmt: skip
def export_audit(query: dict):
    return audit_csv_response(query)
