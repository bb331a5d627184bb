"""Investigator pages: the enrolment form and the emergency code-break with its confirmation step."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from tracker.errors import DomainError
from tracker.notifications.mail import dispatch_in_background
from tracker.participants import rules, services
from tracker.studies.services import current_study
from tracker.web.context import login_policy, reader, uow
from tracker.web.guard import requires

bp = Blueprint("participants_pages", __name__)


def _strata():  # noqa: ANN202
    with reader() as work:
        return current_study(work.session).strata


@bp.route("/participants/enrol", methods=["GET", "POST"])
@requires("investigator")
def enrol():
    enrolled, error, status = None, None, 200
    form = {"participant_id": "", "stratum": ""}
    if request.method == "POST":
        form = {key: request.form.get(key, "").strip() for key in form}
        try:
            enrolled = services.enrol_participant(uow(), g.actor, form["participant_id"], form["stratum"])
        except DomainError as exc:
            error, status = exc, exc.status
        finally:
            dispatch_in_background()
    return render_template(
        "participants/enrol.html", strata=_strata(), enrolled=enrolled, error=error, form=form
    ), status


@bp.route("/participants/code-break", methods=["GET", "POST"])
@requires("investigator")
def code_break():
    step = request.form.get("step", "start") if request.method == "POST" else "start"
    participant_id = request.form.get("participant_id", "").strip()
    reason = request.form.get("reason", "")
    context = {"participant_id": participant_id, "reason": reason, "error": None}
    if step == "review":
        problems = rules.code_break_problems(reason)
        try:
            if problems:
                raise DomainError("The code-break needs a reason", details=problems)
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
    return render_template("participants/code_break.html", step="start", **context)
