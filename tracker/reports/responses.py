"""Reports as files (CSV with provenance headers, PDF) and who may read each: alike for the pages and API."""

from flask import Response, current_app, g
from flask_babel import gettext

from tracker.audit import changes
from tracker.audit.provenance import csv_response
from tracker.audit.services import AuditFilter, events_to_print, read_chain_head
from tracker.audit.wording import AuditWords, action_word, field_label
from tracker.db import utcnow
from tracker.errors import Invalid
from tracker.pdf import Provenance, Section, render_report
from tracker.reports import records, sdtm, sdtm_ae
from tracker.reports.accountability import STATUSES, accountability
from tracker.reports.schemas import (
    AccessChange,
    AccountabilityRow,
    AccountabilityRowWithLot,
)
from tracker.reports.wording import report_words, role_word, study_name, yes_no
from tracker.translation import N_
from tracker.users.review import access_review
from tracker.users.schemas import Account
from tracker.web.context import login_policy, report_reader
from tracker.web.filters import entity_word, site_zone

ACCOUNTABILITY_ROLES = ("qa", "pharmacist")


CUSTODY_ROLES = ("pharmacist", "nurse", "qa", "investigator")


RECORD_ROLES = ("investigator", "nurse", "pharmacist", "qa")


EXPORT_ROLES = ("qa", "admin", "statistician")


ACCESS_REVIEW_ROLES = ("qa", "admin")


def accountability_report() -> dict:
    return accountability(report_reader(), g.actor, current_app.config["SITE_NAME"])


def _head(report: dict) -> tuple[int, str]:
    return report["audit_head"]["seq"], report["audit_head"]["hash"]


def _pdf(content: bytes, filename: str) -> Response:
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename={filename}"
    return response


def accountability_csv_response() -> Response:
    report = accountability_report()
    row_schema = AccountabilityRowWithLot if g.actor.unblinded else AccountabilityRow
    rows = row_schema(many=True).dump(report["items"])
    return csv_response(list(row_schema().fields), rows, "accountability.csv", g.actor, _head(report))


# The statuses as the printed report says them (the CSV and JSON keep their machine values).
STATUS_WORDS = {
    "in stock": N_("in stock"), "in transit": N_("in transit"), "received": N_("received"),
    "infused": N_("infused"), "destroyed": N_("destroyed"), "expired": N_("expired"), "voided": N_("voided"),
}  # fmt: skip


def status_word(status: str) -> str:
    return gettext(STATUS_WORDS[status]) if status in STATUS_WORDS else status


def accountability_pdf_response() -> Response:
    """The reconciliation a QA reviewer signs: counts per site (and per lot for the pharmacist), then every
    bag, in the reader's language."""
    report = accountability_report()
    zone = site_zone()
    provenance = Provenance(report["generated_at"], report["generated_by"], _head(report),
                            current_app.config["SITE_NAME"])  # fmt: skip
    keys = [s.replace(" ", "_") for s in STATUSES]
    count_columns = [gettext("Prepared"), *(status_word(s) for s in STATUSES), gettext("Open"),
                     gettext("Reconciled")]  # fmt: skip

    def counts(row: dict) -> list:
        return [row["prepared"], *(row[k] for k in keys), row["open"], yes_no(row["reconciled"])]

    sections = [
        Section(gettext("Per site"), [gettext("Site"), *count_columns],
                [[s["site"], *counts(s)] for s in report["sites"]]),
    ]  # fmt: skip
    if "lots" in report:
        rows = [[s["lot_number"], *counts(s)] for s in report["lots"]]
        sections.append(Section(gettext("Per lot"), [gettext("Lot"), *count_columns], rows))

    def when(value: object) -> str:
        return "" if value is None else changes.local_time(value, zone)

    columns = [gettext("Bag"), gettext("Participant"), gettext("Randomization code"), gettext("Status"),
               gettext("Prepared"), gettext("Received"), gettext("Infusion started"), gettext("Destroyed"),
               gettext("Reason for destruction")]  # fmt: skip
    rows = [
        [i["bag_id"], i["participant_id"], i["randomization_code"], status_word(i["status"]),
         when(i["prepared_at"]), when(i["received_at"]), when(i["infusion_started_at"]),
         when(i["destroyed_at"]), i["destroy_reason"] or ""]
        for i in report["items"]
    ]  # fmt: skip
    widths = [30, 24, 28, 22, 32, 32, 32, 32, 41]
    if g.actor.unblinded:
        columns.append(gettext("Lot"))
        widths = [28, 22, 26, 20, 29, 29, 29, 29, 35, 26]
        for row, item in zip(rows, report["items"], strict=True):
            row.append(item["lot_number"] or "")
    sections.append(Section(gettext("Bags"), columns, rows, widths))
    study = study_name(report_reader())
    details = [
        (gettext("Study"), study),
        (gettext("Generated"), f"{when(report['generated_at'])} · {report['generated_by']}"),
    ]
    pdf = render_report(gettext("Bag accountability"), provenance, sections, wide=True, words=report_words(),
                        details=details, signature=True)  # fmt: skip
    return _pdf(pdf, "accountability.pdf")


