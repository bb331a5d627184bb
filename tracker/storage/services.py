"""Storage use cases: create a unit, move a container into a unit's position (a custody event), record
temperature readings (posted by a device or imported from a logger's file, all or nothing), read a unit
with its time out of range, open a deviation for an excursion beyond the study's limit, and the watch that
raises an alarm when a unit falls silent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.custody import services as custody
from tracker.custody.models import CustodyEvent
from tracker.db import UnitOfWork, find_one, utcnow
from tracker.deviations.models import Deviation
from tracker.deviations.services import raise_automatic
from tracker.errors import Conflict, Invalid, NotFound
from tracker.lots.containers import find_container, quarantined_ids
from tracker.lots.models import Container, Lot
from tracker.lots.quarantine import quarantine_in
from tracker.notifications.services import queue_notification
from tracker.roles import SYSTEM, Actor
from tracker.sites import rules as site_rules
from tracker.sites.scope import ALL_SITES
from tracker.sites.services import choose_site
from tracker.storage import rules
from tracker.storage.models import StorageMove, StorageUnit, TemperatureReading
from tracker.studies.services import current_study
from tracker.translation import N_

DEFAULT_DAYS_SHOWN = 7
ALARM_AUDIENCES = ("gmp", "qa")


# ---- reading -------------------------------------------------------------------------------------------


def _unit(session: Session, unit_id: str, *, lock: bool = False, everywhere: bool = False) -> StorageUnit:
    """The unit with this ID; `everywhere`: at any site, whoever asks."""
    wanted = rules.normal_unit_id(unit_id)
    missing = NotFound(
        N_("No storage unit has the ID %(id)s"), params={"id": unit_id}, code="storage_unit_not_found"
    )
    query = select(StorageUnit).where(StorageUnit.unit_id == wanted).execution_options(all_sites=everywhere)
    return find_one(session, query, missing, lock=lock)


def _range(session: Session, kind: str) -> tuple[float | None, float | None]:
    return current_study(session).storage_ranges.get(kind, (None, None))


def _record(unit: StorageUnit) -> dict[str, Any]:
    return {
        "unit_id": unit.unit_id, "name": unit.name, "kind": unit.kind, "location": unit.location,
        "site": unit.site_code,
    }  # fmt: skip


def _latest(session: Session, unit: StorageUnit) -> tuple[dt.datetime, float] | None:
    row = session.execute(
        select(TemperatureReading.at, TemperatureReading.temperature_c)
        .where(TemperatureReading.unit_id == unit.id)
        .order_by(TemperatureReading.at.desc(), TemperatureReading.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def _unit_view(session: Session, unit: StorageUnit, now: dt.datetime) -> dict[str, Any]:
    low, high = _range(session, unit.kind)
    latest = _latest(session, unit)
    silent = current_study(session).storage_max_minutes_silent
    return {
        **_record(unit),
        "min_temperature_c": low, "max_temperature_c": high, "range_text": rules.range_text(low, high)
        if (low, high) != (None, None) else "",
        "latest_at": latest[0] if latest else None, "latest_temperature_c": latest[1] if latest else None,
        "status": rules.status_of(latest, low, high, now, silent),
        "created_at": unit.created_at, "created_by": unit.created_by,
    }  # fmt: skip


def list_units(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    with uow:
        now = utcnow()
        units = uow.session.execute(select(StorageUnit).order_by(StorageUnit.unit_id)).scalars()
        return [_unit_view(uow.session, u, now) for u in units]


def _readings(
    session: Session, unit: StorageUnit, since: dt.datetime | None, until: dt.datetime | None
) -> list[tuple[dt.datetime, float]]:
    query = select(TemperatureReading.at, TemperatureReading.temperature_c).where(
        TemperatureReading.unit_id == unit.id
    )
    if since is not None:
        query = query.where(TemperatureReading.at >= since)
    if until is not None:
        query = query.where(TemperatureReading.at <= until)
    return [(a, t) for a, t in session.execute(query.order_by(TemperatureReading.at, TemperatureReading.id))]


def _contents(session: Session, unit: StorageUnit) -> list[dict[str, Any]]:
    """The containers in the unit now: in the lab's store with the unit's ID as their freezer (once issued,
    a container has left storage)."""
    rows = session.execute(
        select(Container, Lot.lot_number)
        .join(Lot, Lot.id == Container.lot_id)
        .where(Container.freezer == unit.unit_id, Container.status == "stored")
        .order_by(Container.rack, Container.box, Container.position)
    ).all()
    held = set(session.execute(quarantined_ids()).scalars())
    return [
        {"container_id": c.container_id, "lot_number": lot, "rack": c.rack, "box": c.box,
         "position": c.position, "quarantined": c.container_id in held}
        for c, lot in rows
    ]  # fmt: skip


def period(since: dt.datetime | None, until: dt.datetime | None, now: dt.datetime) -> tuple:
    until = until or now
    return since or until - dt.timedelta(days=DEFAULT_DAYS_SHOWN), until


def get_unit(
    uow: UnitOfWork,
    actor: Actor,
    unit_id: str,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> dict[str, Any]:
    """The unit with its readings over the period (default the last 7 days), its excursions and time out
    of range, and its contents."""
    with uow:
        session = uow.session
        unit = _unit(session, unit_id)
        now = utcnow()
        since, until = period(since, until, now)
        low, high = _range(session, unit.kind)
        readings = _readings(session, unit, since, until)
        found = rules.excursions(readings, low, high)
        limit = current_study(session).storage_max_minutes_out_of_range
        return {
            **_unit_view(session, unit, now),
            "since": since, "until": until,
            "readings": [{"at": a, "temperature_c": t} for a, t in readings],
            "excursions": [
                {"start": e.start, "end": e.end, "minutes": round(e.minutes, 1), "min_c": e.min_c,
                 "max_c": e.max_c, "beyond_limit": limit is not None and e.minutes > limit}
                for e in found
            ],
            "minutes_out_of_range": round(rules.minutes_out_of_range(found), 1),
            "max_minutes_out_of_range": limit,
            "contents": _contents(session, unit),
        }  # fmt: skip


# ---- units ---------------------------------------------------------------------------------------------


def create_unit(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    unit_id = rules.normal_unit_id(data["unit_id"])
    if not rules.is_unit_id(unit_id):
        raise Invalid(N_("The unit ID may hold letters, digits, '.', '_' and '-'"),
                      details={"unit_id": ["1–40 letters, digits, '.', '_' or '-'"]})  # fmt: skip
    with uow:
        session = uow.session
        if data["kind"] not in current_study(session).storage_ranges:
            raise Invalid(
                N_("The study sets no temperature range for this kind of unit: it cannot be created"),
                code="no_storage_range", details={"kind": ["the study sets no range for this kind"]},
            )  # fmt: skip
        taken = select(StorageUnit.id).where(StorageUnit.unit_id == unit_id)
        if session.execute(taken, execution_options=ALL_SITES).first():
            raise Conflict(N_("A storage unit with the ID %(id)s exists"), params={"id": unit_id},
                           code="storage_unit_exists")  # fmt: skip
        # The GMP lab's units are at a manufacturing site; the pharmacy's fridges at a clinical one.
        kinds = site_rules.MAKES if actor.role in ("gmp", "qa") else site_rules.TREATS
        site = choose_site(session, actor, data.get("site"), kinds, "a storage unit")
        unit = StorageUnit(
            site_code=site,
            unit_id=unit_id, name=data["name"].strip(), kind=data["kind"], location=data["location"].strip(),
            created_at=utcnow(), created_by=actor.username,
        )  # fmt: skip
        session.add(unit)
        session.flush()
        record_event(session, actor, "create", "storage_unit", unit.unit_id, after=_record(unit))
        uow.commit()
        return _unit_view(session, unit, utcnow())


# ---- moves ---------------------------------------------------------------------------------------------


def move_container(uow: UnitOfWork, actor: Actor, unit_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Move a container in the lab's store into a unit's rack, box and slot: its place is updated, a
    custody event `move` and an audit event are recorded. A slot already taken: 409."""
    place = {k: data[k].strip().upper() for k in ("rack", "box", "position")}
    with uow:
        session = uow.session
        unit = _unit(session, unit_id)
        container = find_container(session, data["container_id"])
        if container.site_code != unit.site_code:
            raise Conflict(
                N_("Container %(container)s is at site %(site)s, the unit at %(unit_site)s: ship it first"),
                params={"container": container.container_id, "site": container.site_code,
                        "unit_site": unit.site_code}, code="other_site",
            )  # fmt: skip
        custody.ensure_not_quarantined(session, container.container_id, "move")
        if container.status != "stored":
            raise Conflict(
                N_("Container %(container)s is not in the GMP lab's store: it cannot be moved"),
                params={"container": container.container_id}, code="not_in_store",
            )  # fmt: skip
        taken = session.execute(
            select(Container.container_id).where(
                Container.freezer == unit.unit_id, Container.rack == place["rack"],
                Container.box == place["box"], Container.position == place["position"],
                Container.status == "stored", Container.id != container.id,
            )
        ).first()  # fmt: skip
        if taken is not None:
            raise Conflict(
                N_("Slot %(position)s of box %(box)s is taken by container %(other)s"),
                params={**place, "other": taken[0]}, code="slot_taken",
            )  # fmt: skip
        before = {"freezer": container.freezer, "rack": container.rack, "box": container.box,
                  "position": container.position}  # fmt: skip
        location = f"{unit.unit_id}/{place['rack']}/{place['box']}/{place['position']}"
        event = custody.append_event(
            session, actor, "container", container.container_id, "move", location, at=data.get("at"),
            not_before=container.created_at, note=(data.get("note") or "").strip() or None,
        )  # fmt: skip
        container.freezer, container.rack = unit.unit_id, place["rack"]
        container.box, container.position = place["box"], place["position"]
        session.add(
            StorageMove(
                container_id=container.container_id, from_unit=before["freezer"], to_unit=unit.unit_id,
                **place, at=event.at, username=actor.username,
            )
        )  # fmt: skip
        after = {"freezer": unit.unit_id, **place}
        record_event(
            session, actor, "move", "container", container.container_id, before=before,
            after={**after, "at": event.at}, reason=event.note,
        )  # fmt: skip
        uow.commit()
        return {"container_id": container.container_id, "lot_number": container.lot.lot_number,
                "unit_id": unit.unit_id, **place, "at": event.at}  # fmt: skip


