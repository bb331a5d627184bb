"""Creating a lot: the lot in quarantine with its containers in the lab's store, each in a box position."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.db import UnitOfWork, conflict_on_integrity_error, utcnow
from tracker.errors import Conflict, Invalid
from tracker.lots import rules
from tracker.lots.containers import container_record
from tracker.lots.models import Container, Lot
from tracker.lots.records import lot_view
from tracker.roles import Actor
from tracker.sites import rules as site_rules
from tracker.sites.scope import ALL_SITES
from tracker.sites.services import choose_site
from tracker.studies.services import current_study
from tracker.translation import N_

DEFAULT_FREEZER = "LN2-01"
DEFAULT_RACK = "R1"


def _new_container_ids(session: Session, count: int) -> list[str]:
    ids: set[str] = set()
    while len(ids) < count:
        candidates = {
            rules.container_id_from(
                "".join(
                    secrets.choice(rules.CONTAINER_ID_ALPHABET)
                    for _ in range(rules.CONTAINER_ID_RANDOM_LENGTH)
                )
            )
            for _ in range(count - len(ids))
        }
        # At every site: an ID is the trial's, and the lab's person does not see what a hospital received.
        taken = set(
            session.execute(
                select(Container.container_id).where(Container.container_id.in_(candidates)),
                execution_options=ALL_SITES,
            ).scalars()
        )
        ids |= candidates - taken
    return sorted(ids)


def _places(
    session: Session, lot_number: str, count: int, storage: dict[str, Any]
) -> list[tuple[str, str, str, str]]:
    freezer = storage.get("freezer") or DEFAULT_FREEZER
    rack = storage.get("rack") or DEFAULT_RACK
    box = storage.get("box")
    if not box:
        # A box of its own per lot: boxes named after the lot, numbered when one is not enough.
        layout = rules.box_layout(count)
        several = layout[-1][0] > 1
        return [(freezer, rack, f"{lot_number}-{n}" if several else lot_number, pos) for n, pos in layout]
    occupied = set(
        session.execute(
            select(Container.position).where(
                Container.freezer == freezer, Container.rack == rack, Container.box == box,
                Container.status == "stored",
            )
        ).scalars()
    )  # fmt: skip
    free = [pos for _, pos in rules.box_layout(rules.BOX_SIZE) if pos not in occupied]
    if len(free) < count:
        raise Conflict(
            N_("Box %(box)s in %(freezer)s/%(rack)s has %(free)s free positions, not %(count)s"),
            params={"box": box, "freezer": freezer, "rack": rack, "free": len(free), "count": count},
            code="box_full",
            details={"free_positions": len(free), "container_count": count},
        )
    return [(freezer, rack, box, pos) for pos in free[:count]]


def create_lot(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """A lot in quarantine with its containers in store; `data` is the validated request."""
    lot_number = rules.normalise_lot_number(data["lot_number"])
    now = utcnow()
    problems = rules.lot_time_problems(data["manufactured_at"], data["expires_at"], now)
    if problems:
        raise Invalid(N_("The lot's times are not possible"), details=problems)
    with uow:
        session = uow.session
        study = current_study(session)
        if data["material"] not in study.qc_tests:
            raise Invalid(
                N_("The study defines no QC tests for this material"),
                details={"material": [f"must be one of: {', '.join(study.qc_tests)}"]},
            )
        exists = Conflict(N_("Lot %(lot)s already exists"), params={"lot": lot_number}, code="lot_exists")
        if session.execute(
            select(Lot.id).where(Lot.lot_number == lot_number), execution_options=ALL_SITES
        ).first():
            raise exists
        site = choose_site(session, actor, data.get("site"), site_rules.MAKES, "a lot")
        count = data["container_count"]
        lot = Lot(
            site_code=site,
            lot_number=lot_number,
            material=data["material"],
            status="quarantine",
            manufactured_at=data["manufactured_at"],
            expires_at=data["expires_at"],
            container_count=count,
            volume_ml_per_container=data["volume_ml_per_container"],
            cells_per_container=data.get("cells_per_container"),
            donor_code=data.get("donor_code"),
            cell_bank=data.get("cell_bank"),
            passage=data.get("passage"),
            created_at=now,
            created_by=actor.username,
        )
        session.add(lot)
        places = _places(session, lot_number, count, data.get("storage") or {})
        ids = _new_container_ids(session, count)
        containers = [
            Container(
                container_id=cid, lot=lot, status="stored", site_code=site,
                freezer=freezer, rack=rack, box=box, position=position, created_at=now,
            )
            for cid, (freezer, rack, box, position) in zip(ids, places, strict=True)
        ]  # fmt: skip
        session.add_all(containers)
        with conflict_on_integrity_error(exists):
            session.flush()
        record_event(
            session, actor, "create", "lot", lot_number,
            after={
                "material": lot.material, "status": lot.status, "site": site,
                "manufactured_at": lot.manufactured_at, "expires_at": lot.expires_at,
                "container_count": count, "volume_ml_per_container": lot.volume_ml_per_container,
                "cells_per_container": lot.cells_per_container, "donor_code": lot.donor_code,
                "cell_bank": lot.cell_bank, "passage": lot.passage,
            },
        )  # fmt: skip
        for container in containers:
            record_event(
                session, actor, "create", "container", container.container_id,
                after={"lot_number": lot_number, **container_record(container)},
            )  # fmt: skip
        view = lot_view(study, lot, now, actor.role)
        uow.commit()
        return view
