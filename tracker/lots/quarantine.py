"""A container's quarantine after a temperature excursion of its storage unit, and QA's signed decision.

Storage (tracker/storage) finds the excursion and puts each container of the lab's store that was in the unit
during it in quarantine, in the transaction that opens its deviation. While it waits nothing may move it
(tracker.custody.services.ensure_not_quarantined). QA releases it back into the store or destroys it (a
discard in the lab), signing with its password and a meaning. Only containers in the lab's store are held:
what became of one already issued to the pharmacy is unblinded, and blinded QA may not learn it. The one
exception is a shipment's logger file read after its receipt (tracker/shipments): it holds whole kits still
unused in the pharmacy's stock, which QA releases there or destroys (a discard in the pharmacy)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.custody import rules as custody_rules
from tracker.custody import services as custody
from tracker.custody.models import ContainerQuarantine
from tracker.db import UnitOfWork, utcnow
from tracker.errors import Conflict, Invalid
from tracker.lots.containers import find_container
from tracker.lots.models import Container, Lot
from tracker.roles import Actor
from tracker.translation import N_
from tracker.users.services import LoginPolicy, reauthenticate

# What happens after QA releases a container, handed in by create_app: a container a shipment carried joins
# the pharmacy's stock with its kit (tracker/shipments), not the lab's store it left.
AfterRelease = Callable[[Session, Actor, Container, ContainerQuarantine], None]
_after_release: AfterRelease | None = None


def after_release_with(hook: AfterRelease) -> None:
    global _after_release
    _after_release = hook


DECISIONS = ("release", "destroy")
DECIDERS = ("qa",)
# Without a meaning the signature means this.
DEFAULT_MEANINGS = {
    "release": "I have reviewed the temperature excursion and release the container for use",
    "destroy": "I have reviewed the temperature excursion and decide that the container is destroyed",
}


def _view(held: ContainerQuarantine, lot_number: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "container_id": held.container_id, "lot_number": lot_number, "unit_id": held.unit_id,
        "excursion_start": held.excursion_start, "excursion_end": held.excursion_end,
        "deviation_id": held.deviation_id, "quarantined_at": held.quarantined_at,
        "waiting_hours": round((now - held.quarantined_at).total_seconds() / 3600, 1)
        if held.decision is None else None,
        "decision": held.decision, "reason": held.reason, "meaning": held.meaning,
        "decided_by": held.decided_by, "decided_by_name": held.decided_by_name, "decided_at": held.decided_at,
    }  # fmt: skip


def quarantine_in(
    session: Session,
    actor: Actor,
    container_id: str,
    unit_id: str,
    start: dt.datetime,
    end: dt.datetime,
    deviation_id: str | None,
    *,
    in_pharmacy: bool = False,
    location: str | None = None,
) -> bool:
    """Put a container in quarantine for an excursion, inside the caller's transaction: a custody event
    `quarantine` and an audit event. Nothing when it is not in the lab's store, is already in quarantine, or
    QA already decided on it for this excursion; True when it was put in quarantine.

    `in_pharmacy` holds one waiting unused in the pharmacy's stock instead (a shipment's logger file read
    after its receipt): the caller chooses only whole kits none of whose containers was used, so what is
    held tells blinded QA nothing of which material the pharmacy took.

    The container is looked for at every site: a unit's excursion reaches one that was in it then and has
    gone to a hospital since, out of the recording person's sight (it is not held: it left the store)."""
    container = find_container(session, container_id, everywhere=True)
    held_status = "issued" if in_pharmacy else "stored"
    if container.status != held_status or custody.open_quarantine(session, container.container_id):
        return False
    decided = session.execute(
        select(ContainerQuarantine.id).where(
            ContainerQuarantine.container_id == container.container_id,
            ContainerQuarantine.unit_id == unit_id, ContainerQuarantine.excursion_start == start,
        )
    ).first()  # fmt: skip
    if decided is not None:
        return False
    now = utcnow()
    location = location or "/".join((container.freezer, container.rack, container.box, container.position))
    note = f"Temperature excursion in storage unit {unit_id} from {start:%Y-%m-%d %H:%M} UTC"
    event = custody.append_event(
        session, actor, "container", container.container_id, "quarantine", location, at=now,
        not_before=container.created_at, note=note,
    )  # fmt: skip
    session.add(
        ContainerQuarantine(
            container_id=container.container_id, unit_id=unit_id, excursion_start=start, excursion_end=end,
            deviation_id=deviation_id, previous_status=container.status, quarantined_at=event.at,
        )
    )  # fmt: skip
    session.flush()
    record_event(
        session, actor, "quarantine", "container", container.container_id,
        before={"quarantined": False},
        after={"quarantined": True, "unit_id": unit_id, "excursion_start": start, "excursion_end": end,
               "deviation_id": deviation_id, "at": event.at},
        reason=note,
    )  # fmt: skip
    return True


