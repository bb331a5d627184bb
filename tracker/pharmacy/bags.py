"""Bags as they stand: a bag's status (expired once past its use-by time), finding and reading a bag as its
reader may see it (the preparation's facts only for the unblinded), lists, and the void."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import blinding
from tracker.audit.services import record_event
from tracker.custody.services import append_event
from tracker.db import UnitOfWork, find_one, utcnow
from tracker.deviations.services import raise_automatic
from tracker.errors import Conflict, Invalid, NotFound
from tracker.pharmacy import rules
from tracker.pharmacy.bag_ids import is_bag_id
from tracker.pharmacy.models import Bag, BagPreparation
from tracker.pharmacy.rules import LIVE_STATUSES
from tracker.randomization import allocation
from tracker.roles import SYSTEM, Actor
from tracker.thaws.models import Thaw
from tracker.translation import N_


def bag_status(bag: Bag, now: dt.datetime) -> str:
    """The stored custody status, or `expired` for a live bag past its use-by time."""
    return rules.shown_status(bag.status, bag.use_by, now)


def bag_actions(bag: Bag, actor: Actor, now: dt.datetime) -> list[str]:
    """What the actor may do to the bag now (tracker.pharmacy.rules.bag_actions): what the pages offer."""
    expired = bag_status(bag, now) == "expired"
    return rules.bag_actions(bag.status, expired=expired, quarantined=bag.quarantined, role=actor.role)


def live_bag(session: Session, code: str, now: dt.datetime) -> Bag | None:
    """The code's live bag, if any; a live bag found past its use-by time is marked expired on the way."""
    bags = session.execute(
        select(Bag).where(Bag.randomization_code == code, Bag.status.in_((*LIVE_STATUSES, "infused")))
    ).scalars()
    for bag in bags:
        if bag.status == "infused":
            raise Conflict(
                N_("Randomization code %(code)s has already been infused"),
                params={"code": code},
                code="already_infused",
            )
        if bag_status(bag, now) != "expired":
            return bag
        _mark_expired(session, bag, now)
    return None


def _mark_expired(session: Session, bag: Bag, now: dt.datetime) -> None:
    before = bag.status
    bag.status = "expired"
    session.flush()
    record_event(
        session, SYSTEM, "expire", "bag", bag.bag_id, before={"status": before},
        after={"status": "expired", "use_by": bag.use_by, "noticed_at": now},
    )  # fmt: skip
    raise_automatic(session, SYSTEM, "expired_bag", {"bag_id": bag.bag_id}, "Bag expired", "expire")


def blinded_fields(bag: Bag, now: dt.datetime) -> dict[str, Any]:
    """What every reader of a bag may see: the same fields whatever the arm."""
    return {
        "bag_id": bag.bag_id,
        "randomization_code": bag.randomization_code,
        "participant_id": bag.participant_id,
        "status": bag_status(bag, now),
        "location": bag.location,
        "quarantined": bag.quarantined,
        "final_volume_ml": bag.final_volume_ml,
        "prepared_at": bag.prepared_at,
        "use_by": bag.use_by,
        "expires_at": bag.use_by,
        "voided_at": bag.voided_at,
    }


def unblinded_fields(preparation: BagPreparation, thaw: Thaw | None) -> dict[str, Any]:
    """What went into the bag: for the pharmacist's answers and the sealed audit keys only."""
    return {
        "material": preparation.material,
        "lot_number": preparation.lot_number,
        "container_id": preparation.container_id,
        "thaw_id": thaw.thaw_id if thaw else None,
        "thawed_at": thaw.thawed_at if thaw else None,
        "drawn_volume_ml": preparation.drawn_volume_ml,
        "dose_viable_cells": preparation.dose_viable_cells,
        "witness": preparation.witness_username,
        "witnessed_at": preparation.witnessed_at,
    }


# ---- reading -------------------------------------------------------------------------------------------


