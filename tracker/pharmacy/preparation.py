"""Preparing a bag: what the pharmacy still has to prepare and how (worklist, next steps, dose plan), and the
preparation itself, from a thaw for an active code or from a vehicle container for a placebo code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labels import qr_matrix
from tracker.audit.services import chain_time, record_event
from tracker.custody.services import append_event
from tracker.db import UnitOfWork, conflict_on_integrity_error, unused_id, utcnow
from tracker.errors import Conflict, Forbidden, Invalid, NotFound
from tracker.lots.models import Container, Lot
from tracker.lots.rules import ensure_lot_usable, normalise_lot_number
from tracker.pharmacy import bags, rules
from tracker.pharmacy.bag_ids import new_bag_id
from tracker.pharmacy.models import Bag, BagPreparation
from tracker.pharmacy.payload import make_payload
from tracker.pharmacy.rules import LIVE_STATUSES
from tracker.randomization import allocation
from tracker.randomization.models import Participant, RandomizationCode, same_code
from tracker.roles import Actor
from tracker.sites.scope import ALL_SITES
from tracker.stock.services import take_from_stock, vehicle_in_stock
from tracker.studies.definition import StudyDefinition
from tracker.studies.services import current_study
from tracker.thaws.models import Thaw
from tracker.thaws.services import PHARMACY, find_thaw
from tracker.timing import check_happened
from tracker.translation import N_
from tracker.users.services import SIGNATURE, LoginPolicy, check_password

ACTIVE_MATERIAL = "ucmsc"


def drawn_from(session: Session, thaw: Thaw) -> float:
    """Suspension already drawn into bags that still count (a voided bag gives its draw back)."""
    return float(
        session.execute(
            select(func.coalesce(func.sum(BagPreparation.drawn_volume_ml), 0.0))
            .join(Bag, Bag.id == BagPreparation.bag_pk)
            .where(BagPreparation.thaw_pk == thaw.id, Bag.status != "voided")
        ).scalar_one()
    )


def _material_of(study: StudyDefinition, arm: str) -> str:
    return study.material_of_arm(arm)


def _participant_of_code(session: Session, code: str, *, lock: bool = False) -> Participant:
    """The participant holding `code`, typed in any case (the code itself is kept as its list wrote it)."""
    typed = (code or "").strip()
    stored = session.execute(
        select(RandomizationCode.code).where(same_code(RandomizationCode.code, typed))
    ).scalar_one_or_none()
    if stored is None:
        raise NotFound(
            N_("No randomization code %(code)s"), params={"code": typed}, code="unknown_randomization_code"
        )
    query = select(Participant).where(Participant.randomization_code == stored)
    if lock:
        # Serialises preparations for one code (PostgreSQL); SQLite writers already hold the database lock.
        query = query.with_for_update()
    participant = session.execute(query).scalar_one_or_none()
    if participant is None:
        raise Conflict(
            N_("Randomization code %(code)s is not assigned to a participant yet"),
            params={"code": stored},
            code="code_not_assigned",
        )
    return participant


# ---- plan ----------------------------------------------------------------------------------------------


def _usable_thaw(session: Session, study: StudyDefinition, thaw_id: str, at: dt.datetime) -> Thaw:
    thaw = find_thaw(session, thaw_id, lock=True)
    if not thaw.usable:
        raise Invalid(
            f"Thaw {thaw.thaw_id} is not usable: {'; '.join(thaw.reasons)}",
            code="thaw_unusable",
            details={"thaw_id": list(thaw.reasons)},
        )
    if not rules.thaw_window_open(study, thaw.thawed_at, at):
        raise Invalid(
            f"Thaw {thaw.thaw_id} is outside its window: a bag must be prepared within "
            f"{study.thaw_to_preparation_minutes} minutes of the thaw",
            code="thaw_window_closed",
            details={"thaw_id": ["the preparation window of this thaw is closed"]},
        )
    ensure_lot_usable(thaw.container.lot, at)
    return thaw


def dose_plan(uow: UnitOfWork, actor: Actor, code: str, thaw_id: str | None) -> dict[str, Any]:
    with uow:
        session = uow.session
        study = current_study(session)
        participant = _participant_of_code(session, code)
        arm = allocation.arm_of(session, actor, participant.randomization_code)
        material = _material_of(study, arm)
        if material == ACTIVE_MATERIAL:
            if not thaw_id:
                raise Invalid(
                    N_("An active dose is drawn from a thaw"),
                    code="thaw_required",
                    details={"thaw_id": ["required for this code"]},
                )
            thaw = _usable_thaw(session, study, thaw_id, utcnow())
            available = thaw.volume_ml - drawn_from(session, thaw)
            try:
                plan = rules.active_dose_plan(study, thaw.viable_cells_per_ml, available)
            except ValueError as exc:
                raise Invalid(
                    f"No dose within tolerance from thaw {thaw.thaw_id}: {exc}", code="dose_impossible"
                ) from None
        else:
            if thaw_id:
                raise Invalid(
                    N_("This code takes vehicle, not cells"), code="wrong_material",
                    details={"thaw_id": ["must be omitted for this code"]},
                )  # fmt: skip
            plan = rules.placebo_dose_plan(study)
        return {
            "randomization_code": participant.randomization_code,
            "participant_id": participant.participant_id,
            "arm": arm,
            "material": material,
            "draw_ml": plan.draw_ml,
            "diluent_ml": plan.diluent_ml,
            "final_volume_ml": plan.final_volume_ml,
            "expected_viable_cells": plan.expected_viable_cells,
        }


# ---- preparation ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Witness:
    username: str
    full_name: str
    at: dt.datetime


def _witness(
    uow_for_check: UnitOfWork, actor: Actor, data: dict[str, Any], policy: LoginPolicy
) -> Witness | None:
    username = (data.get("witness_username") or "").strip().lower()
    if not username:
        return None
    if username == actor.username:
        raise Forbidden(N_("The witness must be a second pharmacist, not the preparer"), code="four_eyes")
    witness = check_password(
        uow_for_check, username, data.get("witness_password") or "", policy, purpose=SIGNATURE
    )
    if witness.role != "pharmacist":
        raise Forbidden(N_("The witness must be a pharmacist"), code="witness_not_pharmacist")
    return Witness(witness.username, witness.full_name, utcnow())


def _check_material_fields(material: str, data: dict[str, Any]) -> None:
    if material == ACTIVE_MATERIAL:
        wrong = {"placebo_lot": ["must be omitted: this code takes cells"]} if data.get("placebo_lot") else {}
        missing = {
            f: ["required for this code"] for f in ("thaw_id", "drawn_volume_ml") if data.get(f) in (None, "")
        }
    else:
        wrong = {
            f: ["must be omitted: this code takes vehicle"]
            for f in ("thaw_id", "drawn_volume_ml")
            if data.get(f) not in (None, "")
        }
        missing = {"placebo_lot": ["required for this code"]} if not data.get("placebo_lot") else {}
    if wrong:
        raise Invalid(
            N_("The material does not match this randomization code"), code="wrong_material", details=wrong
        )
    if missing:
        raise Invalid(N_("Some fields this code needs are missing"), details=missing)


def _vehicle_container(
    session: Session, study: StudyDefinition, lot_number: str, at: dt.datetime
) -> Container:
    lot = session.execute(
        select(Lot).where(Lot.lot_number == normalise_lot_number(lot_number))
    ).scalar_one_or_none()
    if lot is None:
        raise NotFound(N_("No lot has the number %(lot)s"), params={"lot": lot_number}, code="lot_not_found")
    if lot.material != "placebo":
        raise Invalid(
            N_("Lot %(lot)s holds cells, not vehicle"), params={"lot": lot.lot_number}, code="wrong_material",
            details={"placebo_lot": ["must be a placebo vehicle lot"]},
        )  # fmt: skip
    ensure_lot_usable(lot, at)
    return vehicle_in_stock(session, lot)


def prepare_dose(
    uow: UnitOfWork,
    actor: Actor,
    data: dict[str, Any],
    *,
    qr_key: str,
    policy: LoginPolicy,
    witness_uow: UnitOfWork,
) -> dict[str, Any]:
    """Make the bag for a randomization code: cells from a thaw for an active code, one vehicle container
    for a placebo code. The bag itself carries nothing that differs between the arms."""
    witness = _witness(witness_uow, actor, data, policy)
    with uow:
        session = uow.session
        # One time for the bag, its custody and its audit event, taken before any work that differs by arm.
        now = chain_time(session)
        prepared_at = data.get("prepared_at") or now
        study = current_study(session)
        participant = _participant_of_code(session, data["randomization_code"], lock=True)
        code = participant.randomization_code
        arm = allocation.arm_of(session, actor, code)
        material = _material_of(study, arm)
        _check_material_fields(material, data)
        check_happened(
            "prepared_at", prepared_at, now, not_before=participant.randomized_at, what_before="randomization"
        )
        if not rules.final_volume_ok(study, data["final_volume_ml"]):
            raise Invalid(
                N_("The final volume is outside the study's tolerance"), code="final_volume_out_of_tolerance",
                details={"final_volume_ml": [
                    f"must be {study.final_volume_ml:g} ± {study.final_volume_tolerance_ml:g} mL"
                ]},
            )  # fmt: skip
        if bags.live_bag(session, code, now) is not None:
            raise Conflict(
                N_("Randomization code %(code)s already has a live bag"),
                params={"code": code},
                code="live_bag_exists",
            )

        thaw = None
        if material == ACTIVE_MATERIAL:
            thaw = _usable_thaw(session, study, data["thaw_id"], prepared_at)
            available = thaw.volume_ml - drawn_from(session, thaw)
            drawn = data["drawn_volume_ml"]
            if drawn > available + 1e-9:
                raise Invalid(
                    N_("Thaw %(thaw)s has only %(ml)s mL left"),
                    params={"thaw": thaw.thaw_id, "ml": f"{available:g}"},
                    code="not_enough_suspension",
                    details={"drawn_volume_ml": [f"at most {available:g} mL"]},
                )  # fmt: skip
            if drawn > data["final_volume_ml"]:
                raise Invalid(
                    N_("The draw exceeds the final volume"),
                    details={"drawn_volume_ml": ["exceeds final volume"]},
                )
            dose = drawn * thaw.viable_cells_per_ml
            if not rules.dose_within_tolerance(study, dose):
                raise Invalid(
                    f"The dose of {dose:.3g} viable cells is outside {study.target_viable_cells:.3g} "
                    f"± {study.tolerance_percent:g} %",
                    code="dose_out_of_tolerance",
                    details={"drawn_volume_ml": [f"gives {dose:.3g} viable cells"]},
                )
            container, lot_number = thaw.container, thaw.container.lot.lot_number
        else:
            container = _vehicle_container(session, study, data["placebo_lot"], prepared_at)
            take_from_stock(session, actor, container, "use", at=prepared_at, audited=False)
            drawn, dose, lot_number = None, 0.0, container.lot.lot_number

        if container.site_code != participant.site_code:
            raise Conflict(
                N_("Container %(container)s is at site %(site)s, the participant at %(participant_site)s"),
                params={"container": container.container_id, "site": container.site_code,
                        "participant_site": participant.site_code}, code="other_site",
            )  # fmt: skip
        bag_id = unused_id(session, Bag.bag_id, new_bag_id)
        payload = make_payload(bag_id, qr_key)
        bag = Bag(
            site_code=participant.site_code,
            bag_id=bag_id, randomization_code=code, participant_id=participant.participant_id,
            qr_payload=payload, final_volume_ml=data["final_volume_ml"], prepared_at=prepared_at,
            use_by=rules.use_by(study, prepared_at), prepared_by=actor.username, status="prepared",
            quarantined=False, location=PHARMACY, print_count=0,
        )  # fmt: skip
        session.add(bag)
        with conflict_on_integrity_error(
            Conflict(
                N_("Randomization code %(code)s already has a live bag"),
                params={"code": code},
                code="live_bag_exists",
            )
        ):
            session.flush()
        preparation = BagPreparation(
            bag_pk=bag.id, material=material, lot_number=lot_number, container_id=container.container_id,
            thaw_pk=thaw.id if thaw else None, drawn_volume_ml=drawn, dose_viable_cells=dose,
            witness_username=witness.username if witness else None,
            witness_name=witness.full_name if witness else None, witnessed_at=witness.at if witness else None,
        )  # fmt: skip
        session.add(preparation)
        append_event(session, actor, "bag", bag_id, "prepare", PHARMACY, at=prepared_at)
        session.flush()
        # One audit event whatever the arm; its unblinded keys are sealed (tracker/blinding.py).
        record_event(
            session, actor, "prepare", "bag", bag_id, at=now,
            after={
                **bags.blinded_fields(bag, now), **bags.unblinded_fields(preparation, thaw),
                "container_status": container.status,
            },
        )  # fmt: skip
        uow.commit()
    qr_matrix(payload)  # a bag's QR never changes: encode it now, not when the label is printed
    return {
        **bags.blinded_fields(bag, now),
        **bags.unblinded_fields(preparation, thaw),
        "arm": arm,
        "qr_payload": payload,
    }


# ---- what is left to prepare ---------------------------------------------------------------------------


def worklist(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Randomized participants with no live or infused bag: what the pharmacy has still to prepare."""
    with uow:
        now = utcnow()
        busy = {
            bag.randomization_code
            for bag in uow.session.execute(
                select(Bag).where(Bag.status.in_((*LIVE_STATUSES, "infused")))
            ).scalars()
            if bags.bag_status(bag, now) != "expired"
        }
        participants = uow.session.execute(select(Participant).order_by(Participant.randomized_at)).scalars()
        return [
            {
                "participant_id": p.participant_id,
                "stratum": p.stratum,
                "randomization_code": p.randomization_code,
                "randomized_at": p.randomized_at,
            }
            for p in participants
            if p.randomization_code not in busy
        ]


