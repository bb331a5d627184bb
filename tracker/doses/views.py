"""Pharmacy pages: worklist, thaw, worksheet and preparation, the bag with its label, reprint and void, its
dispatch to the ward, the decision on a quarantined bag, and its custody timeline."""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from tracker.custody import bags
from tracker.custody.schemas import HandoffRequest, QuarantineDecision
from tracker.doses import services
from tracker.doses.api import label_response, send_label, sheet_response
from tracker.doses.schemas import PrepareRequest, SendRequest, VoidRequest
from tracker.errors import DomainError, NotFound
from tracker.lots.services import list_lots
from tracker.stock.services import in_stock_by_lot
from tracker.thaws import services as thaws
from tracker.thaws.schemas import ThawRequest
from tracker.translation import N_
from tracker.web.context import login_policy, reader, uow
from tracker.web.forms import FormRefused, form_data, load_form
from tracker.web.guard import requires
from tracker.web.pages import WORKSPACES

bp = Blueprint("pharmacy_pages", __name__)
WORKSPACES.append(
    (N_("Pharmacy: worklist, thaw, prepare and print"), "pharmacy_pages.worklist", ("pharmacist",))
)

PHARMACIST = ("pharmacist",)


@bp.get("/pharmacy")
@requires(*PHARMACIST)
def worklist():
    return render_template(
        "pharmacy/worklist.html",
        waiting=services.worklist(reader()),
        thaws=thaws.list_open_thaws(reader()),
        bags=services.list_bags(reader(), g.actor)[:50],
    )


@bp.route("/pharmacy/thaw", methods=["GET", "POST"])
@requires(*PHARMACIST)
def thaw():
    error, status, thawed = None, 200, None
    if request.method == "POST":
        data = form_data(request.form, tuple(ThawRequest().fields), time_fields=("thawed_at",))
        try:
            thawed = thaws.record_thaw(uow(), g.actor, load_form(ThawRequest, data))
        except (DomainError, FormRefused) as exc:
            error, status = exc, exc.status
    return render_template("pharmacy/thaw.html", form=request.form, error=error, thawed=thawed), status


@bp.route("/pharmacy/prepare/<code>", methods=["GET", "POST"])
@requires(*PHARMACIST)
def prepare(code: str):
    thaw_id = request.values.get("thaw_id") or None
    error, status, plan, needs_thaw = None, 200, None, False
    try:
        plan = services.dose_plan(reader(), g.actor, code, thaw_id)
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
            bag = services.prepare_dose(
                uow(), g.actor, load_form(PrepareRequest, data), qr_key=current_app.config["QR_SIGNING_KEY"],
                policy=login_policy(), witness_uow=uow(),
            )  # fmt: skip
        except (DomainError, FormRefused) as exc:
            error, status = exc, exc.status
        else:
            return redirect(url_for("pharmacy_pages.bag_page", bag_id=bag["bag_id"]))
    return render_template(
        "pharmacy/prepare.html",
        code=code.upper(),
        plan=plan,
        thaw_id=thaw_id,
        needs_thaw=needs_thaw,
        thaws=thaws.list_open_thaws(reader()),
        vehicle_lots=[
            lot
            for lot in list_lots(reader(), g.actor, status="released", material="placebo")
            if lot["usable"]
        ],
        in_stock=in_stock_by_lot(reader()),
        form=request.form,
        error=error,
    ), status


def _bag_page(bag_id: str, error: DomainError | FormRefused | None = None, sent: bool = False) -> str:
    return render_template(
        "pharmacy/bag.html",
        bag=services.get_bag(reader(), g.actor, bag_id),
        events=bags.bag_custody(reader(), g.actor, bag_id),
        error=error,
        sent=sent,
        printer=current_app.config.get("LABEL_PRINTER"),
    )


@bp.get("/pharmacy/bags/<bag_id>")
@requires(*PHARMACIST)
def bag_page(bag_id: str):
    return _bag_page(bag_id, sent=request.args.get("sent") == "1")


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


@bp.post("/pharmacy/bags/<bag_id>/void")
@requires(*PHARMACIST)
def void(bag_id: str):
    try:
        body = load_form(VoidRequest, form_data(request.form, ("reason",)))
        services.void_bag(uow(), g.actor, bag_id, body["reason"])
    except (DomainError, FormRefused) as exc:
        return _bag_page(bag_id, exc), exc.status
    return redirect(url_for("pharmacy_pages.bag_page", bag_id=bag_id))


def _hand_off(bag_id: str, action: str, fields: tuple[str, ...]):  # noqa: ANN202
    try:
        data = {"action": action, **form_data(request.form, fields)}
        bags.hand_off_bag(uow(), g.actor, bag_id, load_form(HandoffRequest, data))
    except (DomainError, FormRefused) as exc:
        return _bag_page(bag_id, exc), exc.status
    return redirect(url_for("pharmacy_pages.bag_page", bag_id=bag_id))


@bp.post("/pharmacy/bags/<bag_id>/dispatch")
@requires(*PHARMACIST)
def dispatch(bag_id: str):
    return _hand_off(bag_id, "dispatch", ("location", "note"))


@bp.post("/pharmacy/bags/<bag_id>/destroy")
@requires(*PHARMACIST)
def destroy(bag_id: str):
    return _hand_off(bag_id, "destroy", ("location", "reason"))


@bp.post("/pharmacy/bags/<bag_id>/quarantine")
@requires(*PHARMACIST)
def decide_quarantine(bag_id: str):
    try:
        body = load_form(QuarantineDecision, form_data(request.form, ("decision", "reason")))
        bags.decide_quarantine(uow(), g.actor, bag_id, body["decision"], body["reason"])
    except (DomainError, FormRefused) as exc:
        return _bag_page(bag_id, exc), exc.status
    return redirect(url_for("pharmacy_pages.bag_page", bag_id=bag_id))