def quarantined_containers(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """The containers waiting for QA's decision, the longest waiting first, with the hours each has waited."""
    with uow:
        now = utcnow()
        rows = uow.session.execute(
            select(ContainerQuarantine, Lot.lot_number)
            .join(Container, Container.container_id == ContainerQuarantine.container_id)
            .join(Lot, Lot.id == Container.lot_id)
            .where(ContainerQuarantine.decision.is_(None))
            .order_by(ContainerQuarantine.quarantined_at, ContainerQuarantine.id)
        ).all()
        return [_view(held, lot_number, now) for held, lot_number in rows]


def container_quarantines(uow: UnitOfWork, actor: Actor, container_id: str) -> list[dict[str, Any]]:
    """Every quarantine of one container, oldest first."""
    with uow:
        container = find_container(uow.session, container_id, lock=False)
        now = utcnow()
        rows = uow.session.execute(
            select(ContainerQuarantine)
            .where(ContainerQuarantine.container_id == container.container_id)
            .order_by(ContainerQuarantine.id)
        ).scalars()
        return [_view(held, container.lot.lot_number, now) for held in rows]


def decision_terms(decision: str, reason: str, meaning: str | None) -> tuple[str, str]:
    """(reason, meaning) of a signed decision, checked before the password is asked for: a reason is said,
    the decision is release or destroy, and a meaning left out is the decision's default one."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(N_("A quarantine decision needs a reason"), details={"reason": [N_("say why")]})
    if decision not in DECISIONS:
        raise Invalid(N_("Choose release or destroy"), details={"decision": ["release or destroy"]})
    return reason, (meaning or "").strip() or DEFAULT_MEANINGS[decision]


def decide_in(
    session: Session,
    actor: Actor,
    container: Container,
    held: ContainerQuarantine,
    decision: str,
    reason: str,
    meaning: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """QA's signed decision on one held container inside the caller's transaction (the caller has checked
    the terms, the password and locked the container): the decision, a discard when destroyed, its audit
    event, and what follows a release. The one copy: a container's decision and a shipment's use it."""
    held.decision, held.reason, held.meaning = decision, reason, meaning
    held.decided_by, held.decided_by_name, held.decided_at = actor.username, actor.full_name, now
    session.flush()
    if decision == "destroy":
        location = "/".join((container.freezer, container.rack, container.box, container.position))
        action = custody_rules.discard_move(container.status)  # held in the pharmacy's stock: discarded there
        custody.move_container_in(session, actor, container, action, location, at=now, note=reason)
    record_event(
        session, actor, f"quarantine_{decision}", "container", container.container_id,
        before={"quarantined": True, "status": held.previous_status},
        after={"quarantined": False, "status": container.status, "signed_by": actor.username,
               "signed_by_name": actor.full_name, "signed_at": now, "meaning": meaning,
               "unit_id": held.unit_id, "excursion_start": held.excursion_start},
        reason=reason,
    )  # fmt: skip
    if decision == "release" and _after_release is not None:
        _after_release(session, actor, container, held)
    return {**_view(held, container.lot.lot_number, now), "status": container.status}


def decide_quarantine(
    uow: UnitOfWork,
    actor: Actor,
    container_id: str,
    decision: str,
    reason: str,
    password: str,
    policy: LoginPolicy,
    meaning: str | None = None,
) -> dict[str, Any]:
    """QA's signed decision on a quarantined container: `release` returns it to the lab's store as it was;
    `destroy` discards it in the lab (a custody event). Signed with the password, a meaning and a reason."""
    reason, meaning = decision_terms(decision, reason, meaning)
    with uow:
        find_container(uow.session, container_id, lock=False)  # unknown: 404 before a password attempt
    reauthenticate(uow, actor, password, policy)
    with uow:
        session = uow.session
        container = find_container(session, container_id)
        held = custody.open_quarantine(session, container.container_id)
        if held is None:
            raise Conflict(
                N_("Container %(container)s is not in quarantine"),
                params={"container": container.container_id}, code="not_quarantined",
            )  # fmt: skip
        decided = decide_in(session, actor, container, held, decision, reason, meaning, utcnow())
        uow.commit()
        return decided
