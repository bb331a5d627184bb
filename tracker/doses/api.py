"""Pharmacy routes: dose plan, preparation, bags, void and blinded labels."""

from flask import Response, current_app, g

from tracker.config import parse_printer
from tracker.doses import services
from tracker.doses.schemas import (
    BagBlinded,
    BagList,
    BagUnblinded,
    DosePlan,
    LabelQuery,
    LabelSent,
    PlanQuery,
    PrepareRequest,
    SendRequest,
    SheetQuery,
    VoidRequest,
    Worklist,
)
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import login_policy, reader, uow

bp = api_blueprint("doses_api", __name__)


@endpoint(bp, "/doses/plan", "GET", roles=("pharmacist",), summary="The worksheet for a randomization code",
          query=PlanQuery, answers={200: DosePlan})  # fmt: skip
def dose_plan(query: dict):
    plan = services.dose_plan(reader(), g.actor, query["randomization_code"], query.get("thaw_id"))
    return answer(DosePlan(), plan)


@endpoint(bp, "/doses/worklist", "GET", roles=("pharmacist",),
          summary="Randomized participants without a bag", answers={200: Worklist})  # fmt: skip
def worklist():
    return answer(Worklist(), {"items": services.worklist(reader())})


@endpoint(bp, "/doses", "POST", roles=("pharmacist",), summary="Prepare the bag for a randomization code",
          body=PrepareRequest, answers={201: BagUnblinded})  # fmt: skip
def prepare_dose(body: dict):
    bag = services.prepare_dose(
        uow(),
        g.actor,
        body,
        qr_key=current_app.config["QR_SIGNING_KEY"],
        policy=login_policy(),
        witness_uow=uow(),
    )
    return answer(BagUnblinded(), bag, 201)


@endpoint(bp, "/bags", "GET", roles=("pharmacist",), summary="Recent bags", answers={200: BagList})
def list_bags():
    return answer(BagList(), {"items": services.list_bags(reader(), g.actor)})


@endpoint(bp, "/bags/<bag_id>", "GET", roles=("pharmacist", "nurse", "investigator"),
          summary="A bag as the caller's role may see it",
          answers={200: {"oneOf": [BagBlinded, BagUnblinded]}})  # fmt: skip
def get_bag(bag_id: str):
    bag = services.get_bag(reader(), g.actor, bag_id)
    return answer(BagUnblinded() if g.actor.unblinded else BagBlinded(), bag)


@endpoint(bp, "/bags/<bag_id>/void", "POST", roles=("pharmacist",), summary="Void a bag", body=VoidRequest,
          answers={200: BagUnblinded})  # fmt: skip
def void_bag(bag_id: str, body: dict):
    return answer(BagUnblinded(), services.void_bag(uow(), g.actor, bag_id, body["reason"]))


def label_response(bag_id: str, label_format: str, reason: str | None) -> Response:
    """Print (and count) a bag's label and answer it as a file; shared with the pharmacy pages."""
    bag_id, rendered = services.print_label(
        uow(), g.actor, bag_id, label_format, reason, time_zone=current_app.config["SITE_TIMEZONE"]
    )
    mimetype = "application/pdf" if label_format == "pdf" else "application/zpl"
    response = Response(rendered, mimetype=mimetype)
    # The file name carries the bag ID only: nothing that could differ between the arms.
    response.headers["Content-Disposition"] = f"inline; filename=label-{bag_id}.{label_format}"
    return response


@endpoint(bp, "/bags/<bag_id>/label.pdf", "GET", roles=("pharmacist",), summary="The blinded label (PDF)",
          query=LabelQuery, answers={200: "application/pdf"})  # fmt: skip
def label_pdf(bag_id: str, query: dict):
    return label_response(bag_id, "pdf", query.get("reason"))


@endpoint(bp, "/bags/<bag_id>/label.zpl", "GET", roles=("pharmacist",), summary="The blinded label (ZPL)",
          query=LabelQuery, answers={200: "application/zpl"})  # fmt: skip
def label_zpl(bag_id: str, query: dict):
    return label_response(bag_id, "zpl", query.get("reason"))


def sheet_response(bag_ids: list[str], reason: str | None) -> Response:
    """Print (and count) the labels of many bags on A4 sheets; shared with the pharmacy pages."""
    rendered = services.print_sheet(
        uow(), g.actor, bag_ids, reason, time_zone=current_app.config["SITE_TIMEZONE"]
    )
    response = Response(rendered, mimetype="application/pdf")
    response.headers["Content-Disposition"] = "inline; filename=labels.pdf"
    return response


@endpoint(bp, "/labels/sheet.pdf", "GET", roles=("pharmacist",),
          summary="An A4 sheet of the blinded labels of many bags (?bag_id=...&bag_id=...)",
          query=SheetQuery, answers={200: "application/pdf"})  # fmt: skip
def label_sheet(query: dict):
    return sheet_response(query["bag_id"], query.get("reason"))


def configured_printer() -> tuple[str, int] | None:
    setting = current_app.config.get("LABEL_PRINTER")
    return parse_printer(setting) if setting else None


def send_label(bag_id: str, reason: str | None) -> dict:
    """Send a bag's ZPL label to the configured printer; shared with the pharmacy pages."""
    return services.send_label(
        uow(), g.actor, bag_id, reason, printer=configured_printer(),
        time_zone=current_app.config["SITE_TIMEZONE"],
        timeout=current_app.config.get("LABEL_PRINTER_TIMEOUT", 5.0),
    )  # fmt: skip


@endpoint(bp, "/bags/<bag_id>/label/send", "POST", roles=("pharmacist",),
          summary="Send the blinded label (ZPL) to the configured label printer", body=SendRequest,
          body_required=False, answers={200: LabelSent})  # fmt: skip
def send_label_to_printer(bag_id: str, body: dict):
    return answer(LabelSent(), send_label(bag_id, body.get("reason")))
