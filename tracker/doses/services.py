"""The pharmacy's use cases: dose plan, preparation of the bag for a randomization code, void, labels."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from labels import (
    LabelData,
    PrinterError,
    qr_matrix,
    render_label_pdf,
    render_label_zpl,
    render_sheet_pdf,
    send_zpl,
)
from tracker import blinding
from tracker.audit.services import chain_time, record_event
from tracker.custody.services import append_event
from tracker.db import UnitOfWork, utcnow
from tracker.doses import rules
from tracker.doses.bag_ids import is_bag_id, new_bag_id
from tracker.doses.models import LIVE_STATUSES, Bag, BagPreparation
from tracker.doses.payload import make_payload
from tracker.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from tracker.lots.models import Container, Lot
from tracker.lots.rules import ensure_lot_usable, normalise_lot_number
from tracker.participants.models import Participant
from tracker.randomization import allocation
from tracker.roles import Actor
from tracker.stock.services import take_from_stock, vehicle_in_stock
from tracker.studies.definition import StudyDefinition
from tracker.studies.services import current_study
from tracker.thaws.models import Thaw
from tracker.thaws.services import PHARMACY, drawn_from, find_thaw
from tracker.timing import check_happened
from tracker.users.services import LoginPolicy, check_password

ACTIVE_MATERIAL = "ucmsc"

log = logging.getLogger(__name__)


def _material_of(study: StudyDefinition, arm: str) -> str:
    return study.material_of_arm(arm)


def _participant_of_code(session: Session, code: str, *, lock: bool = False) -> Participant:
    code = (code or "").strip().upper()
    query = select(Participant).where(Participant.randomization_code == code)
    if lock:
        # Serialises preparations for one code (PostgreSQL); SQLite writers already hold the database lock.
        query = query.with_for_update()
    participant = session.execute(query).scalar_one_or_none()
    if participant is None:
        from tracker.randomization.models import RandomizationCode

        known = session.execute(select(RandomizationCode.id).where(RandomizationCode.code == code)).first()
        if known is None:
            raise NotFound(f"No randomization code {code}", code="unknown_randomization_code")
        raise Conflict(
            f"Randomization code {code} is not assigned to a participant yet", code="code_not_assigned"
        )
    return participant


def bag_status(bag: Bag, now: dt.datetime) -> str:
    """The stored custody status, or `expired` for a live bag past its use-by time."""
    return "expired" if bag.status in LIVE_STATUSES and bag.use_by <= now else bag.status


def _live_bag(session: Session, code: str, now: dt.datetime) -> Bag | None:
    bags = session.execute(
        select(Bag).where(Bag.randomization_code == code, Bag.status.in_((*LIVE_STATUSES, "infused")))
    ).scalars()
    for bag in bags:
        if bag.status == "infused":
            raise Conflict(f"Randomization code {code} has already been infused", code="already_infused")
        if bag_status(bag, now) != "expired":
            return bag
        _mark_expired(session, bag, now)
    return None


def _mark_expired(session: Session, bag: Bag, now: dt.datetime) -> None:
    from tracker.roles import SYSTEM

    before = bag.status
    bag.status = "expired"
    session.flush()
    record_event(
        session, SYSTEM, "expire", "bag", bag.bag_id, before={"status": before},
        after={"status": "expired", "use_by": bag.use_by, "noticed_at": now},
    )  # fmt: skip


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
                    "An active dose is drawn from a thaw",
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
                    "This code takes vehicle, not cells", code="wrong_material",
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
        raise Forbidden("The witness must be a second pharmacist, not the preparer", code="four_eyes")
    witness = check_password(uow_for_check, username, data.get("witness_password") or "", policy)
    if witness.role != "pharmacist":
        raise Forbidden("The witness must be a pharmacist", code="witness_not_pharmacist")
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
            "The material does not match this randomization code", code="wrong_material", details=wrong
        )
    if missing:
        raise Invalid("Some fields this code needs are missing", details=missing)


def _vehicle_container(
    session: Session, study: StudyDefinition, lot_number: str, at: dt.datetime
) -> Container:
    lot = session.execute(
        select(Lot).where(Lot.lot_number == normalise_lot_number(lot_number))
    ).scalar_one_or_none()
    if lot is None:
        raise NotFound(f"No lot has the number {lot_number}", code="lot_not_found")
    if lot.material != "placebo":
        raise Invalid(
            f"Lot {lot.lot_number} holds cells, not vehicle", code="wrong_material",
            details={"placebo_lot": ["must be a placebo vehicle lot"]},
        )  # fmt: skip
    ensure_lot_usable(lot, at)
    return vehicle_in_stock(session, lot)


def _new_bag_id(session: Session) -> str:
    while True:
        candidate = new_bag_id()
        if session.execute(select(Bag.id).where(Bag.bag_id == candidate)).first() is None:
            return candidate


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
                "The final volume is outside the study's tolerance", code="final_volume_out_of_tolerance",
                details={"final_volume_ml": [
                    f"must be {study.final_volume_ml:g} ± {study.final_volume_tolerance_ml:g} mL"
                ]},
            )  # fmt: skip
        if _live_bag(session, code, now) is not None:
            raise Conflict(f"Randomization code {code} already has a live bag", code="live_bag_exists")

        thaw = None
        if material == ACTIVE_MATERIAL:
            thaw = _usable_thaw(session, study, data["thaw_id"], prepared_at)
            available = thaw.volume_ml - drawn_from(session, thaw)
            drawn = data["drawn_volume_ml"]
            if drawn > available + 1e-9:
                raise Invalid(
                    f"Thaw {thaw.thaw_id} has only {available:g} mL left", code="not_enough_suspension",
                    details={"drawn_volume_ml": [f"at most {available:g} mL"]},
                )  # fmt: skip
            if drawn > data["final_volume_ml"]:
                raise Invalid(
                    "The draw exceeds the final volume", details={"drawn_volume_ml": ["exceeds final volume"]}
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

        bag_id = _new_bag_id(session)
        payload = make_payload(bag_id, qr_key)
        bag = Bag(
            bag_id=bag_id, randomization_code=code, participant_id=participant.participant_id,
            qr_payload=payload, final_volume_ml=data["final_volume_ml"], prepared_at=prepared_at,
            use_by=rules.use_by(study, prepared_at), prepared_by=actor.username, status="prepared",
            quarantined=False, location=PHARMACY, print_count=0,
        )  # fmt: skip
        session.add(bag)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(
                f"Randomization code {code} already has a live bag", code="live_bag_exists"
            ) from None
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
                **_blinded_fields(bag, now), **_unblinded_fields(preparation, thaw),
                "container_status": container.status,
            },
        )  # fmt: skip
        uow.commit()
    qr_matrix(payload)  # a bag's QR never changes: encode it now, not when the label is printed
    return {
        **_blinded_fields(bag, now),
        **_unblinded_fields(preparation, thaw),
        "arm": arm,
        "qr_payload": payload,
    }


def _blinded_fields(bag: Bag, now: dt.datetime) -> dict[str, Any]:
    return {
        "bag_id": bag.bag_id,
        "randomization_code": bag.randomization_code,
        "participant_id": bag.participant_id,
        "status": bag_status(bag, now),
        "location": bag.location,
        "quarantined": bag.quarantined,
        "final_volume_ml": bag.final_volume_ml,
        "prepared_at": bag.prepared_at,
        "use_by": bag.use_by,
        "expires_at": bag.use_by,
        "voided_at": bag.voided_at,
    }


def _unblinded_fields(preparation: BagPreparation, thaw: Thaw | None) -> dict[str, Any]:
    return {
        "material": preparation.material,
        "lot_number": preparation.lot_number,
        "container_id": preparation.container_id,
        "thaw_id": thaw.thaw_id if thaw else None,
        "thawed_at": thaw.thawed_at if thaw else None,
        "drawn_volume_ml": preparation.drawn_volume_ml,
        "dose_viable_cells": preparation.dose_viable_cells,
        "witness": preparation.witness_username,
        "witnessed_at": preparation.witnessed_at,
    }


# ---- reading -------------------------------------------------------------------------------------------


def find_bag(session: Session, bag_id: str, *, lock: bool = False) -> Bag:
    wanted = (bag_id or "").strip().upper()
    if not is_bag_id(wanted):
        raise NotFound(
            f"{bag_id} is not a bag ID (wrong length, characters or check character)", code="bag_not_found"
        )
    query = select(Bag).where(Bag.bag_id == wanted)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    bag = session.execute(query).scalar_one_or_none()
    if bag is None:
        raise NotFound(f"No bag has the ID {wanted}", code="bag_not_found")
    return bag


def _preparation(session: Session, bag: Bag) -> tuple[BagPreparation, Thaw | None]:
    preparation = session.execute(select(BagPreparation).where(BagPreparation.bag_pk == bag.id)).scalar_one()
    thaw = session.get(Thaw, preparation.thaw_pk) if preparation.thaw_pk else None
    return preparation, thaw


def bag_view(session: Session, actor: Actor, bag: Bag, now: dt.datetime | None = None) -> dict[str, Any]:
    """The bag as this actor may see it: the preparation's facts only for an unblinded reader."""
    now = now or utcnow()
    view = {**_blinded_fields(bag, now), "print_count": bag.print_count, "prepared_by": bag.prepared_by}
    if not actor.unblinded:
        # The preparation is never even read for a blinded reader; the declaration guards the rest.
        return blinding.blinded_view("bag", view)
    preparation, thaw = _preparation(session, bag)
    return {
        **view,
        **_unblinded_fields(preparation, thaw),
        "arm": allocation.arm_of(session, actor, bag.randomization_code),
        "qr_payload": bag.qr_payload,
        "void_reason": bag.void_reason,
    }


