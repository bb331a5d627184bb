"""Pharmacy routes: dose plan, preparation, bags, void and blinded labels."""

from flask import current_app, g

from tracker.pharmacy import bags, preparation
from tracker.pharmacy.responses import label_response, send_label, sheet_response
from tracker.pharmacy.schemas import (
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
    plan = preparation.dose_plan(reader(), g.actor, query["randomization_code"], query.get("thaw_id"))
    return answer(DosePlan(), plan)


@endpoint(bp, "/doses/worklist", "GET", roles=("pharmacist",),
          summary="Randomized participants without a bag", answers={200: Worklist})  # fmt: skip
def worklist():
    return answer(Worklist(), {"items": preparation.worklist(reader())})


@endpoint(bp, "/doses", "POST", roles=("pharmacist",), summary="Prepare the bag for a randomization code",
          body=PrepareRequest, answers={201: BagUnblinded})  # fmt: skip
def prepare_dose(body: dict):
    bag = preparation.prepare_dose(
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
    return answer(BagList(), {"items": bags.list_bags(reader(), g.actor)})


@endpoint(bp, "/bags/<bag_id>", "GET", roles=("pharmacist", "nurse", "investigator"),
          summary="A bag as the caller's role may see it",
          answers={200: {"oneOf": [BagBlinded, BagUnblinded]}})  # fmt: skip
def get_bag(bag_id: str):
    bag = bags.get_bag(reader(), g.actor, bag_id)
    return answer(BagUnblinded() if g.actor.unblinded else BagBlinded(), bag)


@endpoint(bp, "/bags/<bag_id>/void", "POST", roles=("pharmacist",), summary="Void a bag", body=VoidRequest,
          answers={200: BagUnblinded})  # fmt: skip
def void_bag(bag_id: str, body: dict):
    return answer(BagUnblinded(), bags.void_bag(uow(), g.actor, bag_id, body["reason"]))


@endpoint(bp, "/bags/<bag_id>/label.pdf", "GET", roles=("pharmacist",), summary="The blinded label (PDF)",
          query=LabelQuery, answers={200: "application/pdf"})  # fmt: skip
def label_pdf(bag_id: str, query: dict):
    return label_response(bag_id, "pdf", query.get("reason"))


@endpoint(bp, "/bags/<bag_id>/label.zpl", "GET", roles=("pharmacist",), summary="The blinded label (ZPL)",
          query=LabelQuery, answers={200: "application/zpl"})  # fmt: skip
def label_zpl(bag_id: str, query: dict):
    return label_response(bag_id, "zpl", query.get("reason"))


@endpoint(bp, "/labels/sheet.pdf", "GET", roles=("pharmacist",),
          summary="An A4 sheet of the blinded labels of many bags (?bag_id=...&bag_id=...)",
          query=SheetQuery, answers={200: "application/pdf"})  # fmt: skip
def label_sheet(query: dict):
    return sheet_response(query["bag_id"], query.get("reason"))


@endpoint(bp, "/bags/<bag_id>/label/send", "POST", roles=("pharmacist",),
          summary="Send the blinded label (ZPL) to the configured label printer", body=SendRequest,
          body_required=False, answers={200: LabelSent})  # fmt: skip
def send_label_to_printer(bag_id: str, body: dict):
    return answer(LabelSent(), send_label(bag_id, body.get("reason")))
