"""Shipments: the GMP lab makes one (a manifest of whole kits of its store) and dispatches it (each container
a custody event `ship`); the site pharmacy receives it by scanning (expected against received: missing,
extra, damaged). Received whole kits are issued to the pharmacy by the issue path of tracker/stock. A logger
file at receipt gives the time out of range over dispatch to receipt; an excursion beyond the study's limit
quarantines the received containers instead (tracker/lots/quarantine.py, QA decides) and opens a
`temperature_excursion` deviation per container. Readers see the manifest, never what the pharmacy did."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from tracker.audit.services import record_event
from tracker.checkchar import new_random_id
from tracker.custody import services as custody
from tracker.custody.models import ContainerQuarantine
from tracker.db import UnitOfWork, unused_id, utcnow
from tracker.deviations.services import raise_automatic
from tracker.errors import Conflict, DomainError, Invalid, NotFound
from tracker.lots import quarantine
from tracker.lots.containers import find_container
from tracker.lots.models import Container
from tracker.roles import Actor
from tracker.shipments import rules
from tracker.shipments.models import Shipment, ShipmentItem
from tracker.sites import rules as site_rules
from tracker.sites.scope import ALL_SITES
from tracker.sites.services import choose_site, site_of
from tracker.stock import rules as kit_rules
from tracker.stock import services as stock
from tracker.storage import rules as storage_rules
from tracker.storage import services as storage
from tracker.storage.models import StorageUnit
from tracker.studies.services import current_study
from tracker.translation import N_
from tracker.users.services import LoginPolicy, reauthenticate


def _find(session: Session, shipment_id: str, *, lock: bool = False) -> Shipment:
    query = select(Shipment).where(Shipment.shipment_id == rules.normal_id(shipment_id))
    if lock:
        query = query.with_for_update()
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFound(
            N_("No shipment has the ID %(shipment)s"),
            params={"shipment": shipment_id},
            code="shipment_not_found",
        )
    return found


def _quarantines(shipment: Shipment) -> list[dict[str, Any]]:
    """Every container this shipment's excursion put in quarantine, oldest first, with QA's decision once
    made (what blinded QA decides on: kits whole, never what the pharmacy did with a container)."""
    session = object_session(shipment)
    if session is None:
        return []
    kit_of = {i.container_id: i.kit_no for i in shipment.items}
    rows = session.execute(
        select(ContainerQuarantine)
        .where(ContainerQuarantine.unit_id == shipment.shipment_id)
        .order_by(ContainerQuarantine.id)
    ).scalars()
    return [
        {"container_id": q.container_id, "kit_no": kit_of.get(q.container_id),
         "excursion_start": q.excursion_start, "excursion_end": q.excursion_end,
         "deviation_id": q.deviation_id, "quarantined_at": q.quarantined_at, "decision": q.decision,
         "reason": q.reason, "meaning": q.meaning, "decided_by": q.decided_by,
         "decided_by_name": q.decided_by_name, "decided_at": q.decided_at}
        for q in rows
    ]  # fmt: skip


def _view(shipment: Shipment) -> dict[str, Any]:
    items = shipment.items
    return {
        "shipment_id": shipment.shipment_id, "from_site": shipment.from_site,
        "destination_site": shipment.destination_site, "shipper_unit_id": shipment.shipper_unit_id,
        "courier": shipment.courier, "tracking_number": shipment.tracking_number, "status": shipment.status,
        "created_at": shipment.created_at, "created_by": shipment.created_by,
        "dispatched_at": shipment.dispatched_at, "dispatched_by": shipment.dispatched_by,
        "received_at": shipment.received_at, "received_by": shipment.received_by,
        "minutes_out_of_range": shipment.minutes_out_of_range, "readings_count": shipment.readings_count,
        "manifest": [
            {"container_id": i.container_id, "lot_number": i.lot_number, "kit_no": i.kit_no,
             "received": i.received, "damaged": i.damaged, "note": i.note}
            for i in items if i.on_manifest
        ],
        "missing": [i.container_id for i in items if i.on_manifest and not i.received]
        if shipment.status == "received" else [],
        "extra": [i.container_id for i in items if not i.on_manifest],
        "damaged": [i.container_id for i in items if i.damaged],
        "quarantine": _quarantines(shipment),
    }  # fmt: skip


# Why a step is refused, by the shipment's status.
_OUT_OF_ORDER = {
    "dispatched": N_("Shipment %(shipment)s has been dispatched already"),
    "received": N_("Shipment %(shipment)s has been received already: its receipt is closed"),
    "planned": N_("Shipment %(shipment)s is not dispatched yet: it cannot be received"),
}


def _step(shipment: Shipment, step: str) -> None:
    before, _ = rules.NEXT[step]
    if shipment.status != before:
        raise Conflict(
            _OUT_OF_ORDER[shipment.status], params={"shipment": shipment.shipment_id},
            code="action_out_of_order",
            details={"status": shipment.status},
        )  # fmt: skip


def _destination(session: Session, code: str) -> str:
    site = site_of(session, code)
    if site.kind not in site_rules.TREATS:
        raise Invalid(
            N_("Site %(site)s has no pharmacy to receive a shipment"), params={"site": site.code},
            details={"destination_site": ["a clinical site"]},
        )  # fmt: skip
    return site.code


def create_shipment(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """A planned shipment of whole kits of the lab's store (refused as an issue would refuse them), from a
    manufacturing site of the sender's to a clinical site."""
    with uow:
        session = uow.session
        study = current_study(session)
        from_site = choose_site(
            session, actor, data.get("from_site"), site_rules.MAKES, "a shipment's origin"
        )
        destination = _destination(session, data["destination_site"])
        if destination == from_site:
            raise Invalid(
                N_("A shipment goes to another site, not to %(site)s itself"), params={"site": from_site},
                details={"destination_site": ["another site than the origin"]},
            )  # fmt: skip
        unit_id = (data.get("shipper_unit_id") or "").strip().upper() or None
        if unit_id is not None:
            unit = session.execute(select(StorageUnit).where(StorageUnit.unit_id == unit_id)).scalar()
            if unit is None or unit.kind != rules.SHIPPER_KIND:
                raise Invalid(
                    N_("%(unit)s is not a dry shipper"), params={"unit": unit_id},
                    details={"shipper_unit_id": ["must be a storage unit of kind dry_shipper"]},
                )  # fmt: skip
        containers = stock.locked_containers(session, data["container_ids"])
        elsewhere = [c.container_id for c in containers if c.site_code != from_site]
        if elsewhere:
            raise Conflict(
                N_("These containers are not at %(site)s: %(containers)s"),
                params={"site": from_site, "containers": ", ".join(elsewhere)}, code="other_site",
            )  # fmt: skip
        stock.check_issuable(session, actor, study, containers)
        groups = (
            kit_rules.group_into_kits(study.issue_kit, [(c.lot.material, c) for c in containers])
            if study.issue_kit
            else [[c] for c in containers]
        )
        now = utcnow()
        shipment = Shipment(
            shipment_id=unused_id(
                session, Shipment.shipment_id,
                lambda: new_random_id(rules.SHIPMENT_ID_PREFIX, rules.SHIPMENT_ID_BODY),
            ),
            from_site=from_site, destination_site=destination, shipper_unit_id=unit_id,
            courier=data.get("courier"), tracking_number=data.get("tracking_number"), status="planned",
            created_at=now, created_by=actor.username,
        )  # fmt: skip
        session.add(shipment)
        session.flush()
        for n, group in enumerate(groups, 1):
            session.add_all(
                ShipmentItem(shipment_pk=shipment.id, container_id=c.container_id,
                             lot_number=c.lot.lot_number, kit_no=n, on_manifest=True)
                for c in group
            )  # fmt: skip
        session.flush()
        session.refresh(shipment)
        view = _view(shipment)
        record_event(
            session, actor, "create", "shipment", shipment.shipment_id,
            after={k: view[k] for k in ("from_site", "destination_site", "shipper_unit_id", "courier",
                                        "tracking_number", "status")}
            | {"container_ids": [c.container_id for c in containers]},
        )  # fmt: skip
        uow.commit()
        return view


