"""Adverse event pages: the list (/adverse-events: serious first, sponsor clocks, open assessments), the
recording form (reached from the ward's infusion page), and an event's page with the investigator's
assessment and sponsor-report forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for

from tracker.adverse_events import rules, services
from tracker.adverse_events.schemas import AdverseEventIn, AssessmentIn, SponsorReportIn
from tracker.audit.wording import VALUE_WORDS
from tracker.db import utcnow
from tracker.errors import DomainError
from tracker.notifications.mail import dispatch_in_background
from tracker.translation import N_
from tracker.web.context import reader, uow
from tracker.web.countdown import countdown
from tracker.web.forms import FormRefused, form_data, load_form, refusal
from tracker.web.guard import requires
from tracker.web.pages import WORKSPACES

bp = Blueprint("adverse_events_pages", __name__)
WORKSPACES.append((N_("Adverse events"), "adverse_events_pages.index", rules.READERS))

# The words the pages show for stored values: the audit trail's words, so that a page and its history agree.
CAUSALITY_NAMES = VALUE_WORDS["causality"]
OUTCOME_NAMES = VALUE_WORDS["outcome"]
CRITERIA_NAMES = VALUE_WORDS["seriousness_criteria"]
ACTION_NAMES = VALUE_WORDS["actions_taken"]
GRADE_NAMES = {
    1: N_("Grade 1: mild"), 2: N_("Grade 2: moderate"), 3: N_("Grade 3: severe"),
    4: N_("Grade 4: life-threatening"), 5: N_("Grade 5: death"),
}  # fmt: skip
HISTORY_NAMES = {
    "record_adverse_event": N_("recorded"), "report_to_sponsor": N_("reported to the sponsor"),
    "assess_adverse_event": N_("assessed"),
}  # fmt: skip
# The sponsor clock: amber in its last 6 hours, red in its last hour.
AMBER, RED = dt.timedelta(hours=6), dt.timedelta(hours=1)
OVERDUE = N_("Overdue: report to the sponsor now")


def sponsor_clock(due: dt.datetime) -> dict[str, Any]:
    return countdown(due, amber=AMBER, red=RED, expired=OVERDUE, carried=True)


def _names() -> dict[str, Any]:
    return {
        "causality_names": CAUSALITY_NAMES, "outcome_names": OUTCOME_NAMES, "criteria_names": CRITERIA_NAMES,
        "action_names": ACTION_NAMES, "grade_names": GRADE_NAMES, "history_names": HISTORY_NAMES,
        "clock": sponsor_clock, "rules": rules,
    }  # fmt: skip


@bp.get("/adverse-events")
@requires(*rules.READERS)
def index():
    items = services.list_events_of(reader(), g.actor)
    return render_template("adverse_events/index.html", items=items, **_names())


def _recording(data_form: Any) -> dict[str, Any]:
    data = form_data(data_form, ("onset_at", "description", "grade", "treatment"), time_fields=("onset_at",),
                     integer_fields=("grade",))  # fmt: skip
    serious = data_form.get("serious", "")
    if serious in ("yes", "no"):
        data["serious"] = serious == "yes"
    data["seriousness_criteria"] = data_form.getlist("seriousness_criteria") if data.get("serious") else []
    data["actions_taken"] = data_form.getlist("actions_taken")
    return load_form(AdverseEventIn, data)


@bp.route("/adverse-events/new", methods=["GET", "POST"])
@requires(*rules.RECORDERS)
def new():
    infusion_id = (request.values.get("infusion_id") or "").strip().upper()
    error, details, status = None, {}, 200
    if request.method == "POST":
        try:
            recorded = services.record_adverse_event(uow(), g.actor, infusion_id, _recording(request.form))
        except (DomainError, FormRefused) as exc:
            error, status, details = refusal(exc)
            details = {("ae_onset_at" if k == "onset_at" else k): v for k, v in details.items()}
        else:
            if recorded["serious"]:
                dispatch_in_background()
            return redirect(url_for("adverse_events_pages.detail", ae_id=recorded["ae_id"]))
    return render_template(
        "adverse_events/new.html", infusion_id=infusion_id, form=request.form, error=error, details=details,
        **_names(),
    ), status  # fmt: skip


def _detail(ae_id: str, error: str | None = None, details: dict | None = None, status: int = 200):
    event = services.get_event(reader(), g.actor, ae_id)
    history = services.event_history(reader(), g.actor, ae_id)
    return render_template(
        "adverse_events/detail.html", ae=event, history=history, error=error, details=details or {},
        form=request.form, **_names(),
    ), status  # fmt: skip


@bp.get("/adverse-events/<ae_id>")
@requires(*rules.READERS)
def detail(ae_id: str):
    return _detail(ae_id)


@bp.post("/adverse-events/<ae_id>/assessment")
@requires(*rules.ASSESSORS)
def assessment(ae_id: str):
    data = form_data(request.form, ("causality", "outcome", "resolved_at"), time_fields=("resolved_at",))
    try:
        services.assess(uow(), g.actor, ae_id, load_form(AssessmentIn, data))
    except (DomainError, FormRefused) as exc:
        message, status, details = refusal(exc)
        return _detail(ae_id, message, details, status)
    return redirect(url_for("adverse_events_pages.detail", ae_id=ae_id))


@bp.post("/adverse-events/<ae_id>/sponsor-report")
@requires(*rules.ASSESSORS)
def sponsor_report(ae_id: str):
    data = form_data(request.form, ("reported_at", "note"), time_fields=("reported_at",))
    data.setdefault("reported_at", utcnow().isoformat())
    try:
        services.report_to_sponsor(uow(), g.actor, ae_id, load_form(SponsorReportIn, data))
    except (DomainError, FormRefused) as exc:
        message, status, details = refusal(exc)
        return _detail(ae_id, message, details, status)
    return redirect(url_for("adverse_events_pages.detail", ae_id=ae_id))
