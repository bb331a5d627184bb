"""A lot's containers: finding one, how a reader may see it and its custody (a blinded reader sees it only in
the lab's store, in the pharmacy or discarded in the lab: tracker.blinding), what an issue may take, and the
hand-recorded issue or discard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tracker.blinding import (
    blinded_container_counts,
    container_status_for,
    custody_event_for,
    custody_for,
    is_unblinded,
)
from tracker.custody import rules as custody_rules
from tracker.custody import services as custody
from tracker.custody.models import ContainerQuarantine, CustodyEvent
from tracker.db import UnitOfWork, find_one, utcnow
from tracker.errors import Conflict, Invalid, NotFound
from tracker.lots import rules
from tracker.lots.models import Container, Lot
from tracker.roles import Actor
from tracker.studies.services import current_study
from tracker.translation import N_


def find_container(
    session: Session, container_id: str, *, lock: bool = True, everywhere: bool = False
) -> Container:
    """The container with this ID, locked for update by default, or NotFound; `everywhere`: at any site,
    whoever asks."""
    wanted = (container_id or "").strip().upper()
    if not rules.is_container_id(wanted):
        raise NotFound(
            N_("%(container)s is not a container ID (wrong length, characters or check character)"),
            params={"container": container_id},
            code="container_not_found",
        )
    query = select(Container).where(Container.container_id == wanted).execution_options(all_sites=everywhere)
    missing = NotFound(
        N_("No container has the ID %(container)s"), params={"container": wanted}, code="container_not_found"
    )
    return find_one(session, query, missing, lock=lock, of=Container)


def quarantined_ids() -> Select:
    """The IDs of the containers in quarantine awaiting QA's decision (a subquery)."""
    return select(ContainerQuarantine.container_id).where(ContainerQuarantine.decision.is_(None))


def shipped_ids() -> Select:
    """The IDs of the containers that left the lab's store in a shipment (custody event `ship`): whatever
    their stored status, they are not in the lab's store for an issue or another shipment (a subquery)."""
    return select(CustodyEvent.subject_id).where(
        CustodyEvent.subject_type == "container", CustodyEvent.action == "ship"
    )


def container_record(container: Container) -> dict[str, Any]:
    return {
        "container_id": container.container_id,
        "status": container.status,
        "freezer": container.freezer,
        "rack": container.rack,
        "box": container.box,
        "position": container.position,
    }


def container_view(container: Container, role: str) -> dict[str, Any]:
    """The container as `role` may see it: a blinded reader gets its place, not what the pharmacy did."""
    return {
        **container_record(container), "status": container_status_for(role, container.status),
        "site": container.site_code,
    }  # fmt: skip


def containers_by_status(containers: list[Container], role: str) -> dict[str, int]:
    """Counts of the lot's containers: by stored status for unblinded roles; else in the lab's store, in the
    pharmacy and discarded in the lab only, which nothing the pharmacy does can move."""
    if is_unblinded(role):
        return {s: sum(1 for c in containers if c.status == s) for s in custody_rules.CONTAINER_STATUSES}
    return blinded_container_counts(c.status for c in containers)


def container_custody(uow: UnitOfWork, actor: Actor, container_id: str) -> list[dict[str, Any]]:
    """The container's custody as the actor may see it: for a blinded reader it ends at the issue."""
    with uow:
        container = find_container(uow.session, container_id, lock=False)
        events = custody.events_of(uow.session, "container", container.container_id)
        return custody_for(actor.role, "container", events)


def stored_containers(uow: UnitOfWork, actor: Actor, material: str | None = None) -> list[dict[str, Any]]:
    """Containers in the lab's store of usable lots (released, not recalled, not expired), oldest lot first
    and in box order: what an issue to the pharmacy may take."""
    with uow:
        now = utcnow()
        query = (
            select(Container, Lot)
            .join(Lot, Lot.id == Container.lot_id)
            .where(Container.status == "stored", Lot.status == "released", Lot.expires_at > now)
            .where(Container.container_id.not_in(quarantined_ids()))
            .where(Container.container_id.not_in(shipped_ids()))
            .order_by(Lot.id, Container.id)
        )
        if material:
            query = query.where(Lot.material == material)
        return [
            {**container_view(container, actor.role), "lot_number": lot.lot_number, "material": lot.material}
            for container, lot in uow.session.execute(query).all()
        ]


