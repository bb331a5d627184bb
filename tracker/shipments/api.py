"""The shipment API: the GMP lab makes and dispatches, the site pharmacy receives; QA reads. No blinded ward
role gets any of it."""

from __future__ import annotations

from flask import current_app, g

from tracker.lots import quarantine
from tracker.lots.schemas import QuarantineDecisionIn
from tracker.shipments import rules, services
from tracker.shipments.schemas import (
    LoggerIn,
    ReceiptIn,
    ReceiptOut,
    ShipmentDecisionOut,
    ShipmentIn,
    ShipmentList,
    ShipmentOut,
)
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import login_policy, reader, uow

bp = api_blueprint("shipments_api", __name__)


@endpoint(bp, "/shipments", "POST", roles=rules.SENDERS, summary="Plan a shipment of whole kits",
          body=ShipmentIn, answers={201: ShipmentOut})  # fmt: skip
def create_shipment(body: dict):
    made = services.create_shipment(uow(), g.actor, body)
    return answer(ShipmentOut(), made, 201)


@endpoint(bp, "/shipments", "GET", roles=rules.READERS, summary="Shipments, oldest first",
          answers={200: ShipmentList})  # fmt: skip
def list_shipments():
    return answer(ShipmentList(), {"items": services.list_shipments(reader())})


@endpoint(bp, "/shipments/<shipment_id>", "GET", roles=rules.READERS, summary="A shipment",
          answers={200: ShipmentOut})  # fmt: skip
def get_shipment(shipment_id: str):
    return answer(ShipmentOut(), services.get_shipment(reader(), shipment_id))


@endpoint(bp, "/shipments/<shipment_id>/dispatch", "POST", roles=rules.SENDERS,
          summary="Dispatch a shipment: its containers leave the store",
          answers={200: ShipmentOut})  # fmt: skip
def dispatch(shipment_id: str):
    return answer(ShipmentOut(), services.dispatch(uow(), g.actor, shipment_id))


@endpoint(bp, "/shipments/<shipment_id>/receipt", "POST", roles=rules.RECEIVERS,
          summary="Receive a shipment by scanning (missing, extra, damaged; the logger file)",
          body=ReceiptIn, answers={200: ReceiptOut})  # fmt: skip
def receipt(shipment_id: str, body: dict):
    zone = current_app.config["SITE_TIMEZONE"]
    return answer(ReceiptOut(), services.receive(uow(), g.actor, shipment_id, body, zone))


@endpoint(bp, "/shipments/<shipment_id>/logger", "POST", roles=rules.RECEIVERS,
          summary="The logger file of a shipment received without one: the receipt's excursion check; an "
                  "excursion beyond the limit quarantines the whole kits still unused in the pharmacy",
          body=LoggerIn, answers={200: ReceiptOut})  # fmt: skip
def attach_logger(shipment_id: str, body: dict):
    zone = current_app.config["SITE_TIMEZONE"]
    return answer(ReceiptOut(), services.attach_logger(uow(), g.actor, shipment_id, body["logger_csv"], zone))


@endpoint(bp, "/shipments/<shipment_id>/quarantine-decision", "POST", roles=quarantine.DECIDERS,
          summary="QA's one signed decision for a shipment: release or destroy every container its excursion "
                  "still holds", body=QuarantineDecisionIn, answers={200: ShipmentDecisionOut})  # fmt: skip
def decide_quarantine(shipment_id: str, body: dict):
    decided = services.decide_quarantine(
        uow(), g.actor, shipment_id, body["decision"], body["reason"], body["password"], login_policy(),
        body.get("meaning"),
    )  # fmt: skip
    return answer(ShipmentDecisionOut(), decided)
