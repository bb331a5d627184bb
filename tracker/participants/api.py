"""Enrolment, reading a participant, the emergency code-break and the code-break report."""

from __future__ import annotations

from flask import g

from tracker.notifications.mail import dispatch_in_background
from tracker.participants import services
from tracker.participants.responses import code_breaks_csv_response
from tracker.participants.schemas import (
    CodeBreakReport,
    Enrolled,
    EnrolRequest,
    ParticipantBlinded,
    ParticipantUnblinded,
    SafetyCodeBreakList,
    Unblinded,
    UnblindRequest,
)
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import login_policy, reader, uow

bp = api_blueprint("participants_api", __name__)


@endpoint(bp, "/participants", "POST", roles=("investigator",), summary="Enrol and randomize a participant",
          body=EnrolRequest, answers={201: Enrolled})  # fmt: skip
def enrol(body: dict):
    try:
        enrolled = services.enrol_participant(
            uow(), g.actor, body["participant_id"], body.get("stratum"),
            onset_at=body.get("onset_at"), eligibility=body.get("eligibility"), site=body.get("site"),
        )  # fmt: skip
    finally:
        dispatch_in_background()  # a refused enrolment may have queued a notification
    return answer(Enrolled(), enrolled, 201)


@endpoint(bp, "/participants/<participant_id>", "GET", roles=("investigator", "nurse", "pharmacist"),
          summary="A participant and its code (the arm only for the pharmacist)",
          answers={200: {"oneOf": [ParticipantBlinded, ParticipantUnblinded]}})  # fmt: skip
def show(participant_id: str):
    found = services.get_participant(reader(), g.actor, participant_id)
    schema = ParticipantUnblinded() if g.actor.unblinded else ParticipantBlinded()
    return answer(schema, found)


@endpoint(bp, "/participants/<participant_id>/unblind", "POST", roles=("investigator",),
          summary="Emergency code-break of one participant (signed)", body=UnblindRequest,
          answers={200: Unblinded})  # fmt: skip
def unblind(participant_id: str, body: dict):
    result = services.break_code(
        uow(), g.actor, participant_id, body["reason"], body["password"], login_policy()
    )
    dispatch_in_background()
    return answer(Unblinded(), result)


@endpoint(bp, "/reports/code-breaks", "GET", roles=("qa", "admin"), summary="Every code-break; never the arm",
          answers={200: CodeBreakReport})  # fmt: skip
def code_breaks():
    return answer(CodeBreakReport(), {"items": services.code_break_report(reader())})


@endpoint(bp, "/reports/code-breaks.csv", "GET", roles=("qa", "admin"), summary="Every code-break as CSV",
          answers={200: "text/csv"})  # fmt: skip
def code_breaks_csv():
    return code_breaks_csv_response()


@endpoint(bp, "/code-breaks/safety", "GET", roles=("investigator",),
          summary="The safety code-breaks the system made after a late QC result failed: the participants "
                  "given or allocated the failed product; never the arm",
          answers={200: SafetyCodeBreakList})  # fmt: skip
def safety_code_breaks():
    return answer(SafetyCodeBreakList(), {"items": services.safety_code_breaks(reader())})