def issue_choices(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """What an issue to the pharmacy may take, for the issue forms: the study's issue kit (None: one container
    at a time), the containers in store of usable lots by material, and those lots with their counts."""
    with uow:
        issue_kit = current_study(uow.session).issue_kit
    stored = stored_containers(uow, actor)
    lots: dict[str, dict[str, int]] = {}
    for c in stored:
        in_store = lots.setdefault(c["material"], {})
        in_store[c["lot_number"]] = in_store.get(c["lot_number"], 0) + 1
    materials = list(issue_kit) if issue_kit else sorted({c["material"] for c in stored})
    by_material = {m: sum(1 for c in stored if c["material"] == m) for m in materials}
    return {
        "issue_kit": issue_kit,
        "materials": materials,
        "whole_kit_in_store": bool(issue_kit) and all(by_material[m] >= n for m, n in issue_kit.items()),
        "stored": {m: [c for c in stored if c["material"] == m] for m in materials},
        "lots": {m: list(lots.get(m, {}).items()) for m in materials},  # oldest lot first
    }


def issue_container_in(
    session: Session,
    actor: Actor,
    container: Container,
    location: str,
    *,
    at: dt.datetime | None = None,
    note: str | None = None,
    audit_after: dict[str, Any] | None = None,
) -> CustodyEvent:
    """Issue a stored container to `location` (the pharmacy) inside the caller's transaction: refuses an
    unusable lot (`lot_not_released`, `lot_expired`, `lot_recalled`) or a container not in store
    (`action_out_of_order`); records the custody event and its audit event (with `audit_after`, the kit)."""
    rules.ensure_lot_usable(container.lot, utcnow())
    return custody.move_container_in(
        session, actor, container, "issue", location, at=at, note=note, audit_after=audit_after
    )


def handoff_container(
    uow: UnitOfWork,
    actor: Actor,
    container_id: str,
    action: str,
    location: str,
    *,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> dict[str, Any]:
    """A hand-recorded move of a container: `issue` from store to the pharmacy (a study with an issue kit
    takes whole kits only: tracker.stock), or `discard` (with why): in the lab's store a `discard`, in the
    pharmacy's stock a `discard_in_pharmacy`, which only the (unblinded) pharmacy records."""
    note = (note or "").strip() or None
    if action == "discard" and note is None:
        raise Invalid(
            N_("A discard needs a note saying why"),
            details={"note": [N_("say why the container is discarded")]},
        )
    with uow:
        session = uow.session
        container = find_container(session, container_id)
        if action == "issue":
            issue_kit = current_study(session).issue_kit
            if issue_kit:
                raise Conflict(
                    N_(
                        "This study issues containers to the pharmacy only in whole kits: issue container "
                        "%(container)s together with the rest of its kit (POST /containers/issue, or the kit "
                        "issue page)"
                    ),
                    params={"container": container.container_id},
                    code="issue_as_kit",
                    details={"container_id": container.container_id, "issue_kit": dict(issue_kit)},
                )
            event = issue_container_in(session, actor, container, location, at=at, note=note)
        else:
            move = custody_rules.discard_move(container.status)
            if move == "discard_in_pharmacy" and not actor.unblinded:
                # The lab learns only that the container is in the pharmacy, whatever became of it there.
                raise Conflict(
                    custody_rules.container_move_refusal(container.container_id, "in_pharmacy", action),
                    code="action_out_of_order",
                    details={"status": "in_pharmacy", "action": action},
                )
            event = custody.move_container_in(session, actor, container, move, location, at=at, note=note)
        uow.commit()
        return {
            **custody_event_for(actor.role, custody.event_view(event)),
            "container": {**container_view(container, actor.role), "lot_number": container.lot.lot_number},
        }
