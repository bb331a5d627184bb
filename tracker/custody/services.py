"""Recording container custody moves inside the caller's transaction, and reading a subject's custody."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.blinding import container_status_for
from tracker.custody import rules
from tracker.custody.models import ContainerQuarantine, CustodyEvent
from tracker.db import utcnow
from tracker.errors import Conflict, Invalid
from tracker.roles import Actor
from tracker.translation import N_


def last_event_at(session: Session, subject_type: str, subject_id: str) -> dt.datetime | None:
    return session.execute(
        select(CustodyEvent.at)
        .where(CustodyEvent.subject_type == subject_type, CustodyEvent.subject_id == subject_id)
        .order_by(CustodyEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def append_event(
    session: Session,
    actor: Actor,
    subject_type: str,
    subject_id: str,
    action: str,
    location: str,
    *,
    at: dt.datetime | None = None,
    not_before: dt.datetime | None = None,
    note: str | None = None,
    seal_intact: bool | None = None,
    temperature_c: float | None = None,
) -> CustodyEvent:
    """Append one custody event (no audit, no commit): its time may not be in the future nor before the
    subject's previous custody event or `not_before`."""
    now = utcnow()
    at = at or now
    previous = last_event_at(session, subject_type, subject_id)
    floor = max((t for t in (previous, not_before) if t is not None), default=None)
    problem = rules.event_time_problem(at, now, floor)
    if problem:
        raise Invalid(N_("The custody time is not possible"), details={"at": [problem]})
    event = CustodyEvent(
        subject_type=subject_type,
        subject_id=subject_id,
        action=action,
        location=location,
        at=at,
        username=actor.username,
        role=actor.role,
        note=note,
        seal_intact=seal_intact,
        temperature_c=temperature_c,
    )
    session.add(event)
    session.flush()
    return event


def open_quarantine(session: Session, container_id: str) -> ContainerQuarantine | None:
    """The container's quarantine awaiting QA's decision, or None."""
    return session.execute(
        select(ContainerQuarantine)
        .where(ContainerQuarantine.container_id == container_id, ContainerQuarantine.decision.is_(None))
        .order_by(ContainerQuarantine.id)
        .limit(1)
    ).scalar()


def ensure_not_quarantined(session: Session, container_id: str, action: str) -> None:
    """Refuse (409 `container_quarantined`) any move of a container in quarantine, naming the excursion."""
    held = open_quarantine(session, container_id)
    if held is None:
        return
    raise Conflict(
        rules.CONTAINER_QUARANTINE_REFUSAL,
        params={
            "container": container_id, "unit": held.unit_id,
            "start": f"{held.excursion_start:%Y-%m-%d %H:%M} UTC",
            "done": rules.CONTAINER_ACTION_WORDS.get(action, action),
        },
        code="container_quarantined",
        details={"container_id": container_id, "unit_id": held.unit_id, "action": action,
                 "excursion_start": held.excursion_start.isoformat(),
                 "excursion_end": held.excursion_end.isoformat(), "deviation_id": held.deviation_id},
    )  # fmt: skip


def move_container_in(
    session: Session,
    actor: Actor,
    container: Any,
    action: str,
    location: str,
    *,
    at: dt.datetime | None = None,
    note: str | None = None,
    audited: bool = True,
    audit_after: dict[str, Any] | None = None,
) -> CustodyEvent:
    """Move a container (issue, thaw, use, discard) inside the caller's transaction: checks the order of
    moves, records the custody event and its audit event, and does not commit. The caller has locked the row.

    With `audited=False` the caller records the move inside its own audit event instead (a pharmacy step
    writes one event whatever the arm, so the trail's shape cannot tell the arms apart). `audit_after` adds
    facts to the audit event (the kit of an issue). A refusal names the status as the actor may see it."""
    if action not in rules.CONTAINER_MOVES:
        raise Invalid(
            N_("Unknown container action"),
            details={"action": [f"must be one of: {', '.join(rules.CONTAINER_MOVES)}"]},
        )
    ensure_not_quarantined(session, container.container_id, action)
    new_status = rules.container_status_after(container.status, action)
    if new_status is None:
        shown = container_status_for(actor.role, container.status)
        raise Conflict(
            rules.CONTAINER_MOVE_REFUSAL,
            params=rules.container_move_refusal_params(container.container_id, shown, action),
            code="action_out_of_order",
            details={"status": shown, "action": action},
        )
    event = append_event(
        session, actor, "container", container.container_id, action, location,
        at=at, not_before=container.created_at, note=note,
    )  # fmt: skip
    before = container.status
    container.status = new_status
    if not audited:
        return event
    record_event(
        session, actor, action, "container", container.container_id,
        before={"status": before},
        after={"status": new_status, "location": location, "at": event.at, **(audit_after or {})},
        reason=note,
    )  # fmt: skip
    return event


def event_view(event: CustodyEvent) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "action": event.action,
        "location": event.location,
        "at": event.at,
        "user": event.username,
        "role": event.role,
        "note": event.note,
        "seal_intact": event.seal_intact,
        "temperature_c": event.temperature_c,
    }


def events_of(session: Session, subject_type: str, subject_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(CustodyEvent)
        .where(CustodyEvent.subject_type == subject_type, CustodyEvent.subject_id == subject_id)
        .order_by(CustodyEvent.id)
    ).scalars()
    return [event_view(e) for e in rows]
