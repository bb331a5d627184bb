"""The reports page: the same files the API hands out, for people signed in to the pages."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from tracker.audit import responses as audit_responses
from tracker.audit.schemas import AuditSearch
from tracker.errors import Invalid
from tracker.participants.responses import code_breaks_csv_response
from tracker.reports import (
    ae_listing,
    deviation_log,
    responses,
    shipment_receipt,
    stock_by_site,
    temperatures,
)
from tracker.reports.schemas import AccessReviewQuery
from tracker.storage.schemas import PeriodQuery
from tracker.translation import N_
from tracker.web.guard import requires
from tracker.web.pages import WORKSPACES

bp = Blueprint("reports_pages", __name__)
PAGE_ROLES = ("gmp", "qa", "pharmacist", "admin", "statistician", "nurse", "investigator")
CODE_BREAK_ROLES = ("qa", "admin")
AUDIT_ROLES = ("qa", "admin")
WORKSPACES.append((N_("Reports and exports"), "reports_pages.index", PAGE_ROLES))


@bp.get("/reports")
@requires(*PAGE_ROLES)
def index():
    role = g.actor.role
    return render_template(
        "reports/index.html",
        accountability=role in responses.ACCOUNTABILITY_ROLES,
        code_breaks=role in CODE_BREAK_ROLES,
        audit=role in AUDIT_ROLES,
        exports=role in responses.EXPORT_ROLES,
        custody=role in responses.CUSTODY_ROLES,
        records=role in responses.RECORD_ROLES,
        access_review=role in responses.ACCESS_REVIEW_ROLES,
        deviation_log=role in deviation_log.DEVIATION_LOG_ROLES,
        ae_listing=role in ae_listing.AE_LISTING_ROLES,
        temperatures=role in temperatures.TEMPERATURE_REPORT_ROLES,
        stock=role in stock_by_site.STOCK_REPORT_ROLES,
    )


def _required(name: str) -> str:
    value = (request.args.get(name) or "").strip()
    if not value:
        raise Invalid(f"Say which: {name} is required", details={name: ["required"]})
    return value


def _audit_query() -> dict:
    # Empty form fields mean "no filter", not an empty value to match. The audit page's filters (user,
    # action) apply too; its paging does not: the files hold every matching event.
    query = AuditSearch().load({k: v for k, v in request.args.items() if v.strip()})
    return {k: v for k, v in query.items() if k not in ("page", "upto")}


@bp.get("/reports/audit.csv")
@requires(*AUDIT_ROLES, trial_wide=True)
def audit_csv():
    return audit_responses.audit_csv_response(_audit_query())


@bp.get("/reports/audit.pdf")
@requires(*AUDIT_ROLES, trial_wide=True)
def audit_pdf():
    return responses.audit_pdf_response(_audit_query())


@bp.get("/reports/accountability.csv")
@requires(*responses.ACCOUNTABILITY_ROLES)
def accountability_csv():
    return responses.accountability_csv_response()


@bp.get("/reports/accountability.pdf")
@requires(*responses.ACCOUNTABILITY_ROLES)
def accountability_pdf():
    return responses.accountability_pdf_response()


@bp.get("/reports/code-breaks.csv")
@requires(*CODE_BREAK_ROLES)
def code_breaks_csv():
    return code_breaks_csv_response()


@bp.get("/reports/sdtm-ex.csv")
@requires(*responses.EXPORT_ROLES)
def sdtm_ex_csv():
    return responses.sdtm_ex_csv_response()


@bp.get("/reports/sdtm-ae.csv")
@requires(*responses.EXPORT_ROLES)
def sdtm_ae_csv():
    return responses.sdtm_ae_csv_response()


@bp.get("/reports/custody.pdf")
@requires(*responses.CUSTODY_ROLES)
def bag_custody_pdf():
    return responses.bag_custody_pdf_response(_required("bag_id"))


@bp.get("/reports/record.pdf")
@requires(*responses.RECORD_ROLES)
def participant_record_pdf():
    return responses.participant_record_pdf_response(_required("participant_id"))


def _access_review_query() -> dict:
    return AccessReviewQuery().load({k: v for k, v in request.args.items() if v.strip()})


@bp.get("/reports/access-review.csv")
@requires(*responses.ACCESS_REVIEW_ROLES, trial_wide=True)
def access_review_csv():
    return responses.access_review_csv_response(_access_review_query())


@bp.get("/reports/access-review.pdf")
@requires(*responses.ACCESS_REVIEW_ROLES, trial_wide=True)
def access_review_pdf():
    return responses.access_review_pdf_response(_access_review_query())


@bp.get("/reports/deviations.csv")
@requires(*deviation_log.DEVIATION_LOG_ROLES)
def deviation_log_csv():
    return deviation_log.deviation_log_csv_response()


@bp.get("/reports/deviations.pdf")
@requires(*deviation_log.DEVIATION_LOG_ROLES)
def deviation_log_pdf():
    return deviation_log.deviation_log_pdf_response()


@bp.get("/reports/adverse-events.csv")
@requires(*ae_listing.AE_LISTING_ROLES)
def ae_listing_csv():
    return ae_listing.ae_listing_csv_response()


@bp.get("/reports/adverse-events.pdf")
@requires(*ae_listing.AE_LISTING_ROLES)
def ae_listing_pdf():
    return ae_listing.ae_listing_pdf_response()


def _period_query() -> dict:
    # Empty form fields mean "the default period" (the last 7 days).
    return PeriodQuery().load(
        {k: v for k, v in request.args.items() if k in ("since", "until") and v.strip()}
    )


@bp.get("/reports/storage-units/<unit_id>/temperatures.csv")
@requires(*temperatures.TEMPERATURE_REPORT_ROLES)
def unit_temperatures_csv(unit_id: str):
    return temperatures.unit_temperatures_csv_response(unit_id, _period_query())


@bp.get("/reports/storage-units/<unit_id>/temperatures.pdf")
@requires(*temperatures.TEMPERATURE_REPORT_ROLES)
def unit_temperatures_pdf(unit_id: str):
    return temperatures.unit_temperatures_pdf_response(unit_id, _period_query())


@bp.get("/reports/time-out-of-range.csv")
@requires(*temperatures.TEMPERATURE_REPORT_ROLES)
def time_out_of_range_csv():
    return temperatures.time_out_of_range_csv_response(_period_query())


@bp.get("/reports/time-out-of-range.pdf")
@requires(*temperatures.TEMPERATURE_REPORT_ROLES)
def time_out_of_range_pdf():
    return temperatures.time_out_of_range_pdf_response(_period_query())


@bp.get("/shipments/<shipment_id>/receipt.csv")
@requires(*shipment_receipt.RECEIPT_REPORT_ROLES)
def shipment_receipt_csv(shipment_id: str):
    return shipment_receipt.receipt_csv_response(shipment_id)


@bp.get("/shipments/<shipment_id>/receipt.pdf")
@requires(*shipment_receipt.RECEIPT_REPORT_ROLES)
def shipment_receipt_pdf(shipment_id: str):
    return shipment_receipt.receipt_pdf_response(shipment_id)


@bp.get("/reports/stock-by-site")
@requires(*stock_by_site.STOCK_REPORT_ROLES)
def stock_by_site_page():
    report = stock_by_site.stock_report()
    return render_template(
        "reports/stock_by_site.html", report=report, chart=stock_by_site.stock_chart(report),
        count_words=stock_by_site.COUNT_WORDS, band_words=stock_by_site.BAND_WORDS,
        disposition_words=stock_by_site.DISPOSITION_WORDS,
    )  # fmt: skip


@bp.get("/reports/stock-by-site.csv")
@requires(*stock_by_site.STOCK_REPORT_ROLES)
def stock_by_site_csv():
    return stock_by_site.stock_csv_response()