# ---- readings ------------------------------------------------------------------------------------------


def _store_readings(
    session: Session, actor: Actor, unit: StorageUnit, readings: list[tuple[dt.datetime, float]], how: str
) -> dict[str, Any]:
    """Store sorted readings in one statement, record one audit event, and open the deviations of the
    excursions they show beyond the study's limit. A reading at a time the unit already has (a logger file
    imported twice, or overlapping the last one) is skipped: `skipped` counts them; nothing new, no event."""
    stored_at = set(
        session.execute(
            select(TemperatureReading.at).where(
                TemperatureReading.unit_id == unit.id,
                TemperatureReading.at >= readings[0][0], TemperatureReading.at <= readings[-1][0],
            )
        ).scalars()
    )  # fmt: skip
    given = len(readings)
    readings = rules.new_readings(readings, stored_at)
    if not readings:
        return {"unit_id": unit.unit_id, "count": 0, "skipped": given, "deviations": []}
    batch = (session.execute(select(func.max(TemperatureReading.batch))).scalar() or 0) + 1
    # Core's executemany on the table: the ORM's bulk path costs as much again for plain rows.
    session.connection().execute(
        insert(TemperatureReading.__table__),
        [{"unit_id": unit.id, "at": a, "temperature_c": t, "batch": batch} for a, t in readings],
    )
    summary = {
        "count": len(readings), "first_at": readings[0][0], "last_at": readings[-1][0],
        "readings_sha256": rules.readings_digest(readings),
        "min_c": min(t for _, t in readings), "max_c": max(t for _, t in readings), "how": how,
        "batch": batch,
    }  # fmt: skip
    record_event(session, actor, "record_readings", "storage_unit", unit.unit_id, after=summary)
    opened = _open_deviations(session, actor, unit, readings[0][0], readings[-1][0])
    return {"unit_id": unit.unit_id, **summary, "skipped": given - len(readings), "deviations": opened}