def bag_custody_pdf_response(bag_id: str) -> Response:
    bag_id, pdf = records.bag_custody_pdf(
        report_reader(), g.actor, bag_id, site=current_app.config["SITE_NAME"]
    )
    return _pdf(pdf, f"custody-{bag_id}.pdf")


def participant_record_pdf_response(participant_id: str) -> Response:
    site = current_app.config["SITE_NAME"]
    participant_id, pdf = records.participant_record_pdf(report_reader(), g.actor, participant_id, site=site)
    return _pdf(pdf, f"participant-{participant_id}.pdf")


def sdtm_ex_csv_response() -> Response:
    return csv_response(sdtm.EX_COLUMNS, sdtm.exposure_rows(report_reader(), g.actor), "ex.csv", g.actor)


def access_review_report(query: dict) -> dict:
    return access_review(report_reader(), g.actor, login_policy(), query.get("since"), query.get("until"))


def access_review_csv_response(query: dict) -> Response:
    """One CSV: every account now (kind `account`), then every change in the period (kind `change`)."""
    review = access_review_report(query)
    account_fields, change_fields = list(Account().fields), list(AccessChange().fields)
    rows = [{"kind": "account", **row} for row in Account(many=True).dump(review["accounts"])]
    rows += [{"kind": "change", **row} for row in AccessChange(many=True).dump(review["changes"])]
    columns = ["kind", *account_fields, *(c for c in change_fields if c not in account_fields)]
    return csv_response(columns, rows, "access-review.csv", g.actor)


def access_review_pdf_response(query: dict) -> Response:
    """Every account now and every change to one in the period, in the reader's language, for a reviewer
    to sign."""
    review = access_review_report(query)
    head = read_chain_head(report_reader())
    provenance = Provenance(review["generated_at"], g.actor.username, head, current_app.config["SITE_NAME"])
    zone = site_zone()

    def when(value: object) -> str:
        return "" if value is None else changes.local_time(value, zone)

    words = AuditWords(gettext("Yes"), gettext("No"))

    def state(fields: dict) -> str:
        return "; ".join(f"{field_label(k)}: {words.readable(v, zone, k)}" for k, v in fields.items())

    period = gettext("%(since)s to %(until)s", since=when(review["since"]), until=when(review["until"]))
    account_columns = [gettext("User name"), gettext("Full name"), gettext("Role"), gettext("Active"),
                       gettext("Locked"), gettext("Password change required"), gettext("Last sign-in"),
                       gettext("Created")]  # fmt: skip
    accounts = [
        [a["username"], a["full_name"], role_word(a["role"]), yes_no(a["active"]), yes_no(a["locked"]),
         yes_no(a["password_change_required"]), when(a["last_sign_in_at"]), when(a["created_at"])]
        for a in review["accounts"]
    ]  # fmt: skip
    change_columns = [gettext("Time"), gettext("User name"), gettext("Action"), gettext("By"),
                      gettext("Before"), gettext("After"), gettext("Reason")]  # fmt: skip
    account_changes = [
        [when(c["at"]), c["username"], action_word(c["action"]), c["by"], state(c["before_fields"]),
         state(c["after_fields"]), c["reason"]]
        for c in review["changes"]
    ]  # fmt: skip
    sections = [
        Section(gettext("Accounts now"), account_columns, accounts),
        Section(gettext("Changes to accounts, %(period)s", period=period), change_columns, account_changes),
    ]
    details = [
        (gettext("Period"), period),
        (gettext("Generated"), f"{when(review['generated_at'])} · {g.actor.username}"),
    ]
    pdf = render_report(gettext("Access review"), provenance, sections, wide=True, words=report_words(),
                        details=details, signature=True)  # fmt: skip
    return _pdf(pdf, "access-review.pdf")


