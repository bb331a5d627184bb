"""Recording a thaw of a container of the pharmacy's stock: judges usability, one audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.checkchar import is_random_id, new_random_id
from tracker.custody import rules as custody_rules
from tracker.db import UnitOfWork, utcnow
from tracker.doses import rules as dose_rules
from tracker.errors import Conflict, Invalid, NotFound
from tracker.lots.services import find_container
from tracker.roles import Actor
from tracker.stock.services import PHARMACY, take_from_stock
from tracker.studies.services import current_study
from tracker.thaws.models import Thaw
from tracker.timing import check_happened

__all__ = ["PHARMACY", "drawn_from", "find_thaw", "get_thaw", "list_open_thaws", "record_thaw"]
THAW_PREFIX, THAW_BODY = "T", 9


def thaw_view(thaw: Thaw, window_minutes: int, drawn_ml: float = 0.0) -> dict[str, Any]:
    return {
        "thaw_id": thaw.thaw_id,
        "container_id": thaw.container.container_id,
        "lot_number": thaw.container.lot.lot_number,
        "viable_cells_per_ml": thaw.viable_cells_per_ml,
        "viability_percent": thaw.viability_percent,
        "volume_ml": thaw.volume_ml,
        "available_ml": round(thaw.volume_ml - drawn_ml, 3),
        "thawed_at": thaw.thawed_at,
        "usable": thaw.usable,
        "reasons": list(thaw.reasons),
        # After this a bag may no longer be prepared from it.
        "expires_at": thaw.thawed_at + dt.timedelta(minutes=window_minutes),
        "recorded_by": thaw.recorded_by,
    }


def record_thaw(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    now = utcnow()
    thawed_at = data.get("thawed_at") or now
    with uow:
        session = uow.session
        study = current_study(session)
        container = find_container(session, data["container_id"])
        if container.lot.material != "ucmsc":
            raise Conflict(
                f"Container {container.container_id} holds vehicle, not cells: it is not thawed",
                code="not_a_cell_container",
            )
        if container.status in ("thawed", "used", "discarded", "discarded_in_pharmacy"):
            done = "discarded" if container.status.startswith("discarded") else container.status
            raise Conflict(
                f"Container {container.container_id} is already "
                f"{custody_rules.CONTAINER_STATUS_WORDS[container.status]}",
                code=f"container_{done}",
            )
        if data["volume_ml"] > container.lot.volume_ml_per_container:
            raise Invalid(
                "The thawed volume exceeds what the container holds",
                details={"volume_ml": [f"at most {container.lot.volume_ml_per_container:g} mL"]},
            )
        check_happened(
            "thawed_at", thawed_at, now, not_before=container.lot.manufactured_at, what_before="manufacture"
        )
        take_from_stock(session, actor, container, "thaw", at=thawed_at, audited=False)
        reasons = dose_rules.thaw_unusable_reasons(study, data["viability_percent"])
        thaw = Thaw(
            thaw_id=_new_thaw_id(session),
            container=container,
            viable_cells_per_ml=data["viable_cells_per_ml"],
            viability_percent=data["viability_percent"],
            volume_ml=data["volume_ml"],
            thawed_at=thawed_at,
            usable=not reasons,
            reasons=reasons,
            recorded_by=actor.username,
            recorded_at=now,
        )
        session.add(thaw)
        session.flush()
        view = thaw_view(thaw, study.thaw_to_preparation_minutes)
        # One event for the thaw and its container's moves: hidden from blinded readers (audit rules).
        record_event(
            session, actor, "thaw", "thaw", thaw.thaw_id,
            after={**view, "container_status": container.status},
        )  # fmt: skip
        uow.commit()
        return view


def _new_thaw_id(session: Session) -> str:
    while True:
        candidate = new_random_id(THAW_PREFIX, THAW_BODY)
        if session.execute(select(Thaw.id).where(Thaw.thaw_id == candidate)).first() is None:
            return candidate


def find_thaw(session: Session, thaw_id: str, *, lock: bool = False) -> Thaw:
    wanted = (thaw_id or "").strip().upper()
    if not is_random_id(wanted, THAW_PREFIX, THAW_BODY):
        raise NotFound(f"{thaw_id} is not a thaw ID", code="thaw_not_found")
    query = select(Thaw).where(Thaw.thaw_id == wanted)
    if lock:
        query = query.with_for_update(of=Thaw)
    thaw = session.execute(query).scalar_one_or_none()
    if thaw is None:
        raise NotFound(f"No thaw has the ID {wanted}", code="thaw_not_found")
    return thaw


def drawn_from(session: Session, thaw: Thaw) -> float:
    """Suspension already drawn into bags that still count (a voided bag gives its draw back)."""
    from tracker.doses.models import Bag, BagPreparation

    return float(
        session.execute(
            select(func.coalesce(func.sum(BagPreparation.drawn_volume_ml), 0.0))
            .join(Bag, Bag.id == BagPreparation.bag_pk)
            .where(BagPreparation.thaw_pk == thaw.id, Bag.status != "voided")
        ).scalar_one()
    )


def get_thaw(uow: UnitOfWork, thaw_id: str) -> dict[str, Any]:
    with uow:
        study = current_study(uow.session)
        thaw = find_thaw(uow.session, thaw_id)
        return thaw_view(thaw, study.thaw_to_preparation_minutes, drawn_from(uow.session, thaw))


def list_open_thaws(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Usable thaws whose preparation window is still open, newest first (the pharmacy worklist)."""
    with uow:
        study = current_study(uow.session)
        since = utcnow() - dt.timedelta(minutes=study.thaw_to_preparation_minutes)
        thaws = uow.session.execute(
            select(Thaw).where(Thaw.usable, Thaw.thawed_at >= since).order_by(Thaw.thawed_at.desc())
        ).scalars()
        return [thaw_view(t, study.thaw_to_preparation_minutes, drawn_from(uow.session, t)) for t in thaws]
