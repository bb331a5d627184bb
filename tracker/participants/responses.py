"""The code-break report as CSV, sent alike by the reports page and the API."""

from __future__ import annotations

from flask import Response, g

from tracker.audit.provenance import csv_response
from tracker.participants import services
from tracker.participants.schemas import CodeBreakRow
from tracker.web.context import reader


def code_breaks_csv_response() -> Response:
    rows = CodeBreakRow(many=True).dump(services.code_break_report(reader()))
    return csv_response(
        ("participant_id", "broken_by", "broken_at", "reason", "kind"), rows, "code-breaks.csv", g.actor
    )
