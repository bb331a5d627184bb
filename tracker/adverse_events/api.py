"""The adverse event API: record at an infusion, list, read, report to the sponsor, assess. Every reader
gets the same answer: nothing in it differs by arm."""

from __future__ import annotations

from flask import g

from tracker.adverse_events import rules, services
from tracker.adverse_events.schemas import (
    AdverseEventIn,
    AdverseEventList,
    AdverseEventOut,
    AdverseEventQuery,
    AssessmentIn,
    SponsorReportIn,
)
from tracker.notifications.mail import dispatch_in_background
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import reader, uow

bp = api_blueprint("adverse_events_api", __name__)
ONE, MANY = AdverseEventOut(), AdverseEventList()


@endpoint(bp, "/infusions/<infusion_id>/adverse-events", "POST", roles=rules.RECORDERS,
          summary="Record an adverse event at an infusion (a serious one starts the 24-hour sponsor clock)",
          body=AdverseEventIn, answers={201: AdverseEventOut})  # fmt: skip
def record(infusion_id: str, body: dict):
    recorded = services.record_adverse_event(uow(), g.actor, infusion_id, body)
    if recorded["serious"]:
        dispatch_in_background()
    return answer(ONE, recorded, 201)


@endpoint(bp, "/adverse-events", "GET", roles=rules.READERS, query=AdverseEventQuery,
          summary="Adverse events, serious first then newest onset (filters: serious, open, infusion_id)",
          answers={200: AdverseEventList})  # fmt: skip
def list_events(query: dict):
    return answer(MANY, {"items": services.list_events_of(reader(), g.actor, **query)})


@endpoint(bp, "/adverse-events/<ae_id>", "GET", roles=rules.READERS, summary="An adverse event",
          answers={200: AdverseEventOut})  # fmt: skip
def get_event(ae_id: str):
    return answer(ONE, services.get_event(reader(), g.actor, ae_id))


@endpoint(bp, "/adverse-events/<ae_id>/sponsor-report", "POST", roles=rules.ASSESSORS,
          summary="Record when a serious adverse event was reported to the sponsor (stops its clock)",
          body=SponsorReportIn, answers={200: AdverseEventOut})  # fmt: skip
def sponsor_report(ae_id: str, body: dict):
    return answer(ONE, services.report_to_sponsor(uow(), g.actor, ae_id, body))


@endpoint(bp, "/adverse-events/<ae_id>/assessment", "POST", roles=rules.ASSESSORS,
          summary="The investigator's assessment: causality, outcome, end date when the event has ended",
          body=AssessmentIn, answers={200: AdverseEventOut})  # fmt: skip
def assessment(ae_id: str, body: dict):
    return answer(ONE, services.assess(uow(), g.actor, ae_id, body))
