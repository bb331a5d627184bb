"""Ward pages (nurse): receive a bag, the bedside check of label against wristband with its full-screen
MATCH or STOP, start and stop the infusion; a bag's custody timeline for the blinded roles who follow it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext

from tracker.custody.schemas import HandoffRequest
from tracker.db import utcnow
from tracker.errors import DomainError, NotFound
from tracker.pharmacy import handoffs
from tracker.pharmacy.bag_ids import is_bag_id
from tracker.pharmacy.bags import get_bag
from tracker.pharmacy.payload import read_payload
from tracker.studies.services import study_definition
from tracker.translation import N_
from tracker.ward import services
from tracker.ward.rules import REFUSAL_MESSAGES
from tracker.ward.schemas import InfusionEnd, InfusionStart
from tracker.web.context import login_policy, reader, uow
from tracker.web.countdown import countdown, hms
from tracker.web.forms import FormRefused, form_data, load_form
from tracker.web.guard import requires
from tracker.web.pages import WORKSPACES

bp = Blueprint("ward_pages", __name__)
WORKSPACES.append((N_("Ward: bedside check and infusion"), "ward_pages.bedside", ("nurse",)))
WORKSPACES.append((N_("Ward: receive bags"), "ward_pages.receive", ("nurse",)))

NURSE = ("nurse",)
# Who may follow a bag's custody on the ward's page: the blinded roles (the pharmacist has the pharmacy's).
BAG_READERS = ("nurse", "qa", "investigator")

# The API's refusal sentences, marked for translation where they are written (rules.REFUSAL_MESSAGES).
STOP_REASONS = REFUSAL_MESSAGES

# Bag statuses as the pages name them (templates translate them with _(status)).
BAG_STATUSES = (
    N_("prepared"), N_("dispatched"), N_("received"), N_("returned"), N_("infused"), N_("destroyed"),
    N_("expired"), N_("voided"),
)  # fmt: skip
# Why a receipt was refused, in the reader's language where the page knows the reason.
RECEIPT_REFUSALS = {
    "bag_not_found": N_("No bag has this ID: check the label."),
    "action_out_of_order": N_("This bag cannot be received now: it is %(status)s."),
    "unreadable_payload": STOP_REASONS["unreadable_payload"],
    "bad_signature": STOP_REASONS["bad_signature"],
    "temperature_required": N_(
        "Measure the bag's temperature and say whether the seal is intact: the study sets a transport range."
    ),
}

# The ward's use-by clock: static/js/ward.js's default thresholds and words, so the page carries none of them.
AMBER, RED = dt.timedelta(minutes=30), dt.timedelta(minutes=10)
EXPIRED = N_("Expired: do not infuse")


def use_by_clock(until: dt.datetime, now: dt.datetime | None = None) -> dict[str, Any]:
    """The ward's countdown to a bag's use-by time."""
    return countdown(until, amber=AMBER, red=RED, expired=EXPIRED, carried=False, now=now)


def _two_person() -> bool:
    return study_definition(reader()).two_person_verification


def _stop_reason(exc: DomainError) -> str:
    return gettext(STOP_REASONS[exc.code]) if exc.code in STOP_REASONS else exc.message


# ---- the bedside check -----------------------------------------------------------------------------------


@bp.get("/ward")
@requires(*NURSE)
def bedside():
    return render_template("ward/scan.html", form={}, error=None)


@bp.post("/ward/scan")
@requires(*NURSE)
def scan():
    form = {name: request.form.get(name, "") for name in ("qr_payload", "participant_id")}
    missing = {
        name: [problem]
        for name, problem in (
            ("qr_payload", gettext("scan the bag label")),
            ("participant_id", gettext("scan the participant's wristband")),
        )
        if not form[name].strip()
    }
    if missing:
        # A scanner's Enter with one field still empty: nothing is checked or recorded.
        error = FormRefused(gettext("Scan both the bag label and the wristband"), 422, missing)
        return render_template("ward/scan.html", form=form, error=error), 422
    try:
        match = services.record_scan(
            uow(), g.actor, form["qr_payload"], form["participant_id"],
            qr_key=current_app.config["QR_SIGNING_KEY"],
        )  # fmt: skip
    except DomainError as exc:
        return _stop(exc, form["participant_id"].strip().upper(), exc.extra.get("scan_id"))
    return _match(match)


def _stop(exc: DomainError, participant_id: str, scan_id: str | None = None):  # noqa: ANN202
    return render_template(
        "ward/result.html", verdict="stop", code=exc.code, reason=_stop_reason(exc),
        participant_id=participant_id, scan_id=scan_id,
    ), exc.status  # fmt: skip


def _match(match: dict[str, Any], *, error: Any = None, form: Any = None, status: int = 200):  # noqa: ANN202
    return render_template(
        "ward/result.html", verdict="match", match=match, clock=use_by_clock(match["expires_at"]),
        two_person=_two_person(), error=error, form=form or {},
    ), status  # fmt: skip


@bp.post("/ward/infusions")
@requires(*NURSE)
def start_infusion():
    names = ("bag_id", "participant_id", "note", "cosigner_username", "cosigner_password")
    data = form_data(request.form, names)
    try:
        infusion = services.start_infusion(
            uow(), g.actor, load_form(InfusionStart, data), policy=login_policy(), check_uow=uow()
        )
    except (DomainError, FormRefused) as exc:
        if isinstance(exc, DomainError) and exc.code in STOP_REASONS:
            return _stop(exc, data.get("participant_id", "").upper())
        # The match stands (the bag is as the nurse scanned it): show it again with what went wrong.
        bag = get_bag(reader(), g.actor, data.get("bag_id", ""))
        return _match(_bag_as_match(bag), error=exc, form=request.form, status=exc.status)
    return redirect(url_for("ward_pages.infusion", infusion_id=infusion["infusion_id"]))


def _bag_as_match(bag: dict[str, Any]) -> dict[str, Any]:
    keys = ("bag_id", "participant_id", "randomization_code", "expires_at")
    return {key: bag[key] for key in keys}


@bp.get("/ward/infusions/<infusion_id>")
@requires(*NURSE)
def infusion(infusion_id: str):
    return _infusion_page(services.get_infusion(reader(), infusion_id))


def _infusion_page(infusion: dict[str, Any], *, error: Any = None, status: int = 200):  # noqa: ANN202
    end = infusion["completed_at"] or utcnow()
    return render_template(
        "ward/infusion.html", infusion=infusion, error=error, form=request.form,
        elapsed=hms((end - infusion["started_at"]).total_seconds()),
    ), status  # fmt: skip


@bp.post("/ward/infusions/<infusion_id>/complete")
@requires(*NURSE)
def complete_infusion(infusion_id: str):
    data = form_data(
        request.form, ("completed_at", "volume_infused_ml", "note"), time_fields=("completed_at",)
    )
    data.setdefault("completed_at", utcnow().isoformat())
    try:
        services.complete_infusion(uow(), g.actor, infusion_id, load_form(InfusionEnd, data))
    except NotFound:
        raise
    except (DomainError, FormRefused) as exc:
        return _infusion_page(services.get_infusion(reader(), infusion_id), error=exc, status=exc.status)
    return redirect(url_for("ward_pages.infusion", infusion_id=infusion_id))


# ---- receiving bags --------------------------------------------------------------------------------------


def _scanned_bag_id(raw: str) -> str:
    """The bag a receipt names: the label's signed QR payload, or a bag ID typed from the label."""
    text = raw.strip().upper()
    if not text:
        raise FormRefused(
            gettext("Scan the bag label or type the bag ID"), 422, {"bag": [gettext("required")]}
        )
    if is_bag_id(text):
        return text
    return read_payload(raw, current_app.config["QR_SIGNING_KEY"])  # refuses forged or unreadable labels


