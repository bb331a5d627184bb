"""Pharmacy pages: worklist with each participant's next step, thaw, worksheet and preparation (the form of
the code's arm), the bag with its label, dispatch to the ward, void and destruction behind a confirmation, the
decision on a quarantined bag, its custody timeline, and live countdowns of the thaw window and the use-by."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext

from tracker.custody.schemas import HandoffRequest, QuarantineDecision
from tracker.errors import DomainError, NotFound
from tracker.lots.records import list_lots
from tracker.pharmacy import bags, handoffs, preparation
from tracker.pharmacy.responses import label_response, send_label, sheet_response
from tracker.pharmacy.schemas import PrepareRequest, SendRequest, VoidRequest
from tracker.stock.services import in_stock_by_lot
from tracker.thaws import services as thaws
from tracker.thaws.schemas import ThawRequest
from tracker.translation import N_
from tracker.web.context import login_policy, reader, uow
from tracker.web.countdown import countdown
from tracker.web.forms import FormRefused, form_data, load_form
from tracker.web.guard import requires
from tracker.web.pages import WORKSPACES

bp = Blueprint("pharmacy_pages", __name__)
WORKSPACES.append(
    (N_("Pharmacy: worklist, thaw, prepare and print"), "pharmacy_pages.worklist", ("pharmacist",))
)

PHARMACIST = ("pharmacist",)

# The pharmacy's clocks warn sooner than the ward's: a thaw has 60 minutes, a bag 2 hours.
CLOCK_AMBER, CLOCK_RED = dt.timedelta(minutes=15), dt.timedelta(minutes=5)
CLOCK_EXPIRED = {
    "thaw": N_("Window closed: prepare no bag from this thaw"),
    "use_by": N_("Expired: do not dispatch or infuse"),
}
# A void or destruction is confirmed by typing the bag's ID into this field.
CONFIRM_FIELD = "confirm_bag_id"
# What the bag page confirms after a redirect (?done=...).
DONE = ("prepared", "dispatched")


def clock(until: dt.datetime, kind: str) -> dict[str, Any]:
    """The pharmacy's countdown of `kind` ("thaw" or "use_by"): it carries its thresholds and words."""
    return countdown(until, amber=CLOCK_AMBER, red=CLOCK_RED, expired=CLOCK_EXPIRED[kind], carried=True)


@bp.context_processor
def _clocks() -> dict[str, Any]:
    return {"pharmacy_clock": clock}


def _next_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each waiting participant's next step (preparation.next_steps) with the page it is taken on."""
    for person in steps:
        code = person["randomization_code"]
        if person["step"] == "thaw":
            person["url"] = url_for("pharmacy_pages.thaw", code=code)
        else:
            person["url"] = url_for("pharmacy_pages.prepare", code=code, thaw_id=person.get("thaw_id"))
    return steps


@bp.get("/pharmacy")
@requires(*PHARMACIST)
def worklist():
    open_thaws = thaws.list_open_thaws(reader())
    return render_template(
        "pharmacy/worklist.html",
        waiting=_next_steps(preparation.next_steps(reader(), g.actor, open_thaws)),
        thaws=open_thaws,
        bags=bags.list_bags(reader(), g.actor)[:50],
    )


@bp.route("/pharmacy/thaw", methods=["GET", "POST"])
@requires(*PHARMACIST)
def thaw():
    # The code the worklist sent us for: once the thaw is usable, its worksheet is the next step.
    code = (request.values.get("code") or "").strip() or None
    error, status, thawed = None, 200, None
    if request.method == "POST":
        data = form_data(request.form, tuple(ThawRequest().fields), time_fields=("thawed_at",))
        try:
            thawed = thaws.record_thaw(uow(), g.actor, load_form(ThawRequest, data))
        except (DomainError, FormRefused) as exc:
            error, status = exc, exc.status
    return render_template(
        "pharmacy/thaw.html", form=request.form, error=error, thawed=thawed, code=code
    ), status


@bp.route("/pharmacy/prepare/<code>", methods=["GET", "POST"])
@requires(*PHARMACIST)
def prepare(code: str):
    thaw_id = request.values.get("thaw_id") or None
    error, status, plan, needs_thaw = None, 200, None, False
    allocated = preparation.code_allocation(reader(), g.actor, code)  # an unknown code is the error page
    code, arm, material = allocated["randomization_code"], allocated["arm"], allocated["material"]
    try:
        plan = preparation.dose_plan(reader(), g.actor, code, thaw_id)
    except NotFound:
        raise  # an unknown code or thaw is the error page, not a worksheet
    except DomainError as exc:
        needs_thaw = exc.code == "thaw_required"  # not a mistake: the next step, shown as such
        if request.method == "GET" and not needs_thaw:
            error = exc  # shown on the worksheet; the page itself is fine
    if request.method == "POST":
        names = tuple(PrepareRequest().fields)
        data = {"randomization_code": code, **form_data(request.form, names, time_fields=("prepared_at",))}
        try:
            bag = preparation.prepare_dose(
                uow(), g.actor, load_form(PrepareRequest, data), qr_key=current_app.config["QR_SIGNING_KEY"],
                policy=login_policy(), witness_uow=uow(),
            )  # fmt: skip
        except (DomainError, FormRefused) as exc:
            error, status = exc, exc.status
        else:
            return redirect(url_for("pharmacy_pages.bag_page", bag_id=bag["bag_id"], done="prepared"))
    active = material == preparation.ACTIVE_MATERIAL
    open_thaws = thaws.list_open_thaws(reader()) if active else []
    return render_template(
        "pharmacy/prepare.html",
        code=code,
        arm=arm,
        active=active,
        plan=plan,
        thaw_id=thaw_id,
        thaw=next((t for t in open_thaws if t["thaw_id"] == thaw_id), None),
        needs_thaw=needs_thaw,
        thaws=open_thaws,
        vehicle_lots=[]
        if active
        else [
            lot
            for lot in list_lots(reader(), g.actor, status="released", material="placebo")
            if lot["usable"]
        ],
        in_stock={} if active else in_stock_by_lot(reader()),
        form=request.form,
        error=error,
    ), status