def store_readings_in(
    session: Session, actor: Actor, unit_id: str, readings: list[tuple[dt.datetime, float]]
) -> dict[str, Any] | None:
    """A logger file's readings (sorted) stored for a unit inside the caller's transaction, as an import
    stores them (a shipment's dry shipper at receipt); None when there are none. The dry shipper is the
    sending lab's unit, the receipt the hospital's: the shipment named it, so it is found at any site."""
    unit = _unit(session, unit_id, lock=True, everywhere=True)
    return _store_readings(session, actor, unit, readings, "logger_file") if readings else None


def record_readings(
    uow: UnitOfWork, actor: Actor, unit_id: str, readings: list[dict[str, Any]]
) -> dict[str, Any]:
    """Readings a device posts: each with a time (with its offset) and °C; one in the future refuses all."""
    now = utcnow()
    late = [i for i, r in enumerate(readings) if r["at"] > now + rules.CLOCK_SKEW]
    if late:
        raise Invalid(
            N_("A reading's time lies in the future"),
            details={"readings": {str(i): {"at": ["must not lie in the future"]} for i in late}},
        )
    pairs = sorted((r["at"], float(r["temperature_c"])) for r in readings)
    with uow:
        session = uow.session
        unit = _unit(session, unit_id, lock=True)
        stored = _store_readings(session, actor, unit, pairs, "api")
        uow.commit()
        return stored


