"""The pharmacy's stock: issuing containers from the GMP lab's store in kits (one unit of work, all or
nothing), taking a container of the stock for a thaw or a placebo bag, and reading the stock (the
pharmacist) and the issued kits (anyone who may read lots). Containers reach the pharmacy by an issue only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.blinding import BLINDED_CONTAINER_STATUSES, container_status_for
from tracker.checkchar import new_random_id
from tracker.custody import rules as custody_rules
from tracker.custody import services as custody
from tracker.custody.models import CustodyEvent
from tracker.db import UnitOfWork, conflict_on_integrity_error, unused_id, utcnow
from tracker.errors import Conflict, Invalid, NotFound
from tracker.lots import rules as lot_rules
from tracker.lots.containers import issue_container_in, quarantined_ids, shipped_ids
from tracker.lots.models import Container, Lot
from tracker.roles import Actor
from tracker.sites.models import Site
from tracker.stock import rules
from tracker.stock.models import Kit, KitContainer
from tracker.studies.definition import StudyDefinition
from tracker.studies.services import current_study
from tracker.translation import N_

PHARMACY = "Pharmacy"
# The stored statuses of a container in the pharmacy: issued to it, and whatever became of it there.
PHARMACY_STATUSES = tuple(s for s, place in BLINDED_CONTAINER_STATUSES.items() if place == "in_pharmacy")


# The lot rules' sentences (tracker/lots/rules.py lot_unusable_reason), marked here so that a refusal naming
# one as its parameter reads in the reader's language.
LOT_REFUSALS = (
    N_("The lot has been recalled: its containers may not be used"),
    N_("The lot is quarantine, not released: its containers may not be used"),
    N_("The lot is rejected, not released: its containers may not be used"),
    N_("The lot has expired: its containers may not be used"),
    N_("A late QC result of the lot failed: its containers may not be used"),
)

# ---- issuing -------------------------------------------------------------------------------------------


def _wanted_ids(container_ids: Sequence[str]) -> list[str]:
    wanted = [(cid or "").strip().upper() for cid in container_ids]
    repeated = sorted({cid for cid in wanted if wanted.count(cid) > 1})
    if repeated:
        raise Invalid(
            N_("An issue names each container once; named more than once: %(containers)s"),
            params={"containers": ", ".join(repeated)},
            code="duplicate_container",
            details={"container_ids": [f"{cid} is named more than once" for cid in repeated]},
        )
    return wanted


def _locked_containers(session: Session, wanted: Sequence[str]) -> list[Container]:
    """The containers, in the order asked, each row locked; a malformed or unknown ID is 404 naming it."""
    for cid in wanted:
        if not lot_rules.is_container_id(cid):
            raise NotFound(
                N_("%(container)s is not a container ID (wrong length, characters or check character)"),
                params={"container": cid},
                code="container_not_found",
                details={"container_id": cid},
            )
    # One statement locks them all in one fixed order, so that two issues sharing containers cannot deadlock.
    found = {
        c.container_id: c
        for c in session.execute(
            select(Container)
            .where(Container.container_id.in_(wanted))
            .order_by(Container.id)
            .with_for_update(of=Container)
            .execution_options(populate_existing=True)
        ).scalars()
    }
    for cid in wanted:
        if cid not in found:
            raise NotFound(
                N_("No container has the ID %(container)s"), params={"container": cid},
                code="container_not_found", details={"container_id": cid},
            )  # fmt: skip
    return [found[cid] for cid in wanted]


def _check_whole_kits(study: StudyDefinition, containers: Sequence[Container]) -> None:
    kit = study.issue_kit
    if not kit:
        return
    materials = [c.lot.material for c in containers]
    missing, foreign = rules.kit_shortfall(kit, materials), rules.foreign_materials(kit, materials)
    if missing or foreign:
        message = rules.incomplete_kit_message(kit, missing, foreign)
        raise Invalid(
            message,
            code="incomplete_kit",
            details={"container_ids": [message], "missing": missing, "issue_kit": dict(kit)},
        )


def _shipped(session: Session, containers: Sequence[Container]) -> set[str]:
    ids = [c.container_id for c in containers]
    return set(session.execute(shipped_ids().where(CustodyEvent.subject_id.in_(ids or [""]))).scalars())


def _issue_problems(
    actor: Actor, containers: Sequence[Container], now: dt.datetime, shipped: set[str] = frozenset()
) -> tuple[list[dict[str, Any]], list[tuple[str, dict[str, str]]]]:
    """Every container that may not be issued, with why: its lot is not usable, or it is not in store; and
    each problem's sentence as (template, parameters), for a reader of another language."""
    problems, sentences = [], []
    for container in containers:
        lot = container.lot
        refusal = lot_rules.lot_unusable_reason(
            lot.status, lot.expires_at, now, late_result_failed=lot_rules.late_result_failed(lot)
        )
        if refusal is not None:
            code, why = refusal
            template = N_("Container %(container)s of lot %(lot)s cannot be issued: %(why)s")
            params = {"container": container.container_id, "lot": lot.lot_number, "why": why}
        elif container.container_id in shipped:
            code = "not_in_store"
            template = N_("Container %(container)s left the GMP lab's store in a shipment")
            params = {"container": container.container_id}
        elif container.status != "stored":
            code = "not_in_store"
            shown = custody_rules.CONTAINER_STATUS_WORDS[container_status_for(actor.role, container.status)]
            template = N_("Container %(container)s is not in the GMP lab's store: it is %(where)s")
            params = {"container": container.container_id, "where": shown}
        else:
            continue
        problems.append(
            {
                "container_id": container.container_id,
                "lot_number": lot.lot_number,
                "code": code,
                "message": template % params,
            }
        )
        sentences.append((template, params))
    return problems, sentences