def dispatch(uow: UnitOfWork, actor: Actor, shipment_id: str) -> dict[str, Any]:
    """The containers leave the store: each checked again as an issue would be, a custody event `ship`."""
    with uow:
        session = uow.session
        shipment = _find(session, shipment_id, lock=True)
        _step(shipment, "dispatch")
        containers = stock.locked_containers(session, [i.container_id for i in shipment.items])
        stock.check_issuable(session, actor, current_study(session), containers)
        now = utcnow()
        for container in containers:
            custody.ensure_not_quarantined(session, container.container_id, "ship")
            custody.append_event(
                session, actor, "container", container.container_id, "ship",
                f"Shipment {shipment.shipment_id} to {shipment.destination_site}", at=now,
                not_before=container.created_at,
            )  # fmt: skip
        shipment.status, shipment.dispatched_at, shipment.dispatched_by = "dispatched", now, actor.username
        record_event(
            session, actor, "dispatch", "shipment", shipment.shipment_id,
            before={"status": "planned"}, after={"status": "dispatched", "at": now},
        )  # fmt: skip
        uow.commit()
        return _view(shipment)


def _logger_readings(text: str, zone: str, until: Any) -> list:
    read = storage_rules.read_logger_file(text, zone=zone, now=until)
    if read.problems:
        raise Invalid(
            N_("The logger file has %(count)s bad lines: nothing was stored"),
            params={"count": len(read.problems)}, code="bad_logger_file",
            details={"lines": [{"line": n, "problem": storage_rules.problem_text(p, v)}
                               for n, p, v in read.problems[:200]]},
        )  # fmt: skip
    return read.readings


