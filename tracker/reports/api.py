"""Report routes: accountability, chain of identity, participant record, SDTM EX. Each response builder is
shared with the report pages, so a page and the API hand out the same file."""

from flask import Response, current_app, g

from tracker.reports import records, sdtm
from tracker.reports.accountability import STATUSES, accountability
from tracker.reports.csvfile import csv_response
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
ACCOUNTABILITY_ROLES = ("qa", "pharmacist")
CUSTODY_ROLES = ("pharmacist", "nurse", "qa", "investigator")
RECORD_ROLES = ("investigator", "nurse", "pharmacist", "qa")
EXPORT_ROLES = ("qa", "admin", "statistician")


def _report() -> dict:
    return accountability(reader(), g.actor, current_app.config["SITE_NAME"])


def _head(report: dict) -> tuple[int, str]:
    return report["audit_head"]["seq"], report["audit_head"]["hash"]


def _pdf(content: bytes, filename: str) -> Response:
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename={filename}"
    return response


def accountability_csv_response() -> Response:
    report = _report()
    row_schema = AccountabilityRowWithLot if g.actor.unblinded else AccountabilityRow
    rows = row_schema(many=True).dump(report["items"])
    return csv_response(list(row_schema().fields), rows, "accountability.csv", g.actor, _head(report))


def accountability_pdf_response() -> Response:
    report = _report()
    provenance = Provenance(report["generated_at"], report["generated_by"], _head(report),
                            current_app.config["SITE_NAME"])  # fmt: skip
    counts = ["prepared", *(s.replace(" ", "_") for s in STATUSES), "open", "reconciled"]
    sections = [
        Section(
            "Per site", ["site", *counts], [[s["site"], *(s[c] for c in counts)] for s in report["sites"]]
        )
    ]
    if "lots" in report:
        rows = [[s["lot_number"], *(s[c] for c in counts)] for s in report["lots"]]
        sections.append(Section("Per lot", ["lot", *counts], rows))
    columns = ["bag_id", "participant_id", "randomization_code", "status", "prepared_at", "received_at",
               "infusion_started_at", "destroyed_at", "destroy_reason"]  # fmt: skip
    if g.actor.unblinded:
        columns.append("lot_number")
    sections.append(Section("Bags", columns, [[i[c] for c in columns] for i in report["items"]]))
    return _pdf(render_report("Bag accountability", provenance, sections, wide=True), "accountability.pdf")


def bag_custody_pdf_response(bag_id: str) -> Response:
    bag_id, pdf = records.bag_custody_pdf(reader(), g.actor, bag_id, site=current_app.config["SITE_NAME"])
    return _pdf(pdf, f"custody-{bag_id}.pdf")


def participant_record_pdf_response(participant_id: str) -> Response:
    site = current_app.config["SITE_NAME"]
    participant_id, pdf = records.participant_record_pdf(reader(), g.actor, participant_id, site=site)
    return _pdf(pdf, f"participant-{participant_id}.pdf")


def sdtm_ex_csv_response() -> Response:
    return csv_response(sdtm.EX_COLUMNS, sdtm.exposure_rows(reader(), g.actor), "ex.csv", g.actor)


@endpoint(bp, "/reports/accountability", "GET", roles=ACCOUNTABILITY_ROLES,
          summary="Every bag's status, reconciled per site (and per lot for the pharmacist)",
          answers={200: {"oneOf": [AccountabilityBlinded, AccountabilityUnblinded]}})  # fmt: skip
def accountability_json():
    schema = AccountabilityUnblinded if g.actor.unblinded else AccountabilityBlinded
    return answer(schema(), _report())


@endpoint(bp, "/reports/accountability.csv", "GET", roles=ACCOUNTABILITY_ROLES,
          summary="Bag accountability as CSV", answers={200: "text/csv"})  # fmt: skip
def accountability_csv():
    return accountability_csv_response()


@endpoint(bp, "/reports/accountability.pdf", "GET", roles=ACCOUNTABILITY_ROLES,
          summary="Bag accountability (PDF)", answers={200: "application/pdf"})  # fmt: skip
def accountability_pdf():
    return accountability_pdf_response()


@endpoint(bp, "/bags/<bag_id>/custody.pdf", "GET", roles=CUSTODY_ROLES,
          summary="A bag's chain of identity and custody (blinded for blinded roles)",
          answers={200: "application/pdf"})  # fmt: skip
def bag_custody_pdf(bag_id: str):
    return bag_custody_pdf_response(bag_id)


@endpoint(bp, "/participants/<participant_id>/record.pdf", "GET", roles=RECORD_ROLES,
          summary="One participant's record: code, bags, scans, infusion, code-breaks (never the arm)",
          answers={200: "application/pdf"})  # fmt: skip
def participant_record_pdf(participant_id: str):
    return participant_record_pdf_response(participant_id)


@endpoint(bp, "/exports/sdtm-ex.csv", "GET", roles=EXPORT_ROLES,
          summary="Exposure in CDISC SDTM EX form (EXTRT blinded except for the statistician)",
          answers={200: "text/csv"})  # fmt: skip
def sdtm_ex_csv():
    return sdtm_ex_csv_response()