def _bag_page(bag_id: str, error: DomainError | FormRefused | None = None, **shown: Any) -> str:
    return render_template(
        "pharmacy/bag.html",
        bag=bags.get_bag(reader(), g.actor, bag_id),
        events=handoffs.bag_custody(reader(), g.actor, bag_id),
        error=error,
        printer=current_app.config.get("LABEL_PRINTER"),
        form=request.form if request.method == "POST" else {},
        **shown,
    )


@bp.get("/pharmacy/bags/<bag_id>")
@requires(*PHARMACIST)
def bag_page(bag_id: str):
    done = request.args.get("done")
    return _bag_page(bag_id, sent=request.args.get("sent") == "1", done=done if done in DONE else None)


@bp.get("/pharmacy/bags/<bag_id>/label.pdf")
@requires(*PHARMACIST)
def label_pdf(bag_id: str):
    return label_response(bag_id, "pdf", request.args.get("reason"))


@bp.get("/pharmacy/bags/<bag_id>/label.zpl")
@requires(*PHARMACIST)
def label_zpl(bag_id: str):
    return label_response(bag_id, "zpl", request.args.get("reason"))


@bp.get("/pharmacy/labels/sheet.pdf")
@requires(*PHARMACIST)
def label_sheet():
    return sheet_response(request.args.getlist("bag_id"), request.args.get("reason"))


@bp.post("/pharmacy/bags/<bag_id>/label/send")
@requires(*PHARMACIST)
def send_to_printer(bag_id: str):
    try:
        body = load_form(SendRequest, form_data(request.form, ("reason",)))
        send_label(bag_id, body.get("reason"))
    except NotFound:
        raise  # an unknown bag is the error page
    except (DomainError, FormRefused) as exc:
        return _bag_page(bag_id, exc), exc.status
    return redirect(url_for("pharmacy_pages.bag_page", bag_id=bag_id, sent=1))


def _check_confirmed(bag_id: str) -> None:
    """A void or destruction cannot be undone: typing the bag's ID says this bag, on purpose."""
    typed = (request.form.get(CONFIRM_FIELD) or "").strip().upper()
    if typed != bag_id.strip().upper():
        raise FormRefused(
            gettext("Nothing was done: type the bag ID to confirm"),
            422,
            {CONFIRM_FIELD: [gettext("type %(bag_id)s exactly as on the label", bag_id=bag_id.upper())]},
        )


@bp.post("/pharmacy/bags/<bag_id>/void")
@requires(*PHARMACIST)
def void(bag_id: str):
    try:
        body = load_form(VoidRequest, form_data(request.form, ("reason",)))
        _check_confirmed(bag_id)
        bags.void_bag(uow(), g.actor, bag_id, body["reason"])
    except (DomainError, FormRefused) as exc:
        return _bag_page(bag_id, exc, danger="void"), exc.status
    return redirect(url_for("pharmacy_pages.bag_page", bag_id=bag_id))


def _hand_off(  # noqa: ANN202
    bag_id: str, action: str, fields: tuple[str, ...], *, confirm: bool = False, done: str | None = None
):
    try:
        data = {"action": action, **form_data(request.form, fields)}
        body = load_form(HandoffRequest, data)
        if confirm:
            _check_confirmed(bag_id)
        handoffs.hand_off_bag(uow(), g.actor, bag_id, body)
    except (DomainError, FormRefused) as exc:
        return _bag_page(bag_id, exc, danger=action if confirm else None), exc.status
    return redirect(url_for("pharmacy_pages.bag_page", bag_id=bag_id, done=done))


@bp.post("/pharmacy/bags/<bag_id>/dispatch")
@requires(*PHARMACIST)
def dispatch(bag_id: str):
    return _hand_off(bag_id, "dispatch", ("location", "note"), done="dispatched")


@bp.post("/pharmacy/bags/<bag_id>/destroy")
@requires(*PHARMACIST)
def destroy(bag_id: str):
    return _hand_off(bag_id, "destroy", ("location", "reason"), confirm=True)


@bp.post("/pharmacy/bags/<bag_id>/quarantine")
@requires(*PHARMACIST)
def decide_quarantine(bag_id: str):
    try:
        body = load_form(QuarantineDecision, form_data(request.form, ("decision", "reason")))
        handoffs.decide_quarantine(uow(), g.actor, bag_id, body["decision"], body["reason"])
    except (DomainError, FormRefused) as exc:
        return _bag_page(bag_id, exc), exc.status
    return redirect(url_for("pharmacy_pages.bag_page", bag_id=bag_id))
