"""Pages for the GMP lab, QA and the pharmacy: lot list, lot page, new lot, QC entry, the signing page,
the freezer-box map with container discards (and the kit issue forms, which post to the stock pages), and the
certificate. Containers appear as the reader may see them (tracker.blinding)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext

from tracker.errors import DomainError
from tracker.lots import containers, creation, follow_up, qc, records, release, rules
from tracker.lots.responses import certificate_words, pdf_response
from tracker.lots.schemas import HandoffIn, LotCreate, QcResultIn, RecallIn, RejectIn, ReleaseIn
from tracker.studies.definition import MATERIALS
from tracker.studies.services import study_definition
from tracker.text import control_character_problems
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
    lots = records.list_lots(reader(), g.actor, status=status)
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
            lot = creation.create_lot(uow(), g.actor, load_form(LotCreate, data))
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
    lot = records.get_lot(reader(), g.actor, lot_number)
    recorded = request.args.get("recorded", "")
    # What the lot touched, as this reader may see it, once a late result failed.
    failed = any(f["state"] == "failed" for f in lot["follow_ups"])
    affected = follow_up.affected(reader(), g.actor, lot_number) if failed else None
    return render_template(
        "lots/detail.html", lot=lot, recorded=int(recorded) if recorded.isdigit() else 0, affected=affected
    )


# The QC form's field of a test: one input per test the study defines for the lot's material.
RESULT_FIELD = "result-{test}"


def _qc_rows(specs: tuple[Any, ...], lot: dict[str, Any], typed: Any, details: dict) -> list[dict[str, Any]]:
    """One row per test: its spec, the latest result, what was typed, its problem and the server's verdict."""
    latest = {line["test"]: line for line in lot["qc_summary"]}
    rows = []
    for spec in specs:
        value = (typed.get(RESULT_FIELD.format(test=spec.test)) or "").strip()
        problem = details.get(spec.test) if isinstance(details, dict) else None
        verdict = None
        if value and not problem:
            verdict = "pass" if rules.result_passes(spec, value) else "fail"
        rows.append(
            {"spec": spec, "field": RESULT_FIELD.format(test=spec.test), "value": value, "problem": problem,
             "verdict": verdict, "latest": latest.get(spec.test)}
        )  # fmt: skip
    return rows


@bp.route("/lots/<lot_number>/qc", methods=["GET", "POST"])
@requires("gmp")
def qc_entry(lot_number: str):
    """All results of a lot on one form against the spec; a form naming one `test` (a correction) is one."""
    lot = records.get_lot(reader(), g.actor, lot_number)
    specs = study_definition(reader()).qc_tests.get(lot["material"], ())
    if lot["status"] != "quarantine" and lot["results_pending"]:
        specs = tuple(s for s in specs if s.test in lot["results_pending"])  # the late results only
    error, details, status = None, {}, 200
    if request.method == "POST":
        try:
            if request.form.get("test"):
                data = _form_data(request.form, ("test", "value", "corrects", "reason"))
                body = load_form(QcResultIn, data)
                qc.record_qc_result(
                    uow(), g.actor, lot_number, body["test"], body["value"],
                    corrects=body.get("corrects"), reason=body.get("reason"),
                )  # fmt: skip
                recorded = 1
            else:
                typed = {
                    s.test: (request.form.get(RESULT_FIELD.format(test=s.test)) or "").strip() for s in specs
                }
                values = {test: value for test, value in typed.items() if value}  # an empty row is skipped
                problems = control_character_problems(values)
                if problems:
                    raise FormRefused(gettext("Some values are not valid results: nothing was recorded"), 422,
                                      problems)  # fmt: skip
                recorded = len(qc.record_qc_results(uow(), g.actor, lot_number, values))
        except (DomainError, FormRefused) as exc:
            error, status, details = refusal(exc)
            if getattr(exc, "code", None) == "invalid_qc_value":
                error = gettext("Some values are not valid results: nothing was recorded")
            elif getattr(exc, "code", None) == "no_qc_results":
                error, details = gettext("Enter at least one result: every field was empty"), {}
        else:
            return redirect(url_for("lots_pages.lot_page", lot_number=lot["lot_number"], recorded=recorded))
    form = request.form if request.method == "POST" else {}
    return render_template(
        "lots/qc.html", lot=lot, specs=specs, rows=_qc_rows(specs, lot, form, details), form=form,
        error=error, details=details, correcting=bool(form.get("test")),
    ), status  # fmt: skip


_SIGN_SCHEMAS = {"release": ReleaseIn, "reject": RejectIn, "recall": RecallIn}


def _check_meaning(meanings: tuple[str, ...], action: str, meaning: str | None) -> str:
    """The meaning signed: one the study defines for the action (a release names it; a rejection or recall
    without one takes the first)."""
    if meaning is None and action != "release":
        return meanings[0]
    if meaning not in meanings:
        raise FormRefused(
            gettext("Choose the meaning of your signature"), 422, {"meaning": [gettext("choose one meaning")]}
        )
    return meaning


@bp.route("/lots/<lot_number>/sign", methods=["GET", "POST"])
@requires("qa")
def sign(lot_number: str):
    lot = records.get_lot(reader(), g.actor, lot_number)
    meanings = study_definition(reader()).signature_meanings
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
            meaning = _check_meaning(meanings[action], action, body.get("meaning"))
            if action == "release":
                release.release_lot(uow(), g.actor, lot_number, body["password"], meaning, login_policy())
            else:
                signer = release.reject_lot if action == "reject" else release.recall_lot
                signer(
                    uow(),
                    g.actor,
                    lot_number,
                    body["password"],
                    body["reason"],
                    login_policy(),
                    meaning,
                )
        except (DomainError, FormRefused) as exc:
            error, status, details = refusal(exc)
        else:
            return redirect(url_for("lots_pages.lot_page", lot_number=lot["lot_number"]))
    return render_template(
        "lots/sign.html", lot=lot, form=request.form, action=action, error=error, details=details,
        meanings=meanings,
    ), status  # fmt: skip


@bp.get("/lots/<lot_number>/boxes")
@requires(*READERS)
def box_map(lot_number: str):
    return _render_boxes(lot_number)


def _render_boxes(lot_number: str, error: str | None = None, details: dict | None = None, status: int = 200):
    maps = records.box_maps(reader(), g.actor, lot_number)
    lot = records.get_lot(reader(), g.actor, lot_number)
    # The kit issue forms (they post to the stock pages) for those who issue.
    choices = containers.issue_choices(reader(), g.actor) if g.actor.role in ISSUERS else None
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
        containers.handoff_container(
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
        *records.certificate_pdf(
            reader(), g.actor, lot_number, site=current_app.config["SITE_NAME"], words=certificate_words()
        )
    )
