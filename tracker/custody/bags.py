"""A bag's handoffs (dispatch, receive, return, destroy), its quarantine, and the timeline of its custody."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import blinding
from tracker.audit.services import record_event
from tracker.custody import rules
from tracker.custody.models import CustodyEvent
from tracker.custody.services import append_event
from tracker.db import UnitOfWork, utcnow
from tracker.doses.models import Bag
from tracker.doses.services import bag_status, bag_view, find_bag
from tracker.errors import Conflict, Invalid
from tracker.infusions.models import Infusion, Scan
from tracker.roles import Actor
from tracker.studies.services import current_study

_DONE = {"dispatch": "dispatched", "receive": "received", "return": "returned", "destroy": "destroyed"}


def _destroy_reason(data: dict[str, Any]) -> str:
    reason = (data.get("reason") or data.get("note") or "").strip()
    if not reason:
        raise Invalid("A destruction needs a reason", details={"reason": ["say why the bag is destroyed"]})
    return reason


def _check_move(bag: Bag, action: str, now: dt.datetime) -> str:
    """The bag's status after `action`, or a 409 naming why it cannot happen now."""
    if action in rules.BAG_ONWARD_ACTIONS:
        if bag.quarantined:
            raise Conflict(
                f"Bag {bag.bag_id} is in quarantine: it cannot be {_DONE[action]} until the pharmacy decides",
                code="quarantined",
            )
        if bag_status(bag, now) == "expired":
            raise Conflict(f"Bag {bag.bag_id} is past its use-by time", code="expired")
    new_status = rules.bag_status_after(bag.status, action)
    if new_status is None:
        raise Conflict(
            f"Bag {bag.bag_id} is {bag.status}: it cannot be {_DONE[action]} now",
            code="action_out_of_order",
            details={"status": bag.status, "action": action},
        )
    return new_status


def _move_bag_in(
    session: Session,
    actor: Actor,
    bag: Bag,
    action: str,
    location: str,
    *,
    at: dt.datetime | None = None,
    note: str | None = None,
    reason: str | None = None,
    seal_intact: bool | None = None,
    temperature_c: float | None = None,
) -> tuple[CustodyEvent, list[str]]:
    now = utcnow()
    new_status = _check_move(bag, action, now)
    study = current_study(session)
    quarantine = (
        []
        if action == "destroy"
        else rules.quarantine_reasons(
            seal_intact, temperature_c, study.transport_min_temperature_c, study.transport_max_temperature_c
        )
    )
    event = append_event(
        session, actor, "bag", bag.bag_id, action, location, at=at, not_before=bag.prepared_at,
        note=reason or note, seal_intact=seal_intact, temperature_c=temperature_c,
    )  # fmt: skip
    before = {"status": bag.status, "location": bag.location, "quarantined": bag.quarantined}
    bag.status, bag.location = new_status, location
    if quarantine:
        bag.quarantined = True
    session.flush()
    record_event(
        session, actor, action, "bag", bag.bag_id, before=before,
        after={
            "status": new_status, "location": location, "at": event.at, "quarantined": bag.quarantined,
            "seal_intact": seal_intact, "temperature_c": temperature_c, "quarantine_reasons": quarantine,
        },
        reason=reason or note,
    )  # fmt: skip
    return event, quarantine


