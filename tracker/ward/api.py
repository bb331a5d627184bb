"""Bedside routes (nurse): scan, start and complete the infusion; the infusion for those who follow it."""

from flask import current_app, g

from tracker.ward import services
from tracker.ward.schemas import (
    InfusionAnswer,
    InfusionEnd,
    InfusionStart,
    ScanMatch,
    ScanRefusal,
    ScanRequest,
)
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import login_policy, reader, uow

bp = api_blueprint("infusions_api", __name__)
SCAN_MATCH = ScanMatch()  # made once: the bedside scan is the app's busiest route


@endpoint(bp, "/scans", "POST", roles=("nurse",), summary="Check a scanned bag label against a wristband",
          body=ScanRequest,
          answers={200: ScanMatch, 404: ScanRefusal, 409: ScanRefusal, 422: ScanRefusal})  # fmt: skip
def record_scan(body: dict):
    scan = services.record_scan(
        uow(),
        g.actor,
        body["qr_payload"],
        body["participant_id"],
        qr_key=current_app.config["QR_SIGNING_KEY"],
    )
    return answer(SCAN_MATCH, scan)


@endpoint(bp, "/infusions", "POST", roles=("nurse",), summary="Start the infusion of a bag",
          body=InfusionStart, answers={201: InfusionAnswer})  # fmt: skip
def start_infusion(body: dict):
    infusion = services.start_infusion(uow(), g.actor, body, policy=login_policy(), check_uow=uow())
    return answer(InfusionAnswer(), infusion, 201)


@endpoint(bp, "/infusions/<infusion_id>", "PATCH", roles=("nurse",), summary="Record the end of an infusion",
          body=InfusionEnd, answers={200: InfusionAnswer})  # fmt: skip
def complete_infusion(infusion_id: str, body: dict):
    return answer(InfusionAnswer(), services.complete_infusion(uow(), g.actor, infusion_id, body))


@endpoint(bp, "/infusions/<infusion_id>", "GET", roles=("nurse", "investigator", "pharmacist", "qa"),
          summary="One infusion", answers={200: InfusionAnswer})  # fmt: skip
def get_infusion(infusion_id: str):
    return answer(InfusionAnswer(), services.get_infusion(reader(), infusion_id))
