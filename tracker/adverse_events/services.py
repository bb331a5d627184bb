"""Adverse event use cases: record a reaction at an infusion (a serious one queues its notifications and
starts the 24-hour sponsor clock), record the sponsor report, complete the assessment, and read for the API,
the pages and the SDTM AE export. An event names its infusion, participant and bag at most: never an arm,
material, lot, container or thaw."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.adverse_events import rules
from tracker.adverse_events.models import AdverseEvent
from tracker.audit.services import AuditFilter, chain_head, list_events, record_event
from tracker.checkchar import is_random_id, new_random_id
from tracker.db import UnitOfWork, find_one, unused_id, utcnow
from tracker.errors import Conflict, Forbidden, Invalid, NotFound
from tracker.notifications.services import queue_notification
from tracker.pharmacy.models import Bag
from tracker.roles import Actor
from tracker.timing import check_happened
from tracker.translation import N_
from tracker.ward.models import Infusion
from tracker.ward.services import find_infusion

ID_PREFIX, ID_BODY = "AE-", 8
ENTITY = "adverse_event"
# Every stored field an audit event and a reader see, in order.
FIELDS = (
    "ae_id", "infusion_id", "participant_id", "bag_id", "onset_at", "description", "grade", "serious",
    "seriousness_criteria", "actions_taken", "treatment", "recorded_by", "recorded_by_role", "recorded_at",
    "report_due_at", "sponsor_reported_at", "sponsor_reported_by", "sponsor_report_note", "causality",
    "outcome", "resolved_at", "assessed_by", "assessed_at",
)  # fmt: skip


def new_ae_id() -> str:
    """`AE-`, random characters and a check character over them (the hyphen has no check value)."""
    return ID_PREFIX + new_random_id("", ID_BODY)


def is_ae_id(text: str) -> bool:
    return text.startswith(ID_PREFIX) and is_random_id(text[len(ID_PREFIX) :], "", ID_BODY)


# ---- reading -------------------------------------------------------------------------------------------


def _event(session: Session, ae_id: str, *, lock: bool = False) -> AdverseEvent:
    wanted = (ae_id or "").strip().upper()
    missing = NotFound(
        N_("No adverse event has the ID %(id)s"), params={"id": wanted}, code="adverse_event_not_found"
    )
    if not is_ae_id(wanted):
        raise missing
    return find_one(session, select(AdverseEvent).where(AdverseEvent.ae_id == wanted), missing, lock=lock)


def _links(session: Session, event: AdverseEvent) -> dict[str, str]:
    infusion = session.get(Infusion, event.infusion_pk)
    bag = session.get(Bag, infusion.bag_pk)
    return {"infusion_id": infusion.infusion_id, "bag_id": bag.bag_id}


def _record(event: AdverseEvent, links: dict[str, str]) -> dict[str, Any]:
    """Every stored field, as the audit trail and every reader see it (none is unblinded)."""
    data = {name: getattr(event, name) for name in FIELDS if name not in links}
    data["seriousness_criteria"] = list(event.seriousness_criteria or [])
    data["actions_taken"] = list(event.actions_taken or [])
    return {**links, **data}


def event_view(event: AdverseEvent, links: dict[str, str], now: dt.datetime) -> dict[str, Any]:
    view = {name: value for name, value in _record(event, links).items()}
    view = {name: view[name] for name in FIELDS}
    view |= {
        "overdue": rules.is_overdue(event.report_due_at, event.sponsor_reported_at, now),
        "reported_late": rules.reported_late(event.report_due_at, event.sponsor_reported_at),
        "open": rules.is_open(event.serious, event.sponsor_reported_at, event.outcome),
        "updated_at": event.updated_at,
    }
    return view


def get_event(uow: UnitOfWork, actor: Actor, ae_id: str) -> dict[str, Any]:
    with uow:
        event = _event(uow.session, ae_id)
        return event_view(event, _links(uow.session, event), utcnow())


def event_history(uow: UnitOfWork, actor: Actor, ae_id: str) -> list[dict[str, Any]]:
    """The event's audit events as this reader may see them, oldest first."""
    with uow:
        event = _event(uow.session, ae_id)
        return list_events(uow.session, actor, AuditFilter(entity_type=ENTITY, entity_id=event.ae_id))