PDF_LIMIT = 5000  # a printable trail is for a filtered view; the CSV carries everything


def audit_pdf_response(query: dict) -> Response:
    """The printable trail a QA reviewer signs: one table row per event, oldest first as the trail reads,
    with the changes in words; shared with the audit page and the reports page."""
    head, events = events_to_print(report_reader(), g.actor, AuditFilter(**query), PDF_LIMIT)
    study = study_name(report_reader())
    if len(events) > PDF_LIMIT:
        raise Invalid(
            f"More than {PDF_LIMIT} events match: narrow the filter (entity, since, until) or use export.csv",
            code="too_many_events",
        )
    zone = site_zone()
    columns = (gettext("Seq"), gettext("Time"), gettext("User"), gettext("Role"), gettext("Action"),
               gettext("Record"), gettext("Changes"), gettext("Reason"))  # fmt: skip
    role_name = gettext  # role names are in the catalogue (tracker/web/i18n.py)
    rows = [
        (e["seq"], changes.local_time(e["at"], zone), e["user"], role_name(e["role"]),
         action_word(e["action"]), f"{entity_word(e['entity_type'])} {e['entity_id']}",
         _changes_text(e, zone), e["reason"] or "")
        for e in events
    ]  # fmt: skip
    provenance = Provenance(utcnow(), g.actor.username, head, current_app.config["SITE_NAME"])
    details = [
        (gettext("Study"), study),
        (gettext("Filters"), _filters_text(query, zone)),
        (gettext("Generated"), f"{changes.local_time(provenance.generated_at, zone)} · {g.actor.username}"),
        (gettext("Events"), str(len(events))),
    ]
    pdf = render_report(
        gettext("Audit trail"), provenance,
        [Section(gettext("Events (oldest first)"), columns, rows, (12, 30, 26, 20, 30, 32, 93, 30))],
        wide=True, words=report_words(), details=details, signature=True,
    )  # fmt: skip
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = "inline; filename=audit-trail.pdf"
    return response


def _changes_text(event: dict, zone) -> str:
    """One line per changed field: "field: old → new"; added and removed fields marked."""
    words = AuditWords(gettext("Yes"), gettext("No"))

    def shown(value: object, field: str) -> str:
        text = words.readable(value, zone, field)
        return changes.short_hash(text) if changes.is_hash(text) else text

    lines = []
    for change in changes.changes(event["before"], event["after"]):
        name = field_label(change.field)
        if change.kind == "added":
            lines.append(f"+ {name}: {shown(change.after, change.field)}")
        elif change.kind == "removed":
            lines.append(
                gettext(
                    "- %(field)s: %(value)s (removed)", field=name, value=shown(change.before, change.field)
                )
            )
        else:
            lines.append(
                f"{name}: {shown(change.before, change.field)} → {shown(change.after, change.field)}"
            )
    return "\n".join(lines)


def _filters_text(query: dict, zone) -> str:
    parts = []
    if query.get("entity_type") or query.get("entity_id"):
        kind = entity_word(query["entity_type"]) if query.get("entity_type") else ""
        record = " ".join(str(part) for part in (kind, query.get("entity_id")) if part)
        parts.append(gettext("record %(record)s", record=record))
    if query.get("username"):
        parts.append(gettext("user %(user)s", user=query["username"]))
    if query.get("action"):
        parts.append(gettext("action %(action)s", action=action_word(query["action"])))
    if query.get("since"):
        parts.append(gettext("from %(time)s", time=changes.local_time(query["since"], zone)))
    if query.get("until"):
        parts.append(gettext("until %(time)s", time=changes.local_time(query["until"], zone)))
    return "; ".join(parts) or gettext("none (the whole trail)")


def sdtm_ae_csv_response() -> Response:
    return csv_response(sdtm_ae.AE_COLUMNS, sdtm_ae.adverse_event_rows(report_reader()), "ae.csv", g.actor)