def _check_logger(
    session: Session,
    actor: Actor,
    shipment: Shipment,
    study: Any,
    text: str | None,
    zone: str,
    until: dt.datetime,
) -> list:
    """The logger file's check, the one copy the receipt and a file attached after it share: its readings
    kept as the dry shipper's history, those from dispatch to `until` giving the shipment's time out of range
    against the study's `dry_shipper` range; the excursions beyond the study's limit (none without a file)."""
    if not text:
        return []
    every = _logger_readings(text, zone, utcnow())
    if shipment.shipper_unit_id:  # the shipper's history, as a unit's logger import keeps it
        storage.store_readings_in(session, actor, shipment.shipper_unit_id, every)
    readings = [(at, t) for at, t in every if shipment.dispatched_at <= at <= until]
    low, high = study.storage_ranges.get(rules.SHIPPER_KIND, (None, None))
    found = storage_rules.excursions(readings, low, high)
    shipment.minutes_out_of_range = round(storage_rules.minutes_out_of_range(found), 1)
    shipment.readings_count = len(readings)
    return storage_rules.beyond_limit(found, study.storage_max_minutes_out_of_range)


def _quarantine(
    session: Session,
    actor: Actor,
    shipment: Shipment,
    study: Any,
    long: list,
    received: list[str],
    held: list[str],
    *,
    in_pharmacy: bool = False,
) -> list[str]:
    """After an excursion beyond the limit: a `temperature_excursion` deviation for each container received,
    and quarantine (QA decides) for those of `held` still waiting: in the lab's store at receipt, or unused
    in the pharmacy's stock (`in_pharmacy`) when the file comes after it. The containers put in quarantine."""
    manifest = {i.container_id: i for i in shipment.items if i.on_manifest}
    first = long[0]
    low, high = study.storage_ranges.get(rules.SHIPPER_KIND, (None, None))
    title = (
        f"Temperature excursion in shipment {shipment.shipment_id}: {first.minutes:.0f} min out of "
        f"{storage_rules.range_text(low, high)} from {first.start:%Y-%m-%d %H:%M} UTC"
    )
    quarantined = []
    for cid in received:
        deviation = raise_automatic(
            session, actor, "temperature_excursion",
            {"container_id": cid, "lot_number": manifest[cid].lot_number}, title, "shipment_excursion",
        )  # fmt: skip
        if cid in held and quarantine.quarantine_in(
            session, actor, cid, shipment.shipment_id, first.start, first.end,
            deviation.deviation_id if deviation is not None else None,
            in_pharmacy=in_pharmacy,
            location=f"{shipment.destination_site} pharmacy" if in_pharmacy else None,
        ):  # fmt: skip
            quarantined.append(cid)
    return quarantined