def check_issuable(
    session: Session, actor: Actor, study: StudyDefinition, containers: Sequence[Container]
) -> None:
    """Refuse, as an issue would, containers that are not whole kits, not in store or of an unusable lot
    (a shipment's manifest is checked by this before its containers leave the store)."""
    _check_whole_kits(study, containers)
    problems, sentences = _issue_problems(actor, containers, utcnow(), _shipped(session, containers))
    if len(problems) == 1:  # one container named in the reader's language; several read by their code
        template, params = sentences[0]
        raise Conflict(template, params=params, code=problems[0]["code"], details={"containers": problems})
    if problems:
        raise Conflict(
            "; ".join(p["message"] for p in problems),
            code=problems[0]["code"],
            details={"containers": problems},
        )


def locked_containers(session: Session, container_ids: Sequence[str]) -> list[Container]:
    """The named containers (each once), locked, in the order asked; 404 naming an unknown one."""
    return _locked_containers(session, _wanted_ids(container_ids))


def issue_in(
    session: Session, actor: Actor, study: StudyDefinition, containers: Sequence[Container], location: str
) -> dict[str, Any]:
    """The issue to the pharmacy inside the caller's transaction of containers a shipment carried to it (its
    receipt issues by this: they left the store in the shipment)."""
    return _issue_in(session, actor, study, containers, location, received=True)


def _issue_in(
    session: Session,
    actor: Actor,
    study: StudyDefinition,
    containers: Sequence[Container],
    location: str,
    *,
    received: bool = False,
) -> dict[str, Any]:
    """Issue the locked containers, whole kits when the study sets one, inside the caller's transaction."""
    _check_whole_kits(study, containers)
    now = utcnow()
    shipped = set() if received else _shipped(session, containers)
    problems, sentences = _issue_problems(actor, containers, now, shipped)
    if len(problems) == 1:  # one container named in the reader's language; several read by their code
        template, params = sentences[0]
        raise Conflict(template, params=params, code=problems[0]["code"], details={"containers": problems})
    if problems:
        raise Conflict(
            "; ".join(p["message"] for p in problems),
            code=problems[0]["code"],
            details={"containers": problems},
        )
    groups = (
        rules.group_into_kits(study.issue_kit, [(c.lot.material, c) for c in containers])
        if study.issue_kit
        else [[c] for c in containers]
    )
    kits, issued = [], []
    # The row locks make a clash unreachable in practice; the database still allows a container in one kit
    # only, so an issue that slipped past them loses here, whole.
    with conflict_on_integrity_error(
        Conflict(
            "Another issue took one of these containers at the same moment: nothing was issued; look again",
            code="not_in_store",
        )
    ):
        for group in groups:
            kit = _new_kit(session, actor, group, location, now) if study.issue_kit else None
            if kit is not None:
                kits.append({"kit_id": kit.kit_id, "container_ids": [c.container_id for c in group]})
            for container in group:
                issue_container_in(
                    session, actor, container, location, at=now,
                    audit_after={"kit_id": kit.kit_id} if kit else None,
                )  # fmt: skip
                issued.append(
                    {"container_id": container.container_id, "lot_number": container.lot.lot_number}
                )
        session.flush()
    return {"issued": issued, "at": now, "location": location, "kits": kits}