def _explained(exc: DomainError) -> FormRefused:
    if exc.code not in RECEIPT_REFUSALS:
        return FormRefused(exc.message, exc.status, exc.details)
    status = exc.details.get("status")
    status = gettext(status) if status else ""
    return FormRefused(gettext(RECEIPT_REFUSALS[exc.code], status=status), exc.status, {})


def _receipt(form: Any) -> dict[str, Any]:
    data = {"action": "receive", **form_data(form, ("location", "temperature_c", "note"))}
    seal = form.get("seal_intact", "")
    if seal not in ("yes", "no"):
        raise FormRefused(
            gettext("Say whether the seal is intact"), 422, {"seal_intact": [gettext("choose yes or no")]}
        )
    data["seal_intact"] = seal == "yes"
    return load_form(HandoffRequest, data)


@bp.route("/ward/receive", methods=["GET", "POST"])
@requires(*NURSE)
def receive():
    error, status, received = None, 200, None
    if request.method == "POST":
        try:
            bag_id = _scanned_bag_id(request.form.get("bag", ""))
            receipt = handoffs.hand_off_bag(uow(), g.actor, bag_id, _receipt(request.form))
            received = {"bag_id": bag_id, **receipt}
        except (DomainError, FormRefused) as exc:
            error, status = (_explained(exc) if isinstance(exc, DomainError) else exc), exc.status
        else:
            session["ward_location"] = received["location"]  # the next bag is most likely received here too
    return render_template(
        "ward/receive.html",
        form=request.form if error else {},
        location=request.form.get("location") if error else session.get("ward_location", ""),
        error=error,
        received=received,
        bags=handoffs.bags_bound_for_the_ward(reader(), g.actor),
        countdown=use_by_clock,
        temperature_required=_transport_range_set(),
    ), status


def _transport_range_set() -> bool:
    study = study_definition(reader())
    return study.transport_min_temperature_c is not None or study.transport_max_temperature_c is not None


# ---- a bag's custody, for the blinded roles --------------------------------------------------------------


def _bag_page(bag_id: str, error: DomainError | FormRefused | None = None) -> str:
    return render_template(
        "ward/bag.html",
        bag=get_bag(reader(), g.actor, bag_id),
        events=handoffs.bag_custody(reader(), g.actor, bag_id),
        countdown=use_by_clock,
        error=error,
        form=request.form if error else {},
    )


@bp.get("/ward/bags/<bag_id>")
@requires(*BAG_READERS)
def bag_page(bag_id: str):
    return _bag_page(bag_id)


# What a nurse may do with a bag from its page; dispatch and receipt have their own pages.
WARD_HANDOFFS = ("return", "destroy")


@bp.post("/ward/bags/<bag_id>/handoff")
@requires(*NURSE)
def bag_handoff(bag_id: str):
    try:
        action = request.form.get("action", "")
        if action not in WARD_HANDOFFS:
            problem = {"action": [gettext("return or destroy")]}
            raise FormRefused(gettext("Choose what to do with the bag"), 422, problem)
        data = {"action": action, **form_data(request.form, ("location", "note", "reason"))}
        handoffs.hand_off_bag(uow(), g.actor, bag_id, load_form(HandoffRequest, data))
    except (DomainError, FormRefused) as exc:
        return _bag_page(bag_id, exc), exc.status
    return redirect(url_for("ward_pages.bag_page", bag_id=bag_id))