def receive(
    uow: UnitOfWork, actor: Actor, shipment_id: str, data: dict[str, Any], zone: str
) -> dict[str, Any]:
    """Receipt by scanning: closes the shipment. Received whole kits, not damaged, are issued to the pharmacy
    unless the logger file shows an excursion beyond the study's limit: then every received container is put
    in quarantine (QA decides) with a `temperature_excursion` deviation each."""
    with uow:
        session = uow.session
        shipment = _find(session, shipment_id, lock=True)
        _step(shipment, "receive")
        now = utcnow()
        scanned = [rules.normal_id(c) for c in data["container_ids"] if rules.normal_id(c)]
        damaged = {rules.normal_id(d["container_id"]): d.get("note") for d in data.get("damaged", [])}
        manifest = {i.container_id: i for i in shipment.items if i.on_manifest}
        compared = rules.compare(manifest, scanned)
        # What arrived is at the destination from now on: its pharmacy's people see it, the sender's no more.
        arrived = select(Container).where(Container.container_id.in_(compared["received"]))
        for container in session.execute(arrived, execution_options=ALL_SITES).scalars():
            container.site_code = shipment.destination_site
        session.flush()
        for cid in damaged:
            if cid not in compared["received"]:
                raise Invalid(
                    N_("Container %(container)s is flagged damaged but was not received on this shipment"),
                    params={"container": cid}, details={"damaged": [f"{cid} was not received"]},
                )  # fmt: skip
        for cid in compared["received"]:
            item = manifest[cid]
            item.received = True
            if cid in damaged:
                item.damaged, item.note = True, damaged[cid]
        for cid in compared["extra"]:
            session.add(
                ShipmentItem(shipment_pk=shipment.id, container_id=cid, on_manifest=False, received=True)
            )
        study = current_study(session)
        long = _check_logger(session, actor, shipment, study, data.get("logger_csv"), zone, now)
        quarantined, issued = [], []
        if long:
            received = compared["received"]
            quarantined = _quarantine(session, actor, shipment, study, long, received, received)
        else:
            usable = [c for c in compared["received"] if c not in damaged]
            wanted = rules.whole_kits({c: i.kit_no or 0 for c, i in manifest.items()}, usable)
            if wanted:
                containers = stock.locked_containers(session, wanted)
                location = f"{shipment.destination_site} pharmacy"
                issued = [
                    c["container_id"]
                    for c in stock.issue_in(session, actor, study, containers, location)["issued"]
                ]
        shipment.status, shipment.received_at, shipment.received_by = "received", now, actor.username
        session.flush()
        session.refresh(shipment)
        record_event(
            session, actor, "receive", "shipment", shipment.shipment_id,
            before={"status": "dispatched"},
            after={"status": "received", "at": now, "missing": compared["missing"],
                   "extra": compared["extra"], "damaged": sorted(damaged),
                   "minutes_out_of_range": shipment.minutes_out_of_range,
                   "quarantined": quarantined},
        )  # fmt: skip
        uow.commit()
        return {**_view(shipment), "quarantined": quarantined, "issued": issued}


def _unused_kits(session: Session, shipment: Shipment) -> list[str]:
    """The containers of the shipment's kits that wait whole and unused in the pharmacy's stock: every
    container of the kit received, undamaged and still issued (none thawed, used or discarded there)."""
    kits: dict[int, list[ShipmentItem]] = {}
    for item in shipment.items:
        if item.on_manifest:
            kits.setdefault(item.kit_no or 0, []).append(item)
    whole = [i.container_id for mates in kits.values() if all(m.received and not m.damaged for m in mates)
             for i in mates]  # fmt: skip
    status = {c.container_id: c.status for c in stock.locked_containers(session, whole)} if whole else {}
    return [
        i.container_id
        for mates in kits.values()
        if all(status.get(m.container_id) == "issued" for m in mates)
        for i in mates
    ]


def attach_logger(uow: UnitOfWork, actor: Actor, shipment_id: str, text: str, zone: str) -> dict[str, Any]:
    """The logger file of a shipment received without one: the receipt's check (same code) over dispatch to
    receipt; an excursion beyond the study's limit opens a `temperature_excursion` deviation per container
    received and puts in quarantine the whole kits still unused in the pharmacy's stock (QA decides). A kit
    the pharmacy has started is left out whole: holding its other container would tell blinded QA which
    material was taken. Refused before the receipt and when the shipment has its file already."""
    with uow:
        session = uow.session
        shipment = _find(session, shipment_id, lock=True)
        if shipment.status != "received":
            raise Conflict(
                N_("Shipment %(shipment)s is not received yet: attach its logger file with the receipt"),
                params={"shipment": shipment.shipment_id}, code="action_out_of_order",
                details={"status": shipment.status},
            )  # fmt: skip
        if shipment.readings_count is not None:
            raise Conflict(
                N_("Shipment %(shipment)s has its logger file already"),
                params={"shipment": shipment.shipment_id}, code="logger_attached",
            )  # fmt: skip
        study = current_study(session)
        long = _check_logger(session, actor, shipment, study, text, zone, shipment.received_at)
        received = [i.container_id for i in shipment.items if i.on_manifest and i.received]
        quarantined = []
        if long:
            unused = _unused_kits(session, shipment)
            quarantined = _quarantine(
                session, actor, shipment, study, long, received, unused, in_pharmacy=True
            )
        record_event(
            session, actor, "attach_logger", "shipment", shipment.shipment_id,
            before={"minutes_out_of_range": None},
            after={"minutes_out_of_range": shipment.minutes_out_of_range, "count": shipment.readings_count,
                   "quarantined": quarantined},
        )  # fmt: skip
        uow.commit()
        return {**_view(shipment), "quarantined": quarantined, "issued": []}