def get_bag(uow: UnitOfWork, actor: Actor, bag_id: str) -> dict[str, Any]:
    with uow:
        return bag_view(uow.session, actor, find_bag(uow.session, bag_id))


def latest_bag_of(session: Session, actor: Actor, participant_id: str) -> dict[str, Any] | None:
    bag = session.execute(
        select(Bag).where(Bag.participant_id == participant_id).order_by(Bag.id.desc()).limit(1)
    ).scalar_one_or_none()
    return bag_view(session, actor, bag) if bag is not None else None


def list_bags(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    with uow:
        now = utcnow()
        bags = uow.session.execute(
            select(Bag).order_by(Bag.prepared_at.desc(), Bag.id.desc()).limit(500)
        ).scalars()
        return [bag_view(uow.session, actor, bag, now) for bag in bags]


def worklist(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Randomized participants with no live or infused bag: what the pharmacy has still to prepare."""
    with uow:
        now = utcnow()
        busy = {
            bag.randomization_code
            for bag in uow.session.execute(
                select(Bag).where(Bag.status.in_((*LIVE_STATUSES, "infused")))
            ).scalars()
            if bag_status(bag, now) != "expired"
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


# ---- void ----------------------------------------------------------------------------------------------


def void_bag(uow: UnitOfWork, actor: Actor, bag_id: str, reason: str) -> dict[str, Any]:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("A void needs a reason", details={"reason": ["say why the bag is voided"]})
    with uow:
        session = uow.session
        bag = find_bag(session, bag_id, lock=True)
        if bag.status in ("voided", "infused", "destroyed"):
            raise Conflict(f"Bag {bag.bag_id} is {bag.status}: it cannot be voided", code=f"bag_{bag.status}")
        now = utcnow()
        before = bag.status
        bag.status, bag.voided_at, bag.void_reason = "voided", now, reason
        append_event(session, actor, "bag", bag.bag_id, "void", bag.location, at=now, note=reason)
        session.flush()
        record_event(
            session, actor, "void", "bag", bag.bag_id, before={"status": before},
            after={"status": "voided", "voided_at": now}, reason=reason,
        )  # fmt: skip
        uow.commit()
        return bag_view(session, actor, bag, now)


# ---- labels --------------------------------------------------------------------------------------------


def label_data(study: StudyDefinition, bag: Bag, time_zone: str) -> LabelData:
    """Everything a label prints: study text, the nominal volume and the bag's own IDs and times, no more."""
    return LabelData(
        product_text=study.label["product"],
        route=study.label["route"],
        volume_text=f"{study.final_volume_ml:g} mL",
        protocol=study.protocol,
        participant_id=bag.participant_id,
        randomization_code=bag.randomization_code,
        bag_id=bag.bag_id,
        prepared_at=bag.prepared_at,
        use_by=bag.use_by,
        storage=study.label["storage"],
        statement=study.label["statement"],
        emergency_contact=study.label["emergency_contact"],
        qr_payload=bag.qr_payload,
        time_zone=time_zone,
    )


def _check_printable(bag: Bag, reason: str | None) -> None:
    if bag.status == "voided":
        raise Conflict(f"Bag {bag.bag_id} is voided: its label may not be printed", code="bag_voided")
    if bag.print_count > 0 and reason is None:
        raise Invalid(
            f"The label of bag {bag.bag_id} was printed before: a reprint needs a reason",
            code="reprint_reason_required",
            details={"reason": ["say why the label is printed again (?reason=...)"]},
        )


def _count_print(
    session: Session, actor: Actor, bag: Bag, label_format: str, reason: str | None, **extra: Any
) -> None:
    """One more print of the bag's label, audited the same way however it was printed."""
    bag.print_count += 1
    session.flush()
    record_event(
        session, actor, "print_label" if bag.print_count == 1 else "reprint_label", "bag", bag.bag_id,
        after={"print_count": bag.print_count, "format": label_format, **extra}, reason=reason,
    )  # fmt: skip


def print_label(
    uow: UnitOfWork, actor: Actor, bag_id: str, label_format: str, reason: str | None, *, time_zone: str
) -> tuple[str, bytes | str]:
    """Render the bag's label and count the print; a reprint needs a reason and carries the same payload."""
    reason = (reason or "").strip() or None
    with uow:
        session = uow.session
        study = current_study(session)
        bag = find_bag(session, bag_id, lock=True)
        _check_printable(bag, reason)
        data = label_data(study, bag, time_zone)
        rendered = render_label_pdf(data) if label_format == "pdf" else render_label_zpl(data)
        _count_print(session, actor, bag, label_format, reason)
        uow.commit()
        return bag.bag_id, rendered


def print_sheet(
    uow: UnitOfWork, actor: Actor, bag_ids: list[str], reason: str | None, *, time_zone: str
) -> bytes:
    """An A4 sheet of the labels of `bag_ids`, in the order given; every label is counted and audited as if
    printed alone, and nothing is counted unless the whole sheet can be printed."""
    reason = (reason or "").strip() or None
    wanted = [(bag_id or "").strip().upper() for bag_id in bag_ids]
    if not wanted:
        raise Invalid("A sheet needs at least one bag", details={"bag_id": ["name at least one bag"]})
    if len(wanted) > rules.SHEET_MAX_BAGS:
        raise Invalid(
            f"A sheet holds at most {rules.SHEET_MAX_BAGS} bags", code="too_many_bags",
            details={"bag_id": [f"at most {rules.SHEET_MAX_BAGS} bags"]},
        )  # fmt: skip
    repeated = sorted({bag_id for bag_id in wanted if wanted.count(bag_id) > 1})
    if repeated:
        raise Invalid(
            f"A sheet names each bag once; named more than once: {', '.join(repeated)}", code="duplicate_bag",
            details={"bag_id": [f"{bag_id} is named more than once" for bag_id in repeated]},
        )  # fmt: skip
    for bag_id in wanted:
        if not is_bag_id(bag_id):
            raise NotFound(
                f"{bag_id} is not a bag ID (wrong length, characters or check character)",
                code="bag_not_found",
            )
    with uow:
        session = uow.session
        study = current_study(session)
        # Locked in one fixed order, so that two sheets sharing bags cannot deadlock.
        found = {
            bag.bag_id: bag
            for bag in session.execute(
                select(Bag)
                .where(Bag.bag_id.in_(wanted))
                .order_by(Bag.bag_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).scalars()
        }
        bags = []
        for bag_id in wanted:
            if bag_id not in found:
                raise NotFound(f"No bag has the ID {bag_id}", code="bag_not_found")
            bags.append(found[bag_id])
        for bag in bags:
            if bag.status == "voided":
                raise Conflict(f"Bag {bag.bag_id} is voided: its label may not be printed", code="bag_voided")
        printed = [bag.bag_id for bag in bags if bag.print_count > 0]
        if printed and reason is None:
            raise Invalid(
                f"Some labels were printed before ({', '.join(printed)}): a reprint needs a reason",
                code="reprint_reason_required",
                details={"reason": [f"say why the label of {bag_id} is printed again" for bag_id in printed]},
            )
        rendered = render_sheet_pdf([label_data(study, bag, time_zone) for bag in bags])
        for bag in bags:
            _count_print(session, actor, bag, "sheet", reason)
        uow.commit()
        return rendered


def send_label(
    uow: UnitOfWork,
    actor: Actor,
    bag_id: str,
    reason: str | None,
    *,
    printer: tuple[str, int] | None,
    time_zone: str,
    timeout: float,
) -> dict[str, Any]:
    """Send the bag's ZPL label to the site's label printer and count the print once the printer took it.

    The label is sent inside the transaction that counts it: a printer that refuses it rolls the count back.
    """
    reason = (reason or "").strip() or None
    with uow:
        session = uow.session
        study = current_study(session)
        bag = find_bag(session, bag_id, lock=True)
        if printer is None:
            raise Conflict(
                "No label printer is configured (LABEL_PRINTER=host:port): download the label instead",
                code="printer_not_configured",
            )
        _check_printable(bag, reason)
        zpl = render_label_zpl(label_data(study, bag, time_zone))
        host, port = printer
        address = printer_address(host, port)
        _count_print(session, actor, bag, "zpl", reason, printer=address)
        try:
            send_zpl(host, port, zpl, timeout=timeout)
        except PrinterError as error:
            # The printer and its complaint only: nothing about the bag reaches the log.
            log.warning("label printer %s did not take a label: %s", address, error.__cause__ or error)
            raise Unavailable(
                f"The label printer at {address} did not take the label; it was not counted as printed",
                code="printer_unavailable",
            ) from None
        uow.commit()
        return {"bag_id": bag.bag_id, "print_count": bag.print_count, "printer": address}


def printer_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
