"""The lot API: lots, QC results, signed release / rejection / recall, container handoffs, certificate.
Lots and containers answer in the blinded shape to blinded roles and the unblinded one to the pharmacist."""

from __future__ import annotations

from flask import current_app, g

from tracker.custody.schemas import CustodyEventList
from tracker.lots import containers, creation, follow_up, qc, quarantine, records, release
from tracker.lots.responses import certificate_words, pdf_response
from tracker.lots.schemas import (
    AffectedOut,
    HandoffBlinded,
    HandoffIn,
    HandoffUnblinded,
    LotBlinded,
    LotCreate,
    LotListBlinded,
    LotListUnblinded,
    LotQuery,
    LotUnblinded,
    QcResultIn,
    QcResultOut,
    QuarantineDecisionIn,
    QuarantineList,
    QuarantineOut,
    RecallIn,
    RejectIn,
    ReleaseIn,
    SignatureOut,
)
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import login_policy, reader, uow

bp = api_blueprint("lots_api", __name__)

READERS = ("gmp", "qa", "pharmacist")
# One instance per route (see tracker.web.api.endpoint); which one answers is the reader's blinding.
_LOT = {False: LotBlinded(), True: LotUnblinded()}
_LOTS = {False: LotListBlinded(), True: LotListUnblinded()}
_HANDOFF = {False: HandoffBlinded(), True: HandoffUnblinded()}


@endpoint(bp, "/lots", "POST", roles=("gmp",), summary="Create a lot and its containers (in quarantine)",
          body=LotCreate, answers={201: LotBlinded})  # fmt: skip
def create_lot(body: dict):
    return answer(_LOT[g.actor.unblinded], creation.create_lot(uow(), g.actor, body), 201)


# An empty list fits both shapes, hence anyOf.
@endpoint(bp, "/lots", "GET", roles=READERS, summary="Every lot, oldest first", query=LotQuery,
          answers={200: {"anyOf": [LotListBlinded, LotListUnblinded]}})  # fmt: skip
def list_lots(query: dict):
    return answer(_LOTS[g.actor.unblinded], {"items": records.list_lots(reader(), g.actor, **query)})


@endpoint(bp, "/lots/<lot_number>", "GET", roles=READERS, summary="A lot, its containers and QC results",
          answers={200: {"oneOf": [LotBlinded, LotUnblinded]}})  # fmt: skip
def get_lot(lot_number: str):
    return answer(_LOT[g.actor.unblinded], records.get_lot(reader(), g.actor, lot_number))


@endpoint(bp, "/lots/<lot_number>/qc-results", "POST", roles=("gmp",), summary="Record a QC result",
          body=QcResultIn, answers={201: QcResultOut})  # fmt: skip
def record_qc_result(lot_number: str, body: dict):
    result = qc.record_qc_result(
        uow(), g.actor, lot_number, body["test"], body["value"],
        corrects=body.get("corrects"), reason=body.get("reason"),
    )  # fmt: skip
    return answer(QcResultOut(), result, 201)


@endpoint(bp, "/lots/<lot_number>/release", "POST", roles=("qa",), summary="Release a lot (signed)",
          body=ReleaseIn, answers={200: SignatureOut})  # fmt: skip
def release_lot(lot_number: str, body: dict):
    signed = release.release_lot(
        uow(), g.actor, lot_number, body["password"], body["meaning"], login_policy()
    )
    return answer(SignatureOut(), signed)


@endpoint(bp, "/lots/<lot_number>/reject", "POST", roles=("qa",), summary="Reject a lot (signed)",
          body=RejectIn, answers={200: SignatureOut})  # fmt: skip
def reject_lot(lot_number: str, body: dict):
    signed = release.reject_lot(
        uow(), g.actor, lot_number, body["password"], body["reason"], login_policy(), body.get("meaning")
    )
    return answer(SignatureOut(), signed)


@endpoint(bp, "/lots/<lot_number>/recall", "POST", roles=("qa",), summary="Recall a released lot (signed)",
          body=RecallIn, answers={200: SignatureOut})  # fmt: skip
def recall_lot(lot_number: str, body: dict):
    signed = release.recall_lot(
        uow(), g.actor, lot_number, body["password"], body["reason"], login_policy(), body.get("meaning")
    )
    return answer(SignatureOut(), signed)


@endpoint(bp, "/lots/<lot_number>/certificate.pdf", "GET", roles=READERS,
          summary="Certificate of analysis (PDF)", answers={200: "application/pdf"})  # fmt: skip
def certificate(lot_number: str):
    return pdf_response(
        *records.certificate_pdf(
            reader(), g.actor, lot_number, site=current_app.config["SITE_NAME"], words=certificate_words()
        )
    )


@endpoint(bp, "/lots/<lot_number>/affected", "GET", roles=follow_up.AFFECTED_READERS,
          summary="What a lot released with results pending touched: its follow-ups, containers; once a late "
                  "result failed, its bags (unblinded readers) and participants (unblinded readers and the "
                  "investigator, to whom they are named as safety code-breaks)",
          answers={200: AffectedOut})  # fmt: skip
def affected(lot_number: str):
    return answer(AffectedOut(), follow_up.affected(reader(), g.actor, lot_number))


@endpoint(bp, "/containers/<container_id>/handoffs", "POST", roles=("gmp", "pharmacist"),
          summary="Discard a container (in the lab's store, or the pharmacy's); issue one where the study "
                  "sets no issue kit", body=HandoffIn,
          answers={201: {"oneOf": [HandoffBlinded, HandoffUnblinded]}})  # fmt: skip
def container_handoff(container_id: str, body: dict):
    event = containers.handoff_container(
        uow(),
        g.actor,
        container_id,
        body["action"],
        body["location"],
        note=body.get("note"),
        at=body.get("at"),
    )
    return answer(_HANDOFF[g.actor.unblinded], event, 201)


@endpoint(bp, "/containers/<container_id>/custody", "GET", roles=READERS,
          summary="A container's custody events, oldest first; blinded roles see them up to the issue",
          answers={200: CustodyEventList})  # fmt: skip
def container_custody(container_id: str):
    events = containers.container_custody(reader(), g.actor, container_id)
    return answer(CustodyEventList(), {"events": events})


@endpoint(bp, "/containers/<container_id>/quarantine", "POST", roles=quarantine.DECIDERS,
          summary="QA's signed decision on a container quarantined after a temperature excursion: release it "
                  "back into the lab's store, or destroy it (a discard)", body=QuarantineDecisionIn,
          answers={200: QuarantineOut})  # fmt: skip
def decide_quarantine(container_id: str, body: dict):
    decided = quarantine.decide_quarantine(
        uow(), g.actor, container_id, body["decision"], body["reason"], body["password"], login_policy(),
        body.get("meaning"),
    )  # fmt: skip
    return answer(QuarantineOut(), decided)


@endpoint(bp, "/containers/quarantined", "GET", roles=("gmp", "qa", "pharmacist"),
          summary="Containers in quarantine waiting for QA's decision, the longest waiting first",
          answers={200: QuarantineList})  # fmt: skip
def quarantined():
    return answer(QuarantineList(), {"items": quarantine.quarantined_containers(reader(), g.actor)})
