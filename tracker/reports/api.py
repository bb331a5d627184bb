"""Report routes: bag accountability (JSON, CSV, PDF), each saying when, by whom, from which audit head."""

import csv
import io

from flask import Response, current_app, g

from tracker.audit.services import chain_head
from tracker.db import utcnow
from tracker.reports import records, sdtm
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


def _pdf(content: bytes, filename: str) -> Response:
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename={filename}"
    return response


@endpoint(bp, "/bags/<bag_id>/custody.pdf", "GET", roles=("pharmacist", "nurse", "qa", "investigator"),
          summary="A bag's chain of identity and custody (blinded for blinded roles)",
          answers={200: "application/pdf"})  # fmt: skip
def bag_custody_pdf(bag_id: str):
    bag_id, pdf = records.bag_custody_pdf(reader(), g.actor, bag_id, site=current_app.config["SITE_NAME"])
    return _pdf(pdf, f"custody-{bag_id}.pdf")


@endpoint(bp, "/participants/<participant_id>/record.pdf", "GET",
          roles=("investigator", "nurse", "pharmacist", "qa"),
          summary="One participant's record: code, bags, scans, infusion, code-breaks (never the arm)",
          answers={200: "application/pdf"})  # fmt: skip
def participant_record_pdf(participant_id: str):
    participant_id, pdf = records.participant_record_pdf(
        reader(), g.actor, participant_id, site=current_app.config["SITE_NAME"]
    )
    return _pdf(pdf, f"participant-{participant_id}.pdf")


@endpoint(bp, "/exports/sdtm-ex.csv", "GET", roles=("qa", "admin", "statistician"),
          summary="Exposure in CDISC SDTM EX form (EXTRT blinded except for the statistician)",
          answers={200: "text/csv"})  # fmt: skip
def sdtm_ex_csv():
    with reader() as work:
        head_seq, head_hash = chain_head(work.session)
    rows = sdtm.exposure_rows(reader(), g.actor)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=sdtm.EX_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=ex.csv"
    report = {"generated_at": utcnow(), "generated_by": g.actor.username,
              "audit_head": {"seq": head_seq, "hash": head_hash}}  # fmt: skip
    return _provenance_headers(response, report)