def code_allocation(uow: UnitOfWork, actor: Actor, code: str) -> dict[str, str]:
    """The code as its list wrote it, its arm and the arm's material: for the unblinded pharmacist's form."""
    with uow:
        participant = _participant_of_code(uow.session, code)
        arm = allocation.arm_of(uow.session, actor, participant.randomization_code)
        material = _material_of(current_study(uow.session), arm)
        return {"randomization_code": participant.randomization_code, "arm": arm, "material": material}


def next_steps(uow: UnitOfWork, actor: Actor, open_thaws: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The worklist with each participant's arm and next step: `vehicle` (prepare from a vehicle
    container), `prepare` from the open thaw that can still give a whole dose and closes first, or `thaw`."""
    waiting = worklist(uow)
    with uow:
        study = current_study(uow.session)
        ready = []
        for thaw in open_thaws:
            try:
                rules.active_dose_plan(study, thaw["viable_cells_per_ml"], thaw["available_ml"])
            except ValueError:
                continue
            ready.append(thaw)
        ready.sort(key=lambda t: t["expires_at"])
        arms = allocation.arms_of(uow.session, actor, (p["randomization_code"] for p in waiting))
        steps = []
        for person in waiting:
            arm = arms[person["randomization_code"]]
            material = _material_of(study, arm)
            if material != ACTIVE_MATERIAL:
                step = {"step": "vehicle"}
            elif ready:
                step = {"step": "prepare", "thaw_id": ready[0]["thaw_id"]}
            else:
                step = {"step": "thaw"}
            steps.append({**person, "arm": arm, "material": material, **step})
        return steps


def bags_from_lot(session: Session, lot_number: str) -> list[dict[str, Any]]:
    """Every bag prepared from a lot (voided ones too: their participant was allocated it), oldest first;
    unblinded (a bag's lot says its arm). Handed to lots for a late result's affected list, which is the
    trial's at every site (patient safety), whoever records the result; each bag with its site."""
    rows = session.execute(
        select(Bag.bag_id, Bag.participant_id, Bag.randomization_code, Bag.status, Bag.site_code)
        .join(BagPreparation, BagPreparation.bag_pk == Bag.id)
        .where(BagPreparation.lot_number == lot_number)
        .order_by(Bag.id),
        execution_options=ALL_SITES,
    ).all()
    return [
        {"bag_id": b, "participant_id": p, "randomization_code": c, "status": s, "site": site}
        for b, p, c, s, site in rows
    ]