def _new_kit(
    session: Session, actor: Actor, containers: Sequence[Container], location: str, at: dt.datetime
) -> Kit:
    kit_id = unused_id(session, Kit.kit_id, lambda: new_random_id(rules.KIT_ID_PREFIX, rules.KIT_ID_BODY))
    kit = Kit(
        site_code=containers[0].site_code,
        kit_id=kit_id, location=location, issued_at=at, issued_by=actor.username, issued_by_role=actor.role,
    )  # fmt: skip
    session.add(kit)
    session.flush()
    session.add_all(KitContainer(kit_pk=kit.id, container_pk=c.id) for c in containers)
    session.flush()
    return kit


def issue_kits(uow: UnitOfWork, actor: Actor, container_ids: Sequence[str], location: str) -> dict[str, Any]:
    """Issue these containers from the GMP lab's store to the pharmacy: whole kits when the study sets an
    issue kit (422 `incomplete_kit` saying what is missing), every container in store and of a usable lot (409
    naming each one that is not). All or nothing; each container's issue is a custody and an audit event."""
    wanted = _wanted_ids(container_ids)
    location = location.strip()
    with uow:
        session = uow.session
        study = current_study(session)
        answer = _issue_in(session, actor, study, _locked_containers(session, wanted), location)
        uow.commit()
        return answer


def issue_next_kits(
    uow: UnitOfWork, actor: Actor, lot_numbers: Mapping[str, str], kits: int, location: str
) -> dict[str, Any]:
    """Issue `kits` whole kits taking the next containers in store (box order) of the lot named for each
    material of the kit: `lot_numbers` maps material to lot number."""
    location = location.strip()
    with uow:
        session = uow.session
        study = current_study(session)
        if not study.issue_kit:
            raise Conflict(
                N_("This study sets no issue kit: issue containers one by one"), code="no_issue_kit"
            )
        containers: list[Container] = []
        for material, per_kit in study.issue_kit.items():
            lot_number = lot_numbers.get(material)
            if not lot_number:
                raise Invalid(
                    N_("Choose the %(material)s lot the kits take containers from"),
                    params={"material": rules.material_word(material)},
                    details={f"lot_{material}": ["required"]},
                )
            lot = session.execute(
                select(Lot).where(Lot.lot_number == lot_rules.normalise_lot_number(lot_number))
            ).scalar_one_or_none()
            if lot is None:
                raise NotFound(
                    N_("No lot has the number %(lot)s"), params={"lot": lot_number}, code="lot_not_found"
                )
            if lot.material != material:
                raise Invalid(
                    N_("Lot %(lot)s holds %(held)s, not %(wanted)s"),
                    params={
                        "lot": lot.lot_number,
                        "held": rules.material_word(lot.material),
                        "wanted": rules.material_word(material),
                    },
                    code="wrong_material",
                    details={f"lot_{material}": [f"must be a {rules.material_word(material)} lot"]},
                )
            lot_rules.ensure_lot_usable(lot, utcnow())
            wanted = kits * per_kit
            taken = list(
                session.execute(
                    select(Container)
                    .where(Container.lot_id == lot.id, Container.status == "stored")
                    # A container in quarantine waits for QA's decision: an issue by count passes it by.
                    .where(Container.container_id.not_in(quarantined_ids()))
                    .where(Container.container_id.not_in(shipped_ids()))
                    .order_by(Container.id)
                    .limit(wanted)
                    # Two of these at once each take different containers rather than queue for the same.
                    .with_for_update(of=Container, skip_locked=True)
                    .execution_options(populate_existing=True)
                ).scalars()
            )
            if len(taken) < wanted:
                raise Conflict(
                    N_("Lot %(lot)s has %(count)s containers in store; %(kits)s kits need %(needed)s"),
                    params={"lot": lot.lot_number, "count": len(taken), "kits": kits, "needed": wanted},
                    code="not_enough_in_store",
                    details={"lot_number": lot.lot_number, "in_store": len(taken), "needed": wanted},
                )
            containers += taken
        answer = _issue_in(session, actor, study, containers, location)
        uow.commit()
        return answer


# ---- taking from the stock (the thaw and the placebo preparation) ---------------------------------------