def find_bag(session: Session, bag_id: str, *, lock: bool = False) -> Bag:
    wanted = (bag_id or "").strip().upper()
    if not is_bag_id(wanted):
        raise NotFound(
            f"{bag_id} is not a bag ID (wrong length, characters or check character)", code="bag_not_found"
        )
    missing = NotFound(N_("No bag has the ID %(bag)s"), params={"bag": wanted}, code="bag_not_found")
    return find_one(session, select(Bag).where(Bag.bag_id == wanted), missing, lock=lock)


def _preparation(session: Session, bag: Bag) -> tuple[BagPreparation, Thaw | None]:
    preparation = session.execute(select(BagPreparation).where(BagPreparation.bag_pk == bag.id)).scalar_one()
    thaw = session.get(Thaw, preparation.thaw_pk) if preparation.thaw_pk else None
    return preparation, thaw


def bag_view(session: Session, actor: Actor, bag: Bag, now: dt.datetime | None = None) -> dict[str, Any]:
    """The bag as this actor may see it: the preparation's facts only for an unblinded reader."""
    now = now or utcnow()
    view = {
        **blinded_fields(bag, now),
        "print_count": bag.print_count,
        "prepared_by": bag.prepared_by,
        # The same for every arm: they follow from the status, the quarantine, the use-by time and the role.
        "actions": bag_actions(bag, actor, now),
        "use_by_counts": rules.use_by_counts(bag.status, bag.use_by, now),
    }
    if not actor.unblinded:
        # The preparation is never even read for a blinded reader; the declaration guards the rest.
        return blinding.blinded_view("bag", view)
    preparation, thaw = _preparation(session, bag)
    return {
        **view,
        **unblinded_fields(preparation, thaw),
        "arm": allocation.arm_of(session, actor, bag.randomization_code),
        "qr_payload": bag.qr_payload,
        "void_reason": bag.void_reason,
    }


def get_bag(uow: UnitOfWork, actor: Actor, bag_id: str) -> dict[str, Any]:
    with uow:
        return bag_view(uow.session, actor, find_bag(uow.session, bag_id))


def latest_bag_of(session: Session, actor: Actor, participant_id: str) -> dict[str, Any] | None:
    bag = session.execute(
        select(Bag).where(Bag.participant_id == participant_id).order_by(Bag.id.desc()).limit(1)
    ).scalar_one_or_none()
    return bag_view(session, actor, bag) if bag is not None else None


def list_bags(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    with uow:
        now = utcnow()
        bags = uow.session.execute(
            select(Bag).order_by(Bag.prepared_at.desc(), Bag.id.desc()).limit(500)
        ).scalars()
        return [bag_view(uow.session, actor, bag, now) for bag in bags]


# ---- void ----------------------------------------------------------------------------------------------


def void_bag(uow: UnitOfWork, actor: Actor, bag_id: str, reason: str) -> dict[str, Any]:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(N_("A void needs a reason"), details={"reason": ["say why the bag is voided"]})
    with uow:
        session = uow.session
        bag = find_bag(session, bag_id, lock=True)
        if not rules.can_void(bag.status):
            raise Conflict(f"Bag {bag.bag_id} is {bag.status}: it cannot be voided", code=f"bag_{bag.status}")
        now = utcnow()
        before = bag.status
        bag.status, bag.voided_at, bag.void_reason = "voided", now, reason
        append_event(session, actor, "bag", bag.bag_id, "void", bag.location, at=now, note=reason)
        session.flush()
        record_event(
            session, actor, "void", "bag", bag.bag_id, before={"status": before},
            after={"status": "voided", "voided_at": now}, reason=reason,
        )  # fmt: skip
        # The deviation names the bag only: the void's reason may tell its arm.
        raise_automatic(session, actor, "voided_bag", {"bag_id": bag.bag_id}, "Bag voided", "void")
        uow.commit()
        return bag_view(session, actor, bag, now)
