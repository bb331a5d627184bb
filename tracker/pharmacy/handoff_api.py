"""Bag custody routes: handoffs, the quarantine decision and the timeline."""

from flask import g

from tracker.custody.schemas import (
    BagCustodyList,
    HandoffAnswer,
    HandoffRequest,
    QuarantineAnswer,
    QuarantineDecision,
)
from tracker.pharmacy import handoffs as bags
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import reader, uow

bp = api_blueprint("custody_api", __name__)


@endpoint(bp, "/bags/<bag_id>/handoffs", "POST", roles=("pharmacist", "nurse"),
          summary="Record a bag's dispatch, receipt, return or destruction", body=HandoffRequest,
          answers={201: HandoffAnswer})  # fmt: skip
def hand_off_bag(bag_id: str, body: dict):
    return answer(HandoffAnswer(), bags.hand_off_bag(uow(), g.actor, bag_id, body), 201)


@endpoint(bp, "/bags/<bag_id>/custody", "GET", roles=("pharmacist", "nurse", "qa", "investigator"),
          summary="Every custody, scan and infusion event of a bag, oldest first",
          answers={200: BagCustodyList})  # fmt: skip
def bag_custody(bag_id: str):
    return answer(BagCustodyList(), {"events": bags.bag_custody(reader(), g.actor, bag_id)})


@endpoint(bp, "/bags/<bag_id>/quarantine-decision", "POST", roles=("pharmacist",),
          summary="Release a quarantined bag or destroy it", body=QuarantineDecision,
          answers={200: QuarantineAnswer})  # fmt: skip
def decide_quarantine(bag_id: str, body: dict):
    decided = bags.decide_quarantine(uow(), g.actor, bag_id, body["decision"], body["reason"])
    return answer(QuarantineAnswer(), decided)