def hand_off_bag(uow: UnitOfWork, actor: Actor, bag_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Record one handoff of a bag; a temperature outside the study's transport range or a broken seal
    quarantines it until a pharmacist decides."""
    action = data["action"]
    reason = _destroy_reason(data) if action == "destroy" else None
    with uow:
        session = uow.session
        bag = find_bag(session, bag_id, lock=True)
        event, quarantine = _move_bag_in(
            session, actor, bag, action, data["location"].strip(), at=data.get("at"), note=data.get("note"),
            reason=reason, seal_intact=data.get("seal_intact"), temperature_c=data.get("temperature_c"),
        )  # fmt: skip
        uow.commit()
        return {
            **_custody_view(actor, event),
            "bag_status": bag.status,
            "quarantined": bag.quarantined,
            "quarantine_reasons": quarantine,
        }


def decide_quarantine(
    uow: UnitOfWork, actor: Actor, bag_id: str, decision: str, reason: str
) -> dict[str, Any]:
    """The pharmacist's decision on a quarantined bag: release it back into use, or destroy it."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("A quarantine decision needs a reason", details={"reason": ["say why"]})
    with uow:
        session = uow.session
        bag = find_bag(session, bag_id, lock=True)
        if not bag.quarantined:
            raise Conflict(f"Bag {bag.bag_id} is not in quarantine", code="not_quarantined")
        if decision == "destroy":
            _move_bag_in(session, actor, bag, "destroy", bag.location, reason=reason)
        bag.quarantined = False
        session.flush()
        record_event(
            session, actor, f"quarantine_{decision}", "bag", bag.bag_id, before={"quarantined": True},
            after={"quarantined": False, "status": bag.status}, reason=reason,
        )  # fmt: skip
        uow.commit()
        return {"bag_id": bag.bag_id, "decision": decision, "status": bag.status, "quarantined": False}


def _custody_view(reader: Actor, event: CustodyEvent) -> dict[str, Any]:
    # A pharmacist's free text may say what is in the bag: blinded readers get the event without it.
    hide_note = not reader.unblinded and blinding.note_is_unblinded("bag", event.role)
    return {
        "kind": "custody",
        "action": event.action,
        "location": event.location,
        "at": event.at,
        "user": event.username,
        "role": event.role,
        "note": None if hide_note else event.note,
        "seal_intact": event.seal_intact,
        "temperature_c": event.temperature_c,
    }


def _scan_view(scan: Scan) -> dict[str, Any]:
    return {
        "kind": "scan", "action": "scan", "location": "bedside", "at": scan.at, "user": scan.username,
        "role": scan.role, "result": scan.result, "participant_id": scan.participant_id,
        "scan_id": scan.scan_id,
    }  # fmt: skip


def _infusion_views(infusion: Infusion) -> list[dict[str, Any]]:
    common = {"kind": "infusion", "location": "bedside", "infusion_id": infusion.infusion_id,
              "participant_id": infusion.participant_id}  # fmt: skip
    views = [{**common, "action": "infusion_start", "at": infusion.started_at, "user": infusion.started_by,
              "role": "nurse"}]  # fmt: skip
    if infusion.completed_at is not None:
        views.append({**common, "action": "infusion_end", "at": infusion.completed_at,
                      "user": infusion.completed_by, "role": "nurse", "note": infusion.note})  # fmt: skip
    return views


def bag_timeline(session: Session, reader: Actor, bag: Bag) -> list[dict[str, Any]]:
    """Every custody, scan and infusion event of a bag, oldest first (ties in recording order)."""
    custody = session.execute(
        select(CustodyEvent)
        .where(CustodyEvent.subject_type == "bag", CustodyEvent.subject_id == bag.bag_id)
        .order_by(CustodyEvent.id)
    ).scalars()
    scans = session.execute(select(Scan).where(Scan.bag_pk == bag.id).order_by(Scan.id)).scalars()
    infusion = session.execute(select(Infusion).where(Infusion.bag_pk == bag.id)).scalar_one_or_none()
    events = [_custody_view(reader, e) for e in custody] + [_scan_view(s) for s in scans]
    if infusion is not None:
        events += _infusion_views(infusion)
    # sorted() is stable: events at one instant keep custody, scan, infusion order.
    return sorted(events, key=lambda e: e["at"])


def bag_custody(uow: UnitOfWork, reader: Actor, bag_id: str) -> list[dict[str, Any]]:
    with uow:
        return bag_timeline(uow.session, reader, find_bag(uow.session, bag_id))


def received_at(session: Session, bag: Bag) -> dt.datetime | None:
    """When the bag was last received on the ward."""
    return session.execute(
        select(CustodyEvent.at)
        .where(
            CustodyEvent.subject_type == "bag",
            CustodyEvent.subject_id == bag.bag_id,
            CustodyEvent.action == "receive",
        )
        .order_by(CustodyEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def bags_bound_for_the_ward(uow: UnitOfWork, reader: Actor) -> list[dict[str, Any]]:
    """Bags in transit to a ward or held on one, soonest use-by first, each as the reader may see it."""
    with uow:
        now = utcnow()
        bags = uow.session.execute(
            select(Bag).where(Bag.status.in_(("dispatched", "received"))).order_by(Bag.use_by, Bag.id)
        ).scalars()
        return [bag_view(uow.session, reader, bag, now) for bag in bags]