def take_from_stock(
    session: Session,
    actor: Actor,
    container: Container,
    action: str,
    *,
    at: dt.datetime | None = None,
    audited: bool = True,
) -> CustodyEvent:
    """Thaw (cells) or use (vehicle) a container of the pharmacy's stock inside the caller's transaction: its
    lot must be usable, and a container still in the GMP lab's store is refused (409 `not_in_pharmacy`)."""
    lot_rules.ensure_lot_usable(container.lot, utcnow())
    if container.status == "stored":
        raise Conflict(
            N_(
                "Container %(container)s is still in the GMP lab's store: the lab must issue it to the "
                "pharmacy (in a kit) before it can be %(done)s"
            ),
            params={
                "container": container.container_id,
                "done": custody_rules.CONTAINER_ACTION_WORDS[action],
            },
            code="not_in_pharmacy",
            details={"container_id": [f"{container.container_id} is still in the GMP lab's store"]},
        )
    return custody.move_container_in(session, actor, container, action, PHARMACY, at=at, audited=audited)


def vehicle_in_stock(session: Session, lot: Lot) -> Container:
    """One container of this vehicle lot in the pharmacy's stock (issued, not used), locked; the oldest first.
    None there: 409 `not_in_pharmacy`."""
    container = session.execute(
        select(Container)
        .where(Container.lot_id == lot.id, Container.status == "issued")
        # one held after a shipment's excursion waits for QA's decision: another is taken
        .where(Container.container_id.not_in(quarantined_ids()))
        .order_by(Container.id)
        .limit(1)
        # Two preparations at once each take a different container rather than queueing for the same one.
        .with_for_update(of=Container, skip_locked=True)
    ).scalar_one_or_none()
    if container is None:
        raise Conflict(
            N_(
                "The pharmacy holds no container of vehicle lot %(lot)s: the GMP lab must issue a kit with "
                "one first"
            ),
            params={"lot": lot.lot_number},
            code="not_in_pharmacy",
            details={"placebo_lot": [f"the pharmacy holds no container of {lot.lot_number}"]},
        )
    return container


# ---- reading -------------------------------------------------------------------------------------------


def _kits(session: Session) -> list[Kit]:
    return list(session.execute(select(Kit).order_by(Kit.issued_at, Kit.id)).scalars())


def _kit_head(kit: Kit) -> dict[str, Any]:
    return {
        "kit_id": kit.kit_id,
        "issued_at": kit.issued_at,
        "issued_by": kit.issued_by,
        "location": kit.location,
    }


