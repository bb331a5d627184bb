"""Read-only storage figures for the temperature reports: a unit's readings over a period with their summary,
and the time out of range of every unit over a period, with the minutes each container that was in a unit
during an excursion spent out of range (its times in the unit from its creation, moves, issue or discard)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.custody.models import CustodyEvent
from tracker.db import UnitOfWork, utcnow
from tracker.lots.models import Container, Lot
from tracker.roles import Actor
from tracker.storage import rules, services
from tracker.storage.models import StorageMove, StorageUnit, TemperatureReading
from tracker.studies.services import current_study


def unit_temperatures(
    uow: UnitOfWork, actor: Actor, unit_id: str, since: dt.datetime | None, until: dt.datetime | None
) -> dict[str, Any]:
    """The unit over the period (default the last 7 days) as its page shows it, each reading marked in
    range or not, with the period's count, lowest, highest and mean °C."""
    unit = services.get_unit(uow, actor, unit_id, since, until)
    low, high = unit["min_temperature_c"], unit["max_temperature_c"]
    readings = [{**r, "in_range": rules.in_range(r["temperature_c"], low, high)} for r in unit["readings"]]
    summary = rules.reading_summary([r["temperature_c"] for r in readings])
    return {**unit, "readings": readings, "summary": summary}


def _presence(session: Session, unit_id: str) -> list[tuple[str, str, list]]:
    """(container ID, lot number, times in the unit) of every container that was ever in the unit."""
    moved = set(
        session.execute(
            select(StorageMove.container_id).where(
                (StorageMove.to_unit == unit_id) | (StorageMove.from_unit == unit_id)
            )
        ).scalars()
    )
    rows = session.execute(
        select(Container, Lot.lot_number)
        .join(Lot, Lot.id == Container.lot_id)
        .where((Container.freezer == unit_id) | Container.container_id.in_(moved or {""}))
        .order_by(Container.container_id)
    ).all()
    found = []
    for container, lot_number in rows:
        moves = session.execute(
            select(StorageMove.at, StorageMove.to_unit, StorageMove.from_unit)
            .where(StorageMove.container_id == container.container_id)
            .order_by(StorageMove.at, StorageMove.id)
        ).all()
        initial = moves[0][2] if moves else container.freezer
        left_at = session.execute(
            select(func.min(CustodyEvent.at)).where(
                CustodyEvent.subject_type == "container", CustodyEvent.subject_id == container.container_id,
                CustodyEvent.action.in_(("issue", "discard")),
            )
        ).scalar()  # fmt: skip
        intervals = rules.presence_intervals(
            container.created_at, initial, [(at, to) for at, to, _ in moves], left_at, unit_id
        )
        found.append((container.container_id, lot_number, intervals))
    return found


def time_out_of_range(
    uow: UnitOfWork, actor: Actor, since: dt.datetime | None, until: dt.datetime | None
) -> dict[str, Any]:
    """Every unit over the period (default the last 7 days): readings, excursions and minutes out of range,
    and each container that was in it during an excursion with the minutes it spent out of range."""
    with uow:
        session = uow.session
        now = utcnow()
        since, until = services.period(since, until, now)
        study = current_study(session)
        limit = study.storage_max_minutes_out_of_range
        units = []
        for unit in session.execute(select(StorageUnit).order_by(StorageUnit.unit_id)).scalars():
            low, high = study.storage_ranges.get(unit.kind, (None, None))
            readings = [
                (a, t)
                for a, t in session.execute(
                    select(TemperatureReading.at, TemperatureReading.temperature_c)
                    .where(
                        TemperatureReading.unit_id == unit.id,
                        TemperatureReading.at >= since, TemperatureReading.at <= until,
                    )
                    .order_by(TemperatureReading.at, TemperatureReading.id)
                )
            ]  # fmt: skip
            found = rules.excursions(readings, low, high)
            containers = []
            if found:
                for container_id, lot_number, intervals in _presence(session, unit.unit_id):
                    touched = [e for e in found if rules.overlaps(intervals, e.start, e.end)]
                    if touched:
                        containers.append({
                            "container_id": container_id, "lot_number": lot_number,
                            "excursions": len(touched),
                            "minutes_out_of_range": round(rules.minutes_exposed(intervals, touched), 1),
                        })  # fmt: skip
            units.append({
                "unit_id": unit.unit_id, "name": unit.name, "kind": unit.kind, "location": unit.location,
                "min_temperature_c": low, "max_temperature_c": high,
                "range_text": rules.range_text(low, high) if (low, high) != (None, None) else "",
                "readings": len(readings),
                "minutes_out_of_range": round(rules.minutes_out_of_range(found), 1),
                "excursions": [
                    {"start": e.start, "end": e.end, "minutes": round(e.minutes, 1), "min_c": e.min_c,
                     "max_c": e.max_c, "beyond_limit": limit is not None and e.minutes > limit}
                    for e in found
                ],
                "containers": containers,
            })  # fmt: skip
        return {"since": since, "until": until, "max_minutes_out_of_range": limit, "units": units}