def issue_released(session: Session, actor: Actor, container: Container, held: ContainerQuarantine) -> None:
    """After QA releases a container a received shipment carried (its quarantine names the shipment): once
    every container of its kit was received undamaged and released, the kit joins the pharmacy's stock by the
    issue path, inside QA's transaction. A kit with a destroyed, damaged or missing container stays out."""
    shipment = session.execute(select(Shipment).where(Shipment.shipment_id == held.unit_id)).scalar()
    if shipment is None or shipment.status != "received":
        return
    manifest = {i.container_id: i for i in shipment.items if i.on_manifest}
    item = manifest.get(container.container_id)
    if item is None:
        return
    mates = [i for i in manifest.values() if i.kit_no == item.kit_no]
    if any(not i.received or i.damaged or custody.open_quarantine(session, i.container_id) for i in mates):
        return
    containers = stock.locked_containers(session, [i.container_id for i in mates])
    if any(c.status != "stored" for c in containers):
        return
    try:  # refused before anything is written (a lot recalled or expired meanwhile): the kit stays out
        stock.issue_in(
            session, actor, current_study(session), containers, f"{shipment.destination_site} pharmacy"
        )
    except DomainError:
        return


def _held(session: Session, shipment: Shipment) -> list[ContainerQuarantine]:
    """The quarantines of this shipment's excursion still waiting for QA, oldest first (each container at
    most once: one open quarantine per container)."""
    return list(
        session.execute(
            select(ContainerQuarantine)
            .where(ContainerQuarantine.unit_id == shipment.shipment_id)
            .where(ContainerQuarantine.decision.is_(None))
            .order_by(ContainerQuarantine.id)
        ).scalars()
    )


def decide_quarantine(
    uow: UnitOfWork,
    actor: Actor,
    shipment_id: str,
    decision: str,
    reason: str,
    password: str,
    policy: LoginPolicy,
    meaning: str | None = None,
) -> dict[str, Any]:
    """QA's one signed decision for a whole shipment: releases or destroys every container its excursion
    still holds, in one transaction, each exactly as the container's own decision would (same code); a
    released kit joins the pharmacy's stock. Refused (409 `nothing_quarantined`) when nothing is held."""
    reason, meaning = quarantine.decision_terms(decision, reason, meaning)
    with uow:
        _find(uow.session, shipment_id)  # unknown: 404 before a password attempt
    reauthenticate(uow, actor, password, policy)
    with uow:
        session = uow.session
        shipment = _find(session, shipment_id, lock=True)
        held = _held(session, shipment)
        if not held:
            raise Conflict(
                N_("Nothing of shipment %(shipment)s is in quarantine: there is nothing to decide"),
                params={"shipment": shipment.shipment_id}, code="nothing_quarantined",
            )  # fmt: skip
        now = utcnow()
        decided = [
            quarantine.decide_in(session, actor, find_container(session, h.container_id), h, decision, reason,
                                 meaning, now)
            for h in held
        ]  # fmt: skip
        record_event(
            session, actor, f"quarantine_{decision}", "shipment", shipment.shipment_id,
            before={"quarantined": [d["container_id"] for d in decided]},
            after={"quarantined": [], "container_ids": [d["container_id"] for d in decided],
                   "signed_by": actor.username, "signed_by_name": actor.full_name, "signed_at": now,
                   "meaning": meaning},
            reason=reason,
        )  # fmt: skip
        uow.commit()
        return {"shipment_id": shipment.shipment_id, "decision": decision, "containers": decided}


def list_shipments(uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        rows = uow.session.execute(select(Shipment).order_by(Shipment.created_at, Shipment.id)).scalars()
        return [_view(s) for s in rows]


def get_shipment(uow: UnitOfWork, shipment_id: str) -> dict[str, Any]:
    with uow:
        return _view(_find(uow.session, shipment_id))


def shipment_temperatures(uow: UnitOfWork, actor: Actor, shipment_id: str) -> dict[str, Any] | None:
    """The dry shipper's readings from dispatch to receipt (to now while on the road), its allowed band and
    the excursions, as its unit's page reads them; None before dispatch or without a dry shipper."""
    with uow:
        shipment = _find(uow.session, shipment_id)
        unit_id, since = shipment.shipper_unit_id, shipment.dispatched_at
        until = shipment.received_at or utcnow()
    if unit_id is None or since is None:
        return None
    unit = storage.get_unit(uow, actor, unit_id, since, until)
    keep = ("unit_id", "name", "range_text", "min_temperature_c", "max_temperature_c", "since", "until",
            "readings", "excursions", "minutes_out_of_range", "max_minutes_out_of_range")  # fmt: skip
    return {k: unit[k] for k in keep}
