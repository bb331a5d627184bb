"""The reports page: the same files the API hands out, for people signed in to the pages."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from tracker.audit import api as audit_api
from tracker.audit.rules import ENTITY_TYPES
from tracker.audit.schemas import AuditQuery
from tracker.errors import Invalid
from tracker.participants.api import code_breaks_csv_response
from tracker.reports import api
from tracker.translation import N_
from tracker.web.guard import requires
from tracker.web.pages import WORKSPACES

bp = Blueprint("reports_pages", __name__)
PAGE_ROLES = ("qa", "pharmacist", "admin", "statistician", "nurse", "investigator")
CODE_BREAK_ROLES = ("qa", "admin")
AUDIT_ROLES = ("qa", "admin")
WORKSPACES.append((N_("Reports and exports"), "reports_pages.index", PAGE_ROLES))


@bp.get("/reports")
@requires(*PAGE_ROLES)
def index():
    role = g.actor.role
    return render_template(
        "reports/index.html",
        accountability=role in api.ACCOUNTABILITY_ROLES,
        code_breaks=role in CODE_BREAK_ROLES,
        audit=role in AUDIT_ROLES,
        entity_types=ENTITY_TYPES,
        exports=role in api.EXPORT_ROLES,
        custody=role in api.CUSTODY_ROLES,
        records=role in api.RECORD_ROLES,
    )


def _required(name: str) -> str:
    value = (request.args.get(name) or "").strip()
    if not value:
        raise Invalid(f"Say which: {name} is required", details={name: ["required"]})
    return value


def _audit_query() -> dict:
    # Empty form fields mean "no filter", not an empty value to match.
    return AuditQuery().load({k: v for k, v in request.args.items() if v.strip()})


@bp.get("/reports/audit.csv")
@requires(*AUDIT_ROLES)
def audit_csv():
    return audit_api.audit_csv_response(_audit_query())


@bp.get("/reports/audit.pdf")
@requires(*AUDIT_ROLES)
def audit_pdf():
    return audit_api.audit_pdf_response(_audit_query())


@bp.get("/reports/accountability.csv")
@requires(*api.ACCOUNTABILITY_ROLES)
def accountability_csv():
    return api.accountability_csv_response()


@bp.get("/reports/accountability.pdf")
@requires(*api.ACCOUNTABILITY_ROLES)
def accountability_pdf():
    return api.accountability_pdf_response()


@bp.get("/reports/code-breaks.csv")
@requires(*CODE_BREAK_ROLES)
def code_breaks_csv():
    return code_breaks_csv_response()


@bp.get("/reports/sdtm-ex.csv")
@requires(*api.EXPORT_ROLES)
def sdtm_ex_csv():
    return api.sdtm_ex_csv_response()


@bp.get("/reports/custody.pdf")
@requires(*api.CUSTODY_ROLES)
def bag_custody_pdf():
    return api.bag_custody_pdf_response(_required("bag_id"))


@bp.get("/reports/record.pdf")
@requires(*api.RECORD_ROLES)
def participant_record_pdf():
    return api.participant_record_pdf_response(_required("participant_id"))