def import_logger_file(
    uow: UnitOfWork,
    actor: Actor,
    unit_id: str,
    content: bytes,
    *,
    zone: str,
    time_column: str | None = None,
    temperature_column: str | None = None,
    unit: str | None = None,
) -> dict[str, Any]:
    """Import a data logger's CSV file: every reading or, when any line is bad, none (the bad lines named)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    with uow:
        _unit(uow.session, unit_id)  # an unknown unit is 404 before the file is read
    read = rules.read_logger_file(
        text, zone=zone, time_column=time_column or None, temperature_column=temperature_column or None,
        unit=unit or None, now=utcnow(),
    )  # fmt: skip
    if read.problems:
        raise Invalid(
            N_("The logger file has %(count)s bad lines: nothing was stored"),
            params={"count": len(read.problems)}, code="bad_logger_file",
            details={"lines": [{"line": n, "problem": rules.problem_text(p, v), "sentence": p, "params": v}
                               for n, p, v in read.problems[:200]],
                     "columns": read.columns},
        )  # fmt: skip
    with uow:
        session = uow.session
        found = _unit(session, unit_id, lock=True)
        stored = _store_readings(session, actor, found, read.readings, "logger_file")
        uow.commit()
    return {**stored, "time_column": read.time_column, "temperature_column": read.temperature_column,
            "unit": read.unit, "columns": read.columns}  # fmt: skip


# ---- excursions and deviations -------------------------------------------------------------------------


def _window(session: Session, unit: StorageUnit, first: dt.datetime, last: dt.datetime) -> tuple:
    """The span whose readings hold every excursion touching [first, last]: from the reading before `first`
    that is in range, to the first in range after `last`."""
    low, high = _range(session, unit.kind)
    base = select(TemperatureReading.at).where(TemperatureReading.unit_id == unit.id)
    ok = []
    if low is not None:
        ok.append(TemperatureReading.temperature_c >= low)
    if high is not None:
        ok.append(TemperatureReading.temperature_c <= high)
    start = session.execute(
        base.where(TemperatureReading.at < first, *ok).order_by(TemperatureReading.at.desc()).limit(1)
    ).scalar()
    end = session.execute(
        base.where(TemperatureReading.at > last, *ok).order_by(TemperatureReading.at).limit(1)
    ).scalar()
    return start, end


def containers_in_unit_during(
    session: Session, unit_id: str, start: dt.datetime, end: dt.datetime
) -> list[tuple[str, str]]:
    """(container ID, lot number) of every container in the unit at some time in [start, end]."""
    moved = set(
        session.execute(
            select(StorageMove.container_id).where(
                (StorageMove.to_unit == unit_id) | (StorageMove.from_unit == unit_id)
            )
        ).scalars()
    )
    query = select(Container, Lot.lot_number).join(Lot, Lot.id == Container.lot_id)
    # At every site: a container in the unit then may have gone to a hospital since, out of the sight of the
    # person whose readings show the excursion, and it was exposed all the same.
    rows = session.execute(
        query.where((Container.freezer == unit_id) | Container.container_id.in_(moved or {""})),
        execution_options=ALL_SITES,
    ).all()
    ids = [container.container_id for container, _ in rows]
    # Every candidate's moves and first departure in two queries, not two per container.
    moves_of: dict[str, list[StorageMove]] = {}
    for move in session.execute(
        select(StorageMove).where(StorageMove.container_id.in_(ids)).order_by(StorageMove.at, StorageMove.id)
    ).scalars():
        moves_of.setdefault(move.container_id, []).append(move)
    left_at_of = dict(
        session.execute(
            select(CustodyEvent.subject_id, func.min(CustodyEvent.at))
            .where(
                CustodyEvent.subject_type == "container", CustodyEvent.subject_id.in_(ids),
                CustodyEvent.action.in_(("issue", "discard")),
            )
            .group_by(CustodyEvent.subject_id)
        ).all()
    )  # fmt: skip
    found = []
    for container, lot_number in rows:
        moves = moves_of.get(container.container_id, [])
        initial = moves[0].from_unit if moves else container.freezer
        left_at = left_at_of.get(container.container_id)
        intervals = rules.presence_intervals(
            container.created_at, initial, [(m.at, m.to_unit) for m in moves], left_at, unit_id
        )
        if rules.overlaps(intervals, start, end):
            found.append((container.container_id, lot_number))
    return sorted(found)


def _open_deviations(
    session: Session, actor: Actor, unit: StorageUnit, first: dt.datetime, last: dt.datetime
) -> list[str]:
    """A deviation (temperature_excursion) per container that was in the unit during an excursion longer
    than the study's limit; a container's second excursion joins the deviation its first opened. Each such
    container still in the lab's store is put in quarantine in the same transaction (lots.quarantine)."""
    study = current_study(session)
    limit = study.storage_max_minutes_out_of_range
    if limit is None:
        return []
    low, high = _range(session, unit.kind)
    start, end = _window(session, unit, first, last)
    long = rules.beyond_limit(rules.excursions(_readings(session, unit, start, end), low, high), limit)
    opened = []
    for excursion in long:
        title = (
            f"Temperature excursion in storage unit {unit.unit_id}: {excursion.minutes:.0f} min out of "
            f"{rules.range_text(low, high)} from {excursion.start:%Y-%m-%d %H:%M} UTC"
        )
        for container_id, lot_number in containers_in_unit_during(
            session, unit.unit_id, excursion.start, excursion.end
        ):
            deviation = raise_automatic(
                session, actor, "temperature_excursion",
                {"container_id": container_id, "lot_number": lot_number}, title, "storage_excursion",
            )  # fmt: skip
            # The answer names the deviations of the person's sites only (another site's is theirs).
            if deviation is not None and actor.works_at(deviation.site_code):
                opened.append(deviation.deviation_id)
            deviation_id = (
                deviation.deviation_id if deviation is not None else _deviation_of(session, container_id)
            )
            quarantine_in(
                session, actor, container_id, unit.unit_id, excursion.start, excursion.end, deviation_id
            )
    return opened


