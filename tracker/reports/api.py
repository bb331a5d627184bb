"""Report routes: bag accountability (JSON, CSV, PDF), each saying when, by whom, from which audit head."""

import csv
import io

from flask import Response, current_app, g

from tracker.reports.accountability import STATUSES, accountability
from tracker.reports.pdf import Provenance, Section, render_report
from tracker.reports.schemas import (
    AccountabilityBlinded,
    AccountabilityRow,
    AccountabilityRowWithLot,
    AccountabilityUnblinded,
)
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import reader

bp = api_blueprint("reports_api", __name__)
ROLES = ("qa", "pharmacist")


def _report() -> tuple[dict, type]:
    report = accountability(reader(), g.actor, current_app.config["SITE_NAME"])
    return report, (AccountabilityUnblinded if g.actor.unblinded else AccountabilityBlinded)


def _provenance_headers(response: Response, report: dict) -> Response:
    response.headers["X-Generated-At"] = report["generated_at"].isoformat()
    response.headers["X-Generated-By"] = report["generated_by"]
    response.headers["X-Audit-Chain-Head"] = f"{report['audit_head']['seq']}:{report['audit_head']['hash']}"
    return response


@endpoint(bp, "/reports/accountability", "GET", roles=ROLES,
          summary="Every bag's status, reconciled per site (and per lot for the pharmacist)",
          answers={200: {"oneOf": [AccountabilityBlinded, AccountabilityUnblinded]}})  # fmt: skip
def accountability_json():
    report, schema = _report()
    return answer(schema(), report)


@endpoint(bp, "/reports/accountability.csv", "GET", roles=ROLES, summary="Bag accountability as CSV",
          answers={200: "text/csv"})  # fmt: skip
def accountability_csv():
    report, _ = _report()
    row_schema = AccountabilityRowWithLot if g.actor.unblinded else AccountabilityRow
    columns = list(row_schema().fields)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(row_schema(many=True).dump(report["items"]))
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=accountability.csv"
    return _provenance_headers(response, report)


@endpoint(bp, "/reports/accountability.pdf", "GET", roles=ROLES, summary="Bag accountability (PDF)",
          answers={200: "application/pdf"})  # fmt: skip
def accountability_pdf():
    report, _ = _report()
    head = (report["audit_head"]["seq"], report["audit_head"]["hash"])
    provenance = Provenance(
        report["generated_at"], report["generated_by"], head, current_app.config["SITE_NAME"]
    )
    count_columns = ["prepared", *(s.replace(" ", "_") for s in STATUSES), "open", "reconciled"]
    sections = [
        Section(
            "Per site",
            ["site", *count_columns],
            [[s["site"], *(s[c] for c in count_columns)] for s in report["sites"]],
        ),
    ]
    if "lots" in report:
        sections.append(
            Section(
                "Per lot",
                ["lot", *count_columns],
                [[s["lot_number"], *(s[c] for c in count_columns)] for s in report["lots"]],
            )
        )
    bag_columns = ["bag_id", "participant_id", "randomization_code", "status", "prepared_at", "received_at",
                   "infusion_started_at", "destroyed_at", "destroy_reason"]  # fmt: skip
    if g.actor.unblinded:
        bag_columns.append("lot_number")
    sections.append(Section("Bags", bag_columns, [[i[c] for c in bag_columns] for i in report["items"]]))
    response = Response(
        render_report("Bag accountability", provenance, sections, wide=True), mimetype="application/pdf"
    )
    response.headers["Content-Disposition"] = "inline; filename=accountability.pdf"
    return response
