"""Pages for the GMP lab, QA and the pharmacy: lot list, lot page, new lot, QC entry, the signing page,
the freezer-box map with container discards (and the kit issue forms, which post to the stock pages), and the
certificate. Containers appear as the reader may see them (tracker.blinding)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext

from tracker.errors import DomainError
from tracker.lots import rules, services
from tracker.lots.api import pdf_response
from tracker.lots.schemas import HandoffIn, LotCreate, QcResultIn, RecallIn, RejectIn, ReleaseIn
from tracker.studies.definition import MATERIALS
from tracker.studies.services import current_study
from tracker.translation import N_
from tracker.web.context import login_policy, reader, uow
from tracker.web.forms import FormRefused, form_data, load_form, refusal
from tracker.web.guard import requires
from tracker.web.pages import WORKSPACES

bp = Blueprint("lots_pages", __name__)

READERS = ("gmp", "qa", "pharmacist")
ISSUERS = ("gmp", "pharmacist")
WORKSPACES.extend(
    [
        (N_("Lots, QC results and release"), "lots_pages.lot_list", READERS),
        (N_("Register a new lot"), "lots_pages.new_lot", ("gmp",)),
    ]
)

_TIME_FIELDS = ("manufactured_at", "expires_at", "at")
_INTEGER_FIELDS = ("container_count", "passage", "corrects")
_STORAGE_FIELDS = ("freezer", "rack", "box")


def _form_data(form: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return form_data(form, names, time_fields=_TIME_FIELDS, integer_fields=_INTEGER_FIELDS)


@bp.get("/lots")
@requires(*READERS)
def lot_list():
    status = request.args.get("status") or None
    if status not in (None, *rules.LOT_STATUSES):
        status = None
    lots = services.list_lots(reader(), g.actor, status=status)
    return render_template("lots/list.html", lots=lots, status=status, statuses=rules.LOT_STATUSES)


@bp.route("/lots/new", methods=["GET", "POST"])
@requires("gmp")
def new_lot():
    error, details, status = None, {}, 200
    if request.method == "POST":
        names = tuple(LotCreate().fields) + _STORAGE_FIELDS
        data = _form_data(request.form, names)
        storage = {k: data.pop(k) for k in _STORAGE_FIELDS if k in data}
        if storage:
            data["storage"] = storage
        try:
            lot = services.create_lot(uow(), g.actor, load_form(LotCreate, data))
        except (DomainError, FormRefused) as exc:
            error, status, details = refusal(exc)
        else:
            return redirect(url_for("lots_pages.lot_page", lot_number=lot["lot_number"]))
    return render_template(
        "lots/new.html", form=request.form, error=error, details=details, materials=MATERIALS
    ), status


@bp.get("/lots/<lot_number>")
@requires(*READERS)
def lot_page(lot_number: str):
    lot = services.get_lot(reader(), g.actor, lot_number)
    return render_template("lots/detail.html", lot=lot)


@bp.route("/lots/<lot_number>/qc", methods=["GET", "POST"])
@requires("gmp")
def qc_entry(lot_number: str):
    lot = services.get_lot(reader(), g.actor, lot_number)
    with reader() as work:
        specs = current_study(work.session).qc_tests.get(lot["material"], ())
    error, details, status = None, {}, 200
    if request.method == "POST":
        data = _form_data(request.form, ("test", "value", "corrects", "reason"))
        try:
            body = load_form(QcResultIn, data)
            services.record_qc_result(
                uow(), g.actor, lot_number, body["test"], body["value"],
                corrects=body.get("corrects"), reason=body.get("reason"),
            )  # fmt: skip
        except (DomainError, FormRefused) as exc:
            error, status, details = refusal(exc)
        else:
            return redirect(url_for("lots_pages.lot_page", lot_number=lot["lot_number"]))
    return render_template(
        "lots/qc.html", lot=lot, specs=specs, form=request.form, error=error, details=details
    ), status


_SIGN_SCHEMAS = {"release": ReleaseIn, "reject": RejectIn, "recall": RecallIn}


@bp.route("/lots/<lot_number>/sign", methods=["GET", "POST"])
@requires("qa")
def sign(lot_number: str):
    lot = services.get_lot(reader(), g.actor, lot_number)
    error, details, status = None, {}, 200
    action = request.form.get("action", "")
    if request.method == "POST":
        try:
            if action not in _SIGN_SCHEMAS:
                raise FormRefused(
                    gettext("Choose release, reject or recall"), 422, {"action": [gettext("unknown action")]}
                )
            fields = _form_data(request.form, ("password", "meaning", "reason"))
            body = load_form(_SIGN_SCHEMAS[action], fields)
            if action == "release":
                services.release_lot(
                    uow(), g.actor, lot_number, body["password"], body["meaning"], login_policy()
                )
            else:
                signer = services.reject_lot if action == "reject" else services.recall_lot
                signer(
                    uow(),
                    g.actor,
                    lot_number,
                    body["password"],
                    body["reason"],
                    login_policy(),
                    body.get("meaning"),
                )
        except (DomainError, FormRefused) as exc:
            error, status, details = refusal(exc)
        else:
            return redirect(url_for("lots_pages.lot_page", lot_number=lot["lot_number"]))
    return render_template(
        "lots/sign.html", lot=lot, form=request.form, action=action, error=error, details=details,
        defaults=rules.DEFAULT_MEANINGS,
    ), status  # fmt: skip


@bp.get("/lots/<lot_number>/boxes")
@requires(*READERS)
def box_map(lot_number: str):
    return _render_boxes(lot_number)


def _render_boxes(lot_number: str, error: str | None = None, details: dict | None = None, status: int = 200):
    maps = services.box_maps(reader(), g.actor, lot_number)
    lot = services.get_lot(reader(), g.actor, lot_number)
    # The kit issue forms (they post to the stock pages) for those who issue.
    choices = services.issue_choices(reader(), g.actor) if g.actor.role in ISSUERS else None
    return render_template(
        "lots/boxes.html", maps=maps, lot=lot, columns=range(1, rules.BOX_COLUMNS + 1),
        error=error, details=details or {}, form=request.form, choices=choices,
    ), status  # fmt: skip


@bp.post("/lots/<lot_number>/handoff")
@requires(*ISSUERS)
def container_handoff(lot_number: str):
    data = _form_data(request.form, ("container_id", "action", "location", "note"))
    container_id = data.pop("container_id", "")
    try:
        body = load_form(HandoffIn, data)
        services.handoff_container(
            uow(), g.actor, container_id, body["action"], body["location"], note=body.get("note")
        )
    except (DomainError, FormRefused) as exc:
        message, status, details = refusal(exc)
        return _render_boxes(lot_number, message, details, status)
    return redirect(url_for("lots_pages.box_map", lot_number=lot_number))


@bp.get("/lots/<lot_number>/certificate.pdf")
@requires(*READERS)
def certificate(lot_number: str):
    return pdf_response(
        *services.certificate_pdf(reader(), g.actor, lot_number, site=current_app.config["SITE_NAME"])
    )