def _deviation_of(session: Session, container_id: str) -> str | None:
    """The temperature excursion deviation a container's first excursion opened, at whatever site."""
    return session.execute(
        select(Deviation.deviation_id).where(
            Deviation.category == "temperature_excursion", Deviation.trigger_type == "container",
            Deviation.trigger_id == container_id,
        ).limit(1),
        execution_options=ALL_SITES,
    ).scalar()  # fmt: skip


# ---- the watch -----------------------------------------------------------------------------------------


def watch(uow: UnitOfWork, now: dt.datetime | None = None) -> list[str]:
    """Raise an alarm (a notification to GMP and QA) for each unit whose readings stopped for longer than
    the study allows, once per silence (until a new reading arrives); the unit IDs alarmed now."""
    with uow:
        session = uow.session
        now = now or utcnow()
        limit = current_study(session).storage_max_minutes_silent
        if limit is None:
            return []
        alarmed = []
        units = session.execute(select(StorageUnit).order_by(StorageUnit.id).with_for_update()).scalars()
        for unit in units:
            latest = _latest(session, unit)
            last_at = latest[0] if latest else unit.created_at
            if not rules.is_silent(last_at, now, limit) or unit.silence_alarm_for == last_at:
                continue
            unit.silence_alarm_for = last_at
            minutes = int((now - last_at).total_seconds() // 60)
            subject = f"Storage unit {unit.unit_id} is silent: no reading for {minutes} min"
            body = "\n".join([
                f"Storage unit {unit.unit_id} ({unit.name}, {unit.location})",
                f"Last reading: {latest[0].isoformat() if latest else 'none yet'}",
                f"The study allows {limit} min without a reading. Check the unit and its logger.",
            ])  # fmt: skip
            for audience in ALARM_AUDIENCES:
                queue_notification(session, "storage_silent", audience, subject, body, site=unit.site_code)
            record_event(session, SYSTEM, "silence_alarm", "storage_unit", unit.unit_id,
                         after={"last_reading_at": last_at, "minutes_silent": minutes})  # fmt: skip
            alarmed.append(unit.unit_id)
        uow.commit()
    return alarmed
