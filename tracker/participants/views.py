"""Investigator and nurse pages: the enrolment checklist with its review step, a participant's status, and
the emergency code-break with its confirmation step."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, g, render_template, request
from flask_babel import gettext

from tracker.errors import DomainError, Invalid
from tracker.notifications.mail import dispatch_in_background
from tracker.participants import rules, services
from tracker.pharmacy.handoffs import bag_custody
from tracker.studies.definition import StudyDefinition
from tracker.studies.services import study_definition
from tracker.web.context import login_policy, reader, uow
from tracker.web.filters import site_zone
from tracker.web.guard import requires

bp = Blueprint("participants_pages", __name__)

FIELD_PREFIX = "elig_"  # criterion inputs are named elig_<key>, apart from the form's own fields


def _study() -> StudyDefinition:
    return study_definition(reader())


def _windows(study: StudyDefinition) -> dict[str, str]:
    """Each stratum's onset window in the reader's language (rules.window_text says it in English)."""
    last = len(study.strata) - 1
    windows = {}
    for n, stratum in enumerate(study.strata):
        start, end = (rules.describe_span(span) for span in rules.window_of(stratum))
        if n == last:
            windows[stratum.code] = gettext("from %(start)s to %(end)s", start=start, end=end)
        else:
            windows[stratum.code] = gettext("from %(start)s to under %(end)s", start=start, end=end)
    return windows


def _parse_onset(text: str) -> dt.datetime | None:
    """A datetime-local value is the site's wall-clock time; a value with an offset keeps it."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(
            gettext("The stroke onset is not a date and time"),
            details={"onset_at": [gettext("give the date and time of onset, e.g. 2024-03-09 08:30")]},
        ) from None
    return moment.replace(tzinfo=site_zone()) if moment.tzinfo is None else moment


def _form_values(study: StudyDefinition) -> dict[str, Any]:
    form = {
        key: request.form.get(key, "").strip() for key in ("participant_id", "stratum", "onset_at", "site")
    }
    form["answers"] = {
        c.key: request.form.get(FIELD_PREFIX + c.key, "").strip() for c in study.eligibility.criteria
    }
    form["onset_local"] = _local_input(form["onset_at"])
    return form


def _local_input(text: str) -> str:
    """The onset as a datetime-local input shows it: the site's wall-clock time to the minute."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(site_zone())
    return moment.strftime("%Y-%m-%dT%H:%M")


def _request_from(study: StudyDefinition, form: dict[str, Any]) -> dict[str, Any]:
    # The page always asks the whole checklist: a blank answer is a missing one.
    answers = {key: (value or None) for key, value in form["answers"].items()}
    return {
        "participant_id": form["participant_id"],
        "stratum": form["stratum"] or None,
        "onset_at": _parse_onset(form["onset_at"]),
        "eligibility": answers if study.eligibility.criteria else None,
    }


@bp.route("/participants/enrol", methods=["GET", "POST"])
@requires("investigator")
def enrol():
    """Two steps: review (eligibility judged, stratum derived, nothing stored), then confirm and randomize."""
    study = _study()
    step = request.form.get("step", "review") if request.method == "POST" else "start"
    form = _form_values(study) if request.method == "POST" else {"answers": {}}
    context: dict[str, Any] = {"study": study, "windows": _windows(study), "form": form, "zone": site_zone()}
    try:
        if step == "review":
            check = services.check_enrolment(reader(), **_request_from(study, form))
            return render_template("participants/enrol.html", step="confirm", check=check, **context)
        if step == "confirm":
            try:
                enrolled = services.enrol_participant(
                    uow(), g.actor, **_request_from(study, form), site=form["site"] or None
                )
            finally:
                dispatch_in_background()  # a used-up stratum queues a notification
            return render_template(
                "participants/enrol.html",
                step="done",
                enrolled=enrolled,
                **{**context, "form": {"answers": {}}},
            )
    except DomainError as exc:
        return render_template("participants/enrol.html", step="start", error=exc, **context), exc.status
    return render_template("participants/enrol.html", step="start", **context)


@bp.get("/participants")
@requires("investigator", "nurse")
def index():
    wanted = request.args.get("participant_id", "").strip()
    participants = services.list_participants(reader())
    if wanted:
        participants = [p for p in participants if wanted.lower() in p.participant_id.lower()]
    return render_template("participants/index.html", participants=participants, wanted=wanted)


@bp.get("/participants/<participant_id>")
@requires("investigator", "nurse")
def show(participant_id: str):
    participant = services.get_participant(reader(), g.actor, participant_id)
    study = _study()
    label = next((s.label for s in study.strata if s.code == participant.stratum), "")
    # The participant's bag as a timeline: handoffs, scans and the infusion (every reader here is blinded).
    events = bag_custody(reader(), g.actor, participant.bag["bag_id"]) if participant.bag else []
    return render_template(
        "participants/show.html", participant=participant, stratum_label=label, windows=_windows(study),
        events=events,
    )  # fmt: skip


@bp.route("/participants/code-break", methods=["GET", "POST"])
@requires("investigator")
def code_break():
    step = request.form.get("step", "start") if request.method == "POST" else "start"
    participant_id = request.form.get("participant_id", "").strip()
    reason = request.form.get("reason", "")
    context = {"participant_id": participant_id, "reason": reason, "error": None}
    if step == "review":
        problems = {
            field: [gettext(problem) for problem in found]
            for field, found in rules.code_break_problems(reason).items()
        }
        try:
            if problems:
                raise DomainError(gettext("The code-break needs a reason"), details=problems)
            context["participant"] = services.get_participant(reader(), g.actor, participant_id)
        except DomainError as exc:
            return render_template(
                "participants/code_break.html", step="start", **{**context, "error": exc}
            ), 422
        return render_template("participants/code_break.html", step="confirm", **context)
    if step == "confirm":
        try:
            result = services.break_code(
                uow(), g.actor, participant_id, reason, request.form.get("password", ""), login_policy()
            )
        except DomainError as exc:
            participant = None
            try:
                participant = services.get_participant(reader(), g.actor, participant_id)
            except DomainError:
                pass
            return render_template(
                "participants/code_break.html", step="confirm" if participant else "start",
                **{**context, "error": exc, "participant": participant},
            ), exc.status  # fmt: skip
        dispatch_in_background()
        # Shown once: the page is not cached (Cache-Control: no-store) and no page shows it again.
        return render_template("participants/code_break.html", step="done", result=result, **context)
    # The safety code-breaks the system made (a late QC result failed): listed under the form.
    safety = services.safety_code_breaks(reader())
    return render_template("participants/code_break.html", step="start", safety=safety, **context)
