"""Bag accountability: where every prepared bag ended up, reconciled per site and per lot."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import select

from tracker import blinding
from tracker.audit.services import chain_head
from tracker.custody.models import CustodyEvent
from tracker.db import UnitOfWork, utcnow
from tracker.pharmacy.models import Bag, BagPreparation
from tracker.roles import Actor
from tracker.ward.models import Infusion

# The statuses a bag is counted under, in report order; every bag is in exactly one.
STATUSES = ("in stock", "in transit", "received", "infused", "destroyed", "expired", "voided")
_BY_STORED = {
    "prepared": "in stock",
    "returned": "in stock",
    "dispatched": "in transit",
    "received": "received",
}
# The statuses a bag may end in; the others are still open.
FINAL = ("infused", "destroyed", "expired", "voided")


def accountability_status(stored: str, use_by: dt.datetime, now: dt.datetime) -> str:
    if stored in _BY_STORED:
        return "expired" if use_by <= now else _BY_STORED[stored]
    return stored  # infused, destroyed, expired, voided


def _custody_times(session: Any) -> dict[str, dict[str, Any]]:
    """Per bag: the last time of each handoff, and who destroyed it and why."""
    times: dict[str, dict[str, Any]] = {}
    rows = session.execute(
        select(CustodyEvent).where(CustodyEvent.subject_type == "bag").order_by(CustodyEvent.id)
    ).scalars()
    for event in rows:
        bag = times.setdefault(event.subject_id, {})
        bag[f"{event.action}_at"] = event.at
        if event.action == "destroy":
            bag["destroy_reason"], bag["destroyed_by_role"] = event.note, event.role
    return times


def accountability(uow: UnitOfWork, actor: Actor, site: str) -> dict[str, Any]:
    """Every bag with its status and times, and per site the counts that must add up to what was prepared."""
    now = utcnow()
    with uow:
        session = uow.session
        head_seq, head_hash = chain_head(session)
        custody = _custody_times(session)
        infusions = {i.bag_pk: i for i in session.execute(select(Infusion)).scalars()}
        lots = (
            {pk: lot for pk, lot in session.execute(select(BagPreparation.bag_pk, BagPreparation.lot_number))}
            if actor.unblinded
            else {}
        )
        items = []
        for bag in session.execute(select(Bag).order_by(Bag.prepared_at, Bag.id)).scalars():
            times = custody.get(bag.bag_id, {})
            infusion = infusions.get(bag.id)
            # A reason an unblinded writer gave may say what is in the bag: blinded readers do not get it.
            reason_hidden = not actor.unblinded and blinding.note_is_unblinded(
                "bag", times.get("destroyed_by_role") or ""
            )
            row = {
                "site": site,
                "bag_id": bag.bag_id,
                "participant_id": bag.participant_id,
                "randomization_code": bag.randomization_code,
                "status": accountability_status(bag.status, bag.use_by, now),
                "location": bag.location,
                "prepared_at": bag.prepared_at,
                "use_by": bag.use_by,
                "dispatched_at": times.get("dispatch_at"),
                "received_at": times.get("receive_at"),
                "infusion_started_at": infusion.started_at if infusion else None,
                "infusion_completed_at": infusion.completed_at if infusion else None,
                "volume_infused_ml": infusion.volume_infused_ml if infusion else None,
                "destroyed_at": times.get("destroy_at"),
                "destroy_reason": None if reason_hidden else times.get("destroy_reason"),
                "voided_at": bag.voided_at,
            }
            if actor.unblinded:
                row["lot_number"] = lots.get(bag.id)
            items.append(row)
    answer: dict[str, Any] = {
        "generated_at": now,
        "generated_by": actor.username,
        "audit_head": {"seq": head_seq, "hash": head_hash},
        "sites": [_reconcile(site, items, "site")],
        "items": items,
    }
    if actor.unblinded:
        answer["lots"] = [
            _reconcile(lot, [i for i in items if i["lot_number"] == lot], "lot_number")
            for lot in sorted({i["lot_number"] for i in items})
        ]
    return answer


def _reconcile(name: str, items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    counts = Counter(i["status"] for i in items)
    by_status = {status.replace(" ", "_"): counts.get(status, 0) for status in STATUSES}
    return {
        key: name,
        "prepared": len(items),
        **by_status,
        "open": sum(counts.get(s, 0) for s in STATUSES if s not in FINAL),
        "reconciled": sum(by_status.values()) == len(items),
    }
