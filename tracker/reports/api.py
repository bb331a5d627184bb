"""Report routes: accountability, chain of identity, participant record, SDTM EX. The files are built in
responses.py, shared with the report pages, so a page and the API hand out the same file."""

from flask import g

from tracker.audit.schemas import AuditQuery
from tracker.reports.ae_listing import AE_LISTING_ROLES, ae_listing_csv_response, ae_listing_pdf_response
from tracker.reports.deviation_log import (
    DEVIATION_LOG_ROLES,
    deviation_log_csv_response,
    deviation_log_pdf_response,
)
from tracker.reports.responses import (
    ACCESS_REVIEW_ROLES,
    ACCOUNTABILITY_ROLES,
    CUSTODY_ROLES,
    EXPORT_ROLES,
    RECORD_ROLES,
    access_review_csv_response,
    access_review_pdf_response,
    access_review_report,
    accountability_csv_response,
    accountability_pdf_response,
    accountability_report,
    audit_pdf_response,
    bag_custody_pdf_response,
    participant_record_pdf_response,
    sdtm_ae_csv_response,
    sdtm_ex_csv_response,
)
from tracker.reports.schemas import (
    AccessReview,
    AccessReviewQuery,
    AccountabilityBlinded,
    AccountabilityUnblinded,
    StockBySiteBlinded,
    StockBySiteUnblinded,
)
from tracker.reports.shipment_receipt import RECEIPT_REPORT_ROLES, receipt_csv_response, receipt_pdf_response
from tracker.reports.stock_by_site import STOCK_REPORT_ROLES, stock_csv_response, stock_report
from tracker.reports.temperatures import (
    TEMPERATURE_REPORT_ROLES,
    time_out_of_range_csv_response,
    time_out_of_range_pdf_response,
    unit_temperatures_csv_response,
    unit_temperatures_pdf_response,
)
from tracker.storage.schemas import PeriodQuery
from tracker.web.api import answer, api_blueprint, endpoint

bp = api_blueprint("reports_api", __name__)


@endpoint(bp, "/reports/accountability", "GET", roles=ACCOUNTABILITY_ROLES,
          summary="Every bag's status, reconciled per site (and per lot for the pharmacist)",
          answers={200: {"oneOf": [AccountabilityBlinded, AccountabilityUnblinded]}})  # fmt: skip
def accountability_json():
    schema = AccountabilityUnblinded if g.actor.unblinded else AccountabilityBlinded
    return answer(schema(), accountability_report())


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


@endpoint(bp, "/reports/access-review", "GET", roles=ACCESS_REVIEW_ROLES, query=AccessReviewQuery,
          summary="Every account and every change to an account in a period (default: the last 90 days)",
          trial_wide=True, answers={200: AccessReview})  # fmt: skip
def access_review_json(query: dict):
    return answer(AccessReview(), access_review_report(query))


@endpoint(bp, "/reports/access-review.csv", "GET", roles=ACCESS_REVIEW_ROLES, query=AccessReviewQuery,
          trial_wide=True, summary="The access review as CSV", answers={200: "text/csv"})  # fmt: skip
def access_review_csv(query: dict):
    return access_review_csv_response(query)


@endpoint(bp, "/reports/access-review.pdf", "GET", roles=ACCESS_REVIEW_ROLES, query=AccessReviewQuery,
          trial_wide=True, summary="The access review (PDF), with room for the reviewer's signature",
          answers={200: "application/pdf"})  # fmt: skip
def access_review_pdf(query: dict):
    return access_review_pdf_response(query)


# The printed trail is a report (it names the study, which the audit feature below it does not read); its
# route stays where the contract puts it.
@endpoint(bp, "/audit/export.pdf", "GET", roles=("qa", "admin"), summary="The audit trail (PDF, Annex 11)",
          trial_wide=True, query=AuditQuery, answers={200: "application/pdf"})  # fmt: skip
def export_audit_pdf(query: dict):
    return audit_pdf_response(query)


# The deviation log (issue 22): the files are built in deviation_log.py, shared with the pages.
@endpoint(bp, "/reports/deviations.csv", "GET", roles=DEVIATION_LOG_ROLES,
          summary="The deviation log as CSV (no bag's source lot or container for blinded roles)",
          answers={200: "text/csv"})  # fmt: skip
def deviation_log_csv():
    return deviation_log_csv_response()


@endpoint(bp, "/reports/deviations.pdf", "GET", roles=DEVIATION_LOG_ROLES,
          summary="The deviation log (PDF), with room for the reviewer's signature",
          answers={200: "application/pdf"})  # fmt: skip
def deviation_log_pdf():
    return deviation_log_pdf_response()


@endpoint(bp, "/exports/sdtm-ae.csv", "GET", roles=EXPORT_ROLES,
          summary="Adverse events in CDISC SDTM AE form (the same for every reader: no arm, lot or bag)",
          answers={200: "text/csv"})  # fmt: skip
