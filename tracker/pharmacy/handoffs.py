"""A bag's handoffs (dispatch, receive, return, destroy), its quarantine, and the timeline of its custody.

Here, above the bag and below the ward, not in custody/: custody is the log every step writes to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import blinding
from tracker.audit.services import record_event
from tracker.custody import rules
from tracker.custody.models import CustodyEvent
from tracker.custody.services import append_event
from tracker.db import UnitOfWork, utcnow
from tracker.deviations.services import raise_automatic
from tracker.errors import Conflict, Invalid
from tracker.pharmacy import rules as bag_rules
from tracker.pharmacy.bags import bag_status, bag_view, find_bag
from tracker.pharmacy.models import Bag
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
    expired = bag_status(bag, now) == "expired"
    refusal = bag_rules.handoff_refusal(bag.status, action, expired=expired, quarantined=bag.quarantined)
    if refusal == "quarantined":
        raise Conflict(
            f"Bag {bag.bag_id} is in quarantine: it cannot be {_DONE[action]} until the pharmacy decides",
            code="quarantined",
        )
    if refusal == "expired":
        raise Conflict(f"Bag {bag.bag_id} is past its use-by time", code="expired")
    if refusal is not None:
        raise Conflict(
            f"Bag {bag.bag_id} is {bag.status}: it cannot be {_DONE[action]} now",
            code="action_out_of_order",
            details={"status": bag.status, "action": action},
        )
    new_status = rules.bag_status_after(bag.status, action)
    if rules.label_missing_for(action, bag.print_count):
        raise Conflict(
            f"Bag {bag.bag_id} has no printed label: print its label before it is dispatched",
            code="label_not_printed",
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
    if action == "receive":
        missing = rules.receipt_condition_missing(
            temperature_c, seal_intact,
            study.transport_min_temperature_c is not None or study.transport_max_temperature_c is not None,
        )  # fmt: skip
        if missing:
            raise Invalid(
                "A receipt needs the bag's temperature and whether its seal is intact",
                code="temperature_required",
                details=missing,
            )
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
    # Each opens its deviation once per bag; the words name the bag only, never why or its lot (blinding).
    if quarantine:
        raise_automatic(session, actor, "temperature_excursion", {"bag_id": bag.bag_id},
                        "Bag quarantined at receipt", f"{action}:quarantine")  # fmt: skip
    if action == "destroy":
        raise_automatic(session, actor, "destroyed_bag", {"bag_id": bag.bag_id}, "Bag destroyed", "destroy")
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


# What happened to a bag at the bedside (scans, the infusion) is the ward's record, a feature above this one:
# create_app hands in how to read it, so that the timeline is whole without doses importing infusions.
_BEDSIDE: dict[str, Callable[[Session, Bag], list[dict[str, Any]]]] = {}


def read_bedside_events_with(events_of: Callable[[Session, Bag], list[dict[str, Any]]]) -> None:
    _BEDSIDE["events"] = events_of


def bag_timeline(session: Session, reader: Actor, bag: Bag) -> list[dict[str, Any]]:
    """Every custody, scan and infusion event of a bag, oldest first (ties in recording order)."""
    custody = session.execute(
        select(CustodyEvent)
        .where(CustodyEvent.subject_type == "bag", CustodyEvent.subject_id == bag.bag_id)
        .order_by(CustodyEvent.id)
    ).scalars()
    events = [_custody_view(reader, e) for e in custody] + _BEDSIDE["events"](session, bag)
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