def list_events_of(
    uow: UnitOfWork,
    actor: Actor,
    *,
    serious: bool | None = None,
    open: bool | None = None,  # noqa: A002 - the API's filter name
    infusion_id: str | None = None,
) -> list[dict[str, Any]]:
    """Adverse events, serious first, then newest onset first; filtered by seriousness, by whether they are
    open (a serious one not reported, or no outcome that ends it) and by infusion."""
    with uow:
        session = uow.session
        now = utcnow()
        query = (
            select(AdverseEvent, Infusion.infusion_id, Bag.bag_id)
            .join(Infusion, Infusion.id == AdverseEvent.infusion_pk)
            .join(Bag, Bag.id == Infusion.bag_pk)
        )
        if serious is not None:
            query = query.where(AdverseEvent.serious == serious)
        if infusion_id:
            query = query.where(Infusion.infusion_id == infusion_id.strip().upper())
        rows = session.execute(query).all()
        views = [event_view(e, {"infusion_id": i, "bag_id": b}, now) for e, i, b in rows]
    views.sort(key=lambda v: (*rules.list_order(v["serious"], v["onset_at"]), v["ae_id"]))
    return [v for v in views if open is None or v["open"] == open]


def events_for_export(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every event with its infusion's times, by participant then onset (for the SDTM AE dataset)."""
    with uow:
        rows = uow.session.execute(
            select(AdverseEvent, Infusion, Bag)
            .join(Infusion, Infusion.id == AdverseEvent.infusion_pk)
            .join(Bag, Bag.id == Infusion.bag_pk)
            .order_by(AdverseEvent.participant_id, AdverseEvent.onset_at, AdverseEvent.ae_id)
        ).all()
        return [
            {
                **_record(e, {"infusion_id": i.infusion_id, "bag_id": b.bag_id}),
                "infusion_started_at": i.started_at,
                "infusion_completed_at": i.completed_at,
            }
            for e, i, b in rows
        ]


def listing(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """Every event as every reader sees it (nothing in it differs by arm), by participant then onset, with the
    audit chain head read in the same transaction (the AE listing's provenance)."""
    with uow:
        session = uow.session
        now = utcnow()
        seq, digest = chain_head(session)
        rows = session.execute(
            select(AdverseEvent, Infusion.infusion_id, Bag.bag_id)
            .join(Infusion, Infusion.id == AdverseEvent.infusion_pk)
            .join(Bag, Bag.id == Infusion.bag_pk)
            .order_by(AdverseEvent.participant_id, AdverseEvent.onset_at, AdverseEvent.ae_id)
        ).all()
        items = [event_view(e, {"infusion_id": i, "bag_id": b}, now) for e, i, b in rows]
    return {
        "generated_at": now, "generated_by": actor.username, "audit_head": {"seq": seq, "hash": digest},
        "items": items,
    }  # fmt: skip


def participant_events(session: Session, participant_id: str) -> list[dict[str, Any]]:
    """One participant's events, oldest onset first, read in the caller's transaction (the participant's
    printed record)."""
    rows = session.execute(
        select(AdverseEvent, Infusion.infusion_id, Bag.bag_id)
        .join(Infusion, Infusion.id == AdverseEvent.infusion_pk)
        .join(Bag, Bag.id == Infusion.bag_pk)
        .where(AdverseEvent.participant_id == participant_id)
        .order_by(AdverseEvent.onset_at, AdverseEvent.ae_id)
    ).all()
    now = utcnow()
    return [event_view(e, {"infusion_id": i, "bag_id": b}, now) for e, i, b in rows]


# ---- recording -----------------------------------------------------------------------------------------


def _notify(session: Session, event: AdverseEvent, links: dict[str, str]) -> None:
    """A serious event: the investigator, QA and the sponsor hear at once, with its due time. No arm, lot or
    material: the participant, the infusion and what happened."""
    due = event.report_due_at.isoformat(timespec="minutes") if event.report_due_at else ""
    subject = f"Serious adverse event {event.ae_id}: report to the sponsor by {due}"
    body = (
        f"A serious adverse event was recorded at infusion {links['infusion_id']} of participant "
        f"{event.participant_id} by {event.recorded_by} ({event.recorded_by_role}) at "
        f"{event.recorded_at.isoformat(timespec='minutes')}.\n"
        f"Onset: {event.onset_at.isoformat(timespec='minutes')}. CTCAE grade {event.grade}.\n"
        f"Seriousness: {', '.join(c.replace('_', ' ') for c in event.seriousness_criteria)}.\n"
        f"Description: {event.description}\n"
        f"The sponsor must be told within 24 hours, by {due} (UTC)."
    )
    for audience in rules.SERIOUS_AUDIENCES:
        queue_notification(session, "serious_adverse_event", audience, subject, body, site=event.site_code)


def record_adverse_event(
    uow: UnitOfWork, actor: Actor, infusion_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Record a reaction observed at an infusion."""
    if actor.role not in rules.RECORDERS:
        raise Forbidden(N_("Your role cannot record an adverse event"), code="forbidden")
    now = utcnow()
    with uow:
        session = uow.session
        infusion, bag = find_infusion(session, infusion_id)
        problems = rules.recording_problems(data)
        if problems:
            raise Invalid(
                N_("The adverse event's fields do not fit together"), code="adverse_event_invalid",
                details=problems,
            )  # fmt: skip
        check_happened(
            "onset_at", data["onset_at"], now, not_before=infusion.started_at - rules.ONSET_SKEW,
            what_before="the start of the infusion",
        )  # fmt: skip
        serious = bool(data["serious"])
        actions = [a for a in rules.ACTIONS if a in data["actions_taken"]]
        event = AdverseEvent(
            ae_id=unused_id(session, AdverseEvent.ae_id, new_ae_id),
            site_code=infusion.site_code,
            infusion_pk=infusion.id, participant_id=infusion.participant_id, onset_at=data["onset_at"],
            description=data["description"].strip(), grade=data["grade"], serious=serious,
            seriousness_criteria=[c for c in rules.SERIOUSNESS_CRITERIA if c in data["seriousness_criteria"]],
            actions_taken=actions,
            treatment=(data.get("treatment") or "").strip() or None,
            recorded_by=actor.username, recorded_by_role=actor.role, recorded_at=now,
            report_due_at=rules.report_due(serious, now), updated_at=now,
        )  # fmt: skip
        session.add(event)
        session.flush()
        links = {"infusion_id": infusion.infusion_id, "bag_id": bag.bag_id}
        record_event(session, actor, "record_adverse_event", ENTITY, event.ae_id, after=_record(event, links))
        if serious:
            _notify(session, event, links)
        uow.commit()
        return event_view(event, links, utcnow())


def report_to_sponsor(uow: UnitOfWork, actor: Actor, ae_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The investigator says when the sponsor was told of a serious event: the clock stops."""
    if actor.role not in rules.ASSESSORS:
        raise Forbidden(N_("Only the investigator reports to the sponsor"), code="forbidden")
    now = utcnow()
    with uow:
        session = uow.session
        event = _event(session, ae_id, lock=True)
        if not event.serious:
            raise Conflict(
                N_("Adverse event %(id)s is not serious: it has no sponsor clock"),
                params={"id": event.ae_id}, code="not_serious",
            )  # fmt: skip
        if event.sponsor_reported_at is not None:
            raise Conflict(
                N_("Adverse event %(id)s is already reported to the sponsor"), params={"id": event.ae_id},
                code="already_reported",
            )  # fmt: skip
        check_happened("reported_at", data["reported_at"], now, not_before=event.onset_at,
                       what_before="the onset of the event")  # fmt: skip
        event.sponsor_reported_at = data["reported_at"]
        event.sponsor_reported_by = actor.username
        event.sponsor_report_note = (data.get("note") or "").strip() or None
        event.updated_at = now
        session.flush()
        record_event(
            session, actor, "report_to_sponsor", ENTITY, event.ae_id,
            before={"sponsor_reported_at": None},
            after={
                "sponsor_reported_at": event.sponsor_reported_at, "sponsor_reported_by": actor.username,
                "report_due_at": event.report_due_at,
                "reported_late": rules.reported_late(event.report_due_at, event.sponsor_reported_at),
            },
            reason=event.sponsor_report_note,
        )  # fmt: skip
        uow.commit()
        return event_view(event, _links(session, event), utcnow())


def assess(uow: UnitOfWork, actor: Actor, ae_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The investigator's causality and outcome (again when the outcome changes), with the end date of an
    event that has ended."""
    if actor.role not in rules.ASSESSORS:
        raise Forbidden(N_("Only the investigator assesses an adverse event"), code="forbidden")
    now = utcnow()
    with uow:
        session = uow.session
        event = _event(session, ae_id, lock=True)
        resolved_at = data.get("resolved_at")
        problems = rules.assessment_problems(data["outcome"], resolved_at, event.seriousness_criteria)
        if problems:
            raise Invalid(
                N_("The outcome and the end date do not fit together"), code="assessment_invalid",
                details=problems,
            )  # fmt: skip
        if resolved_at is not None:
            check_happened("resolved_at", resolved_at, now, not_before=event.onset_at,
                           what_before="the onset of the event")  # fmt: skip
        before = {
            "causality": event.causality, "outcome": event.outcome, "resolved_at": event.resolved_at,
            "assessed_by": event.assessed_by,
        }  # fmt: skip
        event.causality, event.outcome, event.resolved_at = data["causality"], data["outcome"], resolved_at
        event.assessed_by, event.assessed_at, event.updated_at = actor.username, now, now
        session.flush()
        after = {
            "causality": event.causality, "outcome": event.outcome, "resolved_at": event.resolved_at,
            "assessed_by": event.assessed_by,
        }  # fmt: skip
        record_event(
            session, actor, "assess_adverse_event", ENTITY, event.ae_id,
            before={k: v for k, v in before.items() if v != after[k]} or None,
            after={**{k: v for k, v in after.items() if v != before[k]}, "assessed_at": now},
        )  # fmt: skip
        uow.commit()
        return event_view(event, _links(session, event), utcnow())