def sdtm_ae_csv():
    return sdtm_ae_csv_response()


# The adverse event listing (issue 22): the files are built in ae_listing.py, shared with the pages.
@endpoint(bp, "/reports/adverse-events.csv", "GET", roles=AE_LISTING_ROLES,
          summary="The adverse event listing as CSV (the same for every reader: no arm, lot or container)",
          answers={200: "text/csv"})  # fmt: skip
def ae_listing_csv():
    return ae_listing_csv_response()


@endpoint(bp, "/reports/adverse-events.pdf", "GET", roles=AE_LISTING_ROLES,
          summary="The adverse event listing (PDF): counts by seriousness and grade, every event, signature",
          answers={200: "application/pdf"})  # fmt: skip
def ae_listing_pdf():
    return ae_listing_pdf_response()


# The temperature reports (issue 23): the files are built in temperatures.py, shared with the pages.
@endpoint(bp, "/reports/storage-units/<unit_id>/temperatures.csv", "GET", roles=TEMPERATURE_REPORT_ROLES,
          query=PeriodQuery, summary="A storage unit's readings over a period (default the last 7 days) as "
          "CSV: time in UTC and in the site's zone, °C, in range", answers={200: "text/csv"})  # fmt: skip
def unit_temperatures_csv(unit_id: str, query: dict):
    return unit_temperatures_csv_response(unit_id, query)


@endpoint(bp, "/reports/storage-units/<unit_id>/temperatures.pdf", "GET", roles=TEMPERATURE_REPORT_ROLES,
          query=PeriodQuery, summary="A storage unit's temperature history (PDF): range, period, summary, "
          "chart, excursions, readings, with room for the reviewer's signature",
          answers={200: "application/pdf"})  # fmt: skip
def unit_temperatures_pdf(unit_id: str, query: dict):
    return unit_temperatures_pdf_response(unit_id, query)


@endpoint(bp, "/reports/time-out-of-range.csv", "GET", roles=TEMPERATURE_REPORT_ROLES, query=PeriodQuery,
          summary="Time out of range per storage unit over a period, its excursions and the minutes each "
          "container in it spent out of range (CSV)", answers={200: "text/csv"})  # fmt: skip
def time_out_of_range_csv(query: dict):
    return time_out_of_range_csv_response(query)


@endpoint(bp, "/reports/time-out-of-range.pdf", "GET", roles=TEMPERATURE_REPORT_ROLES, query=PeriodQuery,
          summary="Time out of range per storage unit over a period (PDF), with room for the reviewer's "
          "signature", answers={200: "application/pdf"})  # fmt: skip
def time_out_of_range_pdf(query: dict):
    return time_out_of_range_pdf_response(query)


# A shipment's receipt report (issue 23): built in shipment_receipt.py, shared with the pages.
@endpoint(bp, "/shipments/<shipment_id>/receipt.csv", "GET", roles=RECEIPT_REPORT_ROLES,
          summary="A shipment's receipt as CSV: the shipment, each container expected or received (missing, "
                  "extra, damaged), the journey's excursions, what was quarantined and QA's decisions",
          answers={200: "text/csv"})  # fmt: skip
def shipment_receipt_csv(shipment_id: str):
    return receipt_csv_response(shipment_id)


@endpoint(bp, "/shipments/<shipment_id>/receipt.pdf", "GET", roles=RECEIPT_REPORT_ROLES,
          summary="A shipment's receipt report (PDF): facts, the dry shipper's chart, expected against "
                  "received, excursions, quarantine and QA's decisions, a signature block",
          answers={200: "application/pdf"})  # fmt: skip
def shipment_receipt_pdf(shipment_id: str):
    return receipt_pdf_response(shipment_id)


# Stock by site and lot (issue 23): built in stock_by_site.py, shared with the page.
@endpoint(bp, "/reports/stock-by-site", "GET", roles=STOCK_REPORT_ROLES,
          summary="Per site and lot with containers there: where they are (in the lab's store, shipped, "
                  "in the pharmacy; the pharmacist also thawed, used, discarded there), disposition, "
                  "expiry, days to it",
          answers={200: {"oneOf": [StockBySiteBlinded, StockBySiteUnblinded]}})  # fmt: skip
def stock_by_site_json():
    schema = StockBySiteUnblinded if g.actor.unblinded else StockBySiteBlinded
    return answer(schema(), stock_report())


@endpoint(bp, "/reports/stock-by-site.csv", "GET", roles=STOCK_REPORT_ROLES,
          summary="Stock by site and lot as CSV (one row per site and lot)",
          answers={200: "text/csv"})  # fmt: skip
def stock_by_site_csv():
    return stock_csv_response()