def issued_kits(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every kit issued, oldest first: when, by whom, where to, and which containers of which lots; nothing of
    what the pharmacy did with them since (any reader of lots may see this)."""
    with uow:
        return [
            {
                **_kit_head(kit),
                "containers": [
                    {"container_id": part.container.container_id, "lot_number": part.container.lot.lot_number}
                    for part in kit.contents
                ],
            }
            for kit in _kits(uow.session)
        ]


def _stock_container(container: Container, held: set[str]) -> dict[str, Any]:
    return {
        "container_id": container.container_id,
        "lot_number": container.lot.lot_number,
        "material": container.lot.material,
        "status": container.status,
        "in_stock": container.status == "issued",
        "quarantined": container.container_id in held,
    }


def pharmacy_stock(uow: UnitOfWork) -> dict[str, Any]:
    """The pharmacy's stock for the pharmacist (unblinded): every kit with what became of each container,
    containers issued on their own (before kits, or by a study without them), and per lot how many are in
    stock, thawed, used and discarded in the pharmacy."""
    with uow:
        session = uow.session
        now = utcnow()
        kits = []
        in_kits: set[int] = set()
        quarantined = set(session.execute(quarantined_ids()).scalars())
        for kit in _kits(session):
            contents = [_stock_container(part.container, quarantined) for part in kit.contents]
            in_kits |= {part.container_pk for part in kit.contents}
            kits.append(
                {**_kit_head(kit), "containers": contents, "in_stock": any(c["in_stock"] for c in contents)}
            )
        held = list(
            session.execute(
                select(Container)
                .where(Container.status.in_(PHARMACY_STATUSES))
                .order_by(Container.lot_id, Container.id)
            ).scalars()
        )
        loose = [_stock_container(c, quarantined) for c in held if c.id not in in_kits]
        lots: dict[str, dict[str, Any]] = {}
        for container in held:
            lot = container.lot
            line = lots.setdefault(
                lot.lot_number,
                {
                    "lot_number": lot.lot_number, "material": lot.material, "expires_at": lot.expires_at,
                    "usable": lot_rules.lot_usable(lot, now),
                    "disposition": lot_rules.disposition(lot.status, (f.state for f in lot.follow_ups)),
                    **dict.fromkeys(PHARMACY_STATUSES, 0),
                },
            )  # fmt: skip
            line[container.status] += 1
        return {"kits": kits, "containers": loose, "lots": list(lots.values())}


def in_stock_by_lot(uow: UnitOfWork) -> dict[str, int]:
    """Containers in the pharmacy's stock (issued, not yet thawed, used or discarded) per lot number."""
    return {line["lot_number"]: line["issued"] for line in pharmacy_stock(uow)["lots"]}


# ---- stock by site and lot (the report) -----------------------------------------------------------------

# What every reader may count of a lot's containers at a site: in the lab's store, shipped but not (yet)
# issued to a pharmacy (on the road at the origin; at the destination, held for QA's decision), in the
# pharmacy whatever became of them there, discarded before an issue. Nothing the pharmacy does moves these.
BLINDED_STOCK_COUNTS = ("in_store", "shipped", "in_pharmacy", "discarded_in_lab")
# The unblinded reader (the pharmacist) also reads what became of those in the pharmacy, as /pharmacy/stock.
UNBLINDED_STOCK_COUNTS = (*BLINDED_STOCK_COUNTS, *PHARMACY_STATUSES)


def _stock_place(status: str, shipped: bool) -> str:
    if status == "stored":
        return "shipped" if shipped else "in_store"
    return BLINDED_CONTAINER_STATUSES[status]


def stock_by_site(uow: UnitOfWork, actor: Actor, zone: str) -> dict[str, Any]:
    """For each site the reader works for (every site for a person of the whole trial) and each lot with
    containers there now: the lot's number, material, disposition, expiry, days to it and colour band, and how
    many of its containers are where (tracker.stock.rules, BLINDED_STOCK_COUNTS; the unblinded reader also
    reads the pharmacy's statuses). Ordinary ORM reads: a person bound to sites counts their sites' only."""
    unblinded = actor.unblinded
    names = UNBLINDED_STOCK_COUNTS if unblinded else BLINDED_STOCK_COUNTS
    with uow:
        session = uow.session
        now = utcnow()
        sites = list(session.execute(select(Site).order_by(Site.code)).scalars())
        if actor.sites:
            sites = [s for s in sites if s.code in actor.sites]
        shipped = set(session.execute(shipped_ids()).scalars())
        containers = session.execute(select(Container).order_by(Container.site_code, Container.id)).scalars()
        lots: dict[tuple[str, int], dict[str, Any]] = {}
        for container in containers:
            lot = container.lot
            line = lots.get((container.site_code, lot.id))
            if line is None:
                line = lots[(container.site_code, lot.id)] = {
                    "lot_number": lot.lot_number, "material": lot.material,
                    "disposition": lot_rules.disposition(lot.status, (f.state for f in lot.follow_ups)),
                    "usable": lot_rules.lot_usable(lot, now), "expires_at": lot.expires_at,
                    "days_to_expiry": rules.days_to_expiry(lot.expires_at, now, zone),
                    "expiry_band": rules.expiry_band(lot.expires_at, now, zone),
                    "counts": dict.fromkeys(names, 0), "total": 0,
                }  # fmt: skip
            counts = line["counts"]
            place = _stock_place(container.status, container.container_id in shipped)
            counts[place] += 1
            if unblinded and container.status in PHARMACY_STATUSES:
                counts[container.status] += 1
            line["total"] += 1
        by_site: dict[str, list[dict[str, Any]]] = {}
        for (code, _), line in lots.items():
            by_site.setdefault(code, []).append(line)
        return {
            "generated_at": now,
            "unblinded": unblinded,
            "count_names": list(names),
            "expiry_bands": [{"band": name, "under_days": days} for days, name in rules.EXPIRY_BANDS],
            "sites": [
                {
                    "site_code": site.code,
                    "site_name": site.name,
                    "site_kind": site.kind,
                    "lots": sorted(
                        by_site.get(site.code, []), key=lambda x: (x["expires_at"], x["lot_number"])
                    ),
                }  # fmt: skip
                for site in sites
            ],
        }
