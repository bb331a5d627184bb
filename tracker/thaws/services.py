"""Recording a thaw of a container of the pharmacy's stock: judges usability, one audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.checkchar import is_random_id, new_random_id
from tracker.custody import rules as custody_rules
from tracker.db import UnitOfWork, find_one, unused_id, utcnow
from tracker.errors import Conflict, Invalid, NotFound
from tracker.lots.containers import find_container
from tracker.roles import Actor
from tracker.stock.services import PHARMACY, take_from_stock
from tracker.studies.services import current_study
from tracker.thaws import rules
from tracker.thaws.models import Thaw
from tracker.timing import check_happened
from tracker.translation import N_

__all__ = ["PHARMACY", "count_draws_with", "find_thaw", "get_thaw", "list_open_thaws", "record_thaw"]
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
                N_("Container %(container)s holds vehicle, not cells: it is not thawed"),
                params={"container": container.container_id},
                code="not_a_cell_container",
            )
        if container.status in ("thawed", "used", "discarded", "discarded_in_pharmacy"):
            done = "discarded" if container.status.startswith("discarded") else container.status
            raise Conflict(
                N_("Container %(container)s is already %(status)s"),
                params={
                    "container": container.container_id,
                    "status": custody_rules.CONTAINER_STATUS_WORDS[container.status],
                },
                code=f"container_{done}",
            )
        if data["volume_ml"] > container.lot.volume_ml_per_container:
            raise Invalid(
                N_("The thawed volume exceeds what the container holds"),
                details={"volume_ml": [f"at most {container.lot.volume_ml_per_container:g} mL"]},
            )
        check_happened(
            "thawed_at", thawed_at, now, not_before=container.lot.manufactured_at, what_before="manufacture"
        )
        take_from_stock(session, actor, container, "thaw", at=thawed_at, audited=False)
        reasons = rules.thaw_unusable_reasons(study, data["viability_percent"])
        thaw = Thaw(
            thaw_id=unused_id(session, Thaw.thaw_id, lambda: new_random_id(THAW_PREFIX, THAW_BODY)),
            site_code=container.site_code,
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


def find_thaw(session: Session, thaw_id: str, *, lock: bool = False) -> Thaw:
    wanted = (thaw_id or "").strip().upper()
    if not is_random_id(wanted, THAW_PREFIX, THAW_BODY):
        raise NotFound(N_("%(thaw)s is not a thaw ID"), params={"thaw": thaw_id}, code="thaw_not_found")
    missing = NotFound(N_("No thaw has the ID %(thaw)s"), params={"thaw": wanted}, code="thaw_not_found")
    return find_one(session, select(Thaw).where(Thaw.thaw_id == wanted), missing, lock=lock, of=Thaw)


# What has been drawn from a thaw is recorded with the bags (doses, a feature above this one): create_app
# hands in how to sum it, so that thaws imports nothing of doses.
_DRAWN: dict[str, Callable[[Session, Thaw], float]] = {}


def count_draws_with(drawn_from: Callable[[Session, Thaw], float]) -> None:
    _DRAWN["from"] = drawn_from


def drawn_from(session: Session, thaw: Thaw) -> float:
    return _DRAWN["from"](session, thaw)


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
