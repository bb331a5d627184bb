"""Lot use cases: create with containers, record QC results, sign release / rejection / recall, move
containers out of the store, and read lots for answers, pages and the certificate of analysis. A blinded
reader sees a container only as in the lab's store, in the pharmacy or discarded in the lab
(tracker.blinding)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.blinding import (
    blinded_container_counts,
    container_status_for,
    custody_event_for,
    custody_for,
    is_unblinded,
)
from tracker.custody import rules as custody_rules
from tracker.custody import services as custody
from tracker.custody.models import CustodyEvent
from tracker.db import UnitOfWork, utcnow
from tracker.errors import Conflict, Forbidden, Invalid, NotFound
from tracker.lots import rules
from tracker.lots.certificate import render_certificate
from tracker.lots.models import Container, Lot, LotSignature, QcResult
from tracker.roles import Actor
from tracker.studies.definition import StudyDefinition
from tracker.studies.services import current_study
from tracker.users.services import LoginPolicy, reauthenticate

DEFAULT_FREEZER = "LN2-01"
DEFAULT_RACK = "R1"


# ---- reading -------------------------------------------------------------------------------------------


def _lot(session: Session, lot_number: str, *, lock: bool = False) -> Lot:
    query = select(Lot).where(Lot.lot_number == rules.normalise_lot_number(lot_number))
    if lock:
        # Serialises every writer of one lot (a row lock on PostgreSQL; SQLite writers hold the database).
        query = query.with_for_update().execution_options(populate_existing=True)
    lot = session.execute(query).scalar_one_or_none()
    if lot is None:
        raise NotFound(f"No lot has the number {lot_number}", code="lot_not_found")
    return lot


def _container(session: Session, container_id: str, *, lock: bool = False) -> Container:
    wanted = (container_id or "").strip().upper()
    if not rules.is_container_id(wanted):
        raise NotFound(
            f"{container_id} is not a container ID (wrong length, characters or check character)",
            code="container_not_found",
        )
    query = select(Container).where(Container.container_id == wanted)
    if lock:
        query = query.with_for_update(of=Container).execution_options(populate_existing=True)
    container = session.execute(query).scalar_one_or_none()
    if container is None:
        raise NotFound(f"No container has the ID {wanted}", code="container_not_found")
    return container


def find_container(session: Session, container_id: str, *, lock: bool = True) -> Container:
    """The container with this ID, locked for update by default, or NotFound (for other features)."""
    return _container(session, container_id, lock=lock)


def result_view(result: QcResult, *, current: bool, superseded_by: int | None) -> dict[str, Any]:
    return {
        "result_id": result.id,
        "test": result.test,
        "value": result.value,
        "unit": result.unit,
        "specification": result.specification,
        "passed": result.passed,
        "current": current,
        "supersedes": result.supersedes_id,
        "superseded_by": superseded_by,
        "correction": result.is_correction,
        "reason": result.reason,
        "entered_by": result.entered_by,
        "entered_by_name": result.entered_by_name,
        "entered_at": result.entered_at,
    }


def signature_view(lot: Lot, signature: LotSignature) -> dict[str, Any]:
    return {
        "lot_number": lot.lot_number,
        "status": lot.status,
        "action": signature.action,
        "signed_by": signature.username,
        "signed_by_name": signature.full_name,
        "signed_by_role": signature.role,
        "signed_at": signature.signed_at,
        "meaning": signature.meaning,
        "reason": signature.reason,
    }


def _container_record(container: Container) -> dict[str, Any]:
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
    return {**_container_record(container), "status": container_status_for(role, container.status)}


def _latest_values(lot: Lot) -> dict[str, float | str]:
    return {test: r.value for test, r in rules.latest_by_test(lot.qc_results).items()}


def _blockers(study: StudyDefinition, lot: Lot, now: dt.datetime) -> list[dict[str, Any]]:
    return rules.release_blockers(
        study, lot.material, _latest_values(lot), status=lot.status, expires_at=lot.expires_at, now=now
    )


def containers_by_status(containers: list[Container], role: str) -> dict[str, int]:
    """Counts of the lot's containers: by stored status for unblinded roles; else in the lab's store, in the
    pharmacy and discarded in the lab only, which nothing the pharmacy does can move."""
    if is_unblinded(role):
        return {s: sum(1 for c in containers if c.status == s) for s in custody_rules.CONTAINER_STATUSES}
    return blinded_container_counts(c.status for c in containers)


def lot_view(study: StudyDefinition, lot: Lot, now: dt.datetime, role: str) -> dict[str, Any]:
    latest = rules.latest_by_test(lot.qc_results)
    superseded_by = {r.supersedes_id: r.id for r in lot.qc_results if r.supersedes_id}
    summary = []
    for spec in study.qc_tests.get(lot.material, ()):
        result = latest.get(spec.test)
        if result is None:
            state = "missing"
        else:
            state = "pass" if rules.result_passes(spec, result.value) else "fail"
        summary.append(
            {
                "test": spec.test,
                "specification": spec.specification,
                "unit": spec.unit,
                "value": result.value if result else None,
                "result_id": result.id if result else None,
                "state": state,
            }
        )
    signatures = [signature_view(lot, s) for s in lot.signatures]
    release = next((s for s in signatures if s["action"] == "release"), None)
    return {
        "lot_number": lot.lot_number,
        "material": lot.material,
        "status": lot.status,
        "manufactured_at": lot.manufactured_at,
        "expires_at": lot.expires_at,
        "expired": lot.expires_at <= now,
        "usable": rules.lot_usable(lot, now),
        "container_count": lot.container_count,
        "volume_ml_per_container": lot.volume_ml_per_container,
        "cells_per_container": lot.cells_per_container,
        "donor_code": lot.donor_code,
        "cell_bank": lot.cell_bank,
        "passage": lot.passage,
        "created_at": lot.created_at,
        "created_by": lot.created_by,
        "containers": [container_view(c, role) for c in lot.containers],
        "containers_by_status": containers_by_status(lot.containers, role),
        "qc_results": [
            result_view(r, current=latest.get(r.test) is r, superseded_by=superseded_by.get(r.id))
            for r in lot.qc_results
        ],
        "qc_summary": summary,
        "release_blockers": _blockers(study, lot, now),
        "release": release,
        "signatures": signatures,
    }


def get_lot(uow: UnitOfWork, actor: Actor, lot_number: str) -> dict[str, Any]:
    with uow:
        return lot_view(current_study(uow.session), _lot(uow.session, lot_number), utcnow(), actor.role)


def list_lots(
    uow: UnitOfWork, actor: Actor, *, status: str | None = None, material: str | None = None
) -> list[dict]:
    with uow:
        query = select(Lot).order_by(Lot.id)
        if status:
            query = query.where(Lot.status == status)
        if material:
            query = query.where(Lot.material == material)
        now = utcnow()
        study = current_study(uow.session)
        items = []
        for lot in uow.session.execute(query).scalars():
            release = next((s for s in lot.signatures if s.action == "release"), None)
            items.append(
                {
                    "lot_number": lot.lot_number,
                    "material": lot.material,
                    "status": lot.status,
                    "manufactured_at": lot.manufactured_at,
                    "expires_at": lot.expires_at,
                    "expired": lot.expires_at <= now,
                    "usable": rules.lot_usable(lot, now),
                    "container_count": lot.container_count,
                    "containers_by_status": containers_by_status(lot.containers, actor.role),
                    "released_at": release.signed_at if release else None,
                    "release_blockers": _blockers(study, lot, now),
                }
            )
        return items


def container_custody(uow: UnitOfWork, actor: Actor, container_id: str) -> list[dict[str, Any]]:
    """The container's custody as the actor may see it: for a blinded reader it ends at the issue."""
    with uow:
        container = _container(uow.session, container_id)
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


def box_maps(uow: UnitOfWork, actor: Actor, lot_number: str) -> dict[str, Any]:
    """Each freezer box holding the lot's containers, as a grid with every container of any lot in it."""
    with uow:
        lot = _lot(uow.session, lot_number)
        boxes = sorted({(c.freezer, c.rack, c.box) for c in lot.containers})
        maps = []
        for freezer, rack, box in boxes:
            rows = uow.session.execute(
                select(Container, Lot.lot_number)
                .join(Lot, Lot.id == Container.lot_id)
                .where(Container.freezer == freezer, Container.rack == rack, Container.box == box)
                .order_by(Container.id)
            ).all()
            grid: list[list[dict[str, Any] | None]] = [
                [None] * rules.BOX_COLUMNS for _ in range(len(rules.BOX_ROWS))
            ]
            for container, owner in rows:
                cell = rules.position_cell(container.position)
                # A slot shows who is in it now; one that left the box leaves it free for the next.
                if cell and (grid[cell[0]][cell[1]] is None or container.status == "stored"):
                    grid[cell[0]][cell[1]] = {**container_view(container, actor.role), "lot_number": owner}
            maps.append({"freezer": freezer, "rack": rack, "box": box, "grid": grid})
        return {"lot_number": lot.lot_number, "rows": rules.BOX_ROWS, "boxes": maps}


# ---- creating ------------------------------------------------------------------------------------------


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
        taken = set(
            session.execute(
                select(Container.container_id).where(Container.container_id.in_(candidates))
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
            f"Box {box} in {freezer}/{rack} has {len(free)} free positions, not {count}",
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
        raise Invalid("The lot's times are not possible", details=problems)
    with uow:
        session = uow.session
        study = current_study(session)
        if data["material"] not in study.qc_tests:
            raise Invalid(
                "The study defines no QC tests for this material",
                details={"material": [f"must be one of: {', '.join(study.qc_tests)}"]},
            )
        if session.execute(select(Lot.id).where(Lot.lot_number == lot_number)).first():
            raise Conflict(f"Lot {lot_number} already exists", code="lot_exists")
        count = data["container_count"]
        lot = Lot(
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
                container_id=cid, lot=lot, status="stored",
                freezer=freezer, rack=rack, box=box, position=position, created_at=now,
            )
            for cid, (freezer, rack, box, position) in zip(ids, places, strict=True)
        ]  # fmt: skip
        session.add_all(containers)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(f"Lot {lot_number} already exists", code="lot_exists") from None
        record_event(
            session, actor, "create", "lot", lot_number,
            after={
                "material": lot.material, "status": lot.status,
                "manufactured_at": lot.manufactured_at, "expires_at": lot.expires_at,
                "container_count": count, "volume_ml_per_container": lot.volume_ml_per_container,
                "cells_per_container": lot.cells_per_container, "donor_code": lot.donor_code,
                "cell_bank": lot.cell_bank, "passage": lot.passage,
            },
        )  # fmt: skip
        for container in containers:
            record_event(
                session, actor, "create", "container", container.container_id,
                after={"lot_number": lot_number, **_container_record(container)},
            )  # fmt: skip
        view = lot_view(study, lot, now, actor.role)
        uow.commit()
        return view


# ---- QC results ----------------------------------------------------------------------------------------


def record_qc_result(
    uow: UnitOfWork,
    actor: Actor,
    lot_number: str,
    test: str,
    value: Any,
    *,
    corrects: int | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Append a result; the latest result of a test is the one release judges. A correction names the
    result it corrects and says why; the corrected result stays on record."""
    reason = (reason or "").strip() or None
    with uow:
        session = uow.session
        study = current_study(session)
        lot = _lot(session, lot_number, lock=True)
        spec = study.qc_spec(lot.material, test)
        if spec is None:
            tests = ", ".join(s.test for s in study.qc_tests.get(lot.material, ()))
            raise Invalid(
                f"The study defines no test {test!r} for {lot.material} lots",
                code="unknown_test",
                details={"test": [f"must be one of: {tests}"]},
            )
        try:
            parsed = rules.parse_qc_value(spec, value)
        except ValueError as exc:
            raise Invalid(
                f"The value is not a valid {test} result",
                code="invalid_qc_value",
                details={"value": [str(exc)]},
            ) from None
        previous = rules.latest_by_test(lot.qc_results).get(test)
        if corrects is not None:
            if reason is None:
                raise Invalid(
                    "A correction needs a reason", details={"reason": ["say why the result is corrected"]}
                )
            target = session.get(QcResult, corrects)
            if target is None or target.lot_id != lot.id:
                raise NotFound(f"Lot {lot.lot_number} has no QC result {corrects}", code="result_not_found")
            if target.test != test:
                raise Invalid(
                    "A correction must be of the same test",
                    details={"corrects": [f"result {corrects} is a {target.test} result, not {test}"]},
                )
            if previous is not None and previous.id != target.id:
                raise Conflict(
                    f"Result {corrects} has already been superseded by result {previous.id}",
                    code="already_superseded",
                )
        if lot.status != "quarantine":
            raise Conflict(
                f"Lot {lot.lot_number} is {lot.status}: QC results can only be entered in quarantine",
                code="lot_not_in_quarantine",
            )
        result = QcResult(
            lot_id=lot.id,
            test=test,
            value_number=parsed if spec.kind == "number" else None,
            value_word=parsed if spec.kind == "word" else None,
            unit=spec.unit,
            specification=spec.specification,
            passed=spec.passes(parsed),
            supersedes_id=previous.id if previous else None,
            is_correction=corrects is not None,
            reason=reason,
            entered_by=actor.username,
            entered_by_name=actor.full_name,
            entered_at=utcnow(),
        )
        session.add(result)
        session.flush()
        record_event(
            session, actor, "record_qc_result", "lot", lot.lot_number,
            after={
                "result_id": result.id, "test": test, "value": parsed, "unit": spec.unit,
                "specification": spec.specification, "pass": result.passed,
                "supersedes": result.supersedes_id, "correction": result.is_correction,
            },
            reason=reason,
        )  # fmt: skip
        uow.commit()
        return result_view(result, current=True, superseded_by=None)


# ---- signatures ----------------------------------------------------------------------------------------


def _sign(
    uow: UnitOfWork,
    actor: Actor,
    lot_number: str,
    action: str,
    password: str,
    policy: LoginPolicy,
    *,
    meaning: str | None,
    reason: str | None,
) -> dict[str, Any]:
    meaning = (meaning or "").strip() or rules.DEFAULT_MEANINGS[action]
    reason = (reason or "").strip() or None
    if action in ("reject", "recall") and reason is None:
        raise Invalid(f"A {action} needs a reason", details={"reason": [f"say why the lot is {action}ed"]})
    with uow:
        _lot(uow.session, lot_number)  # an unknown lot answers 404 without spending a password attempt
    reauthenticate(uow, actor, password, policy)
    with uow:
        session = uow.session
        now = utcnow()
        lot = _lot(session, lot_number, lock=True)
        new_status = rules.signature_status_after(lot.status, action)
        if new_status is None:
            raise Conflict(
                f"Lot {lot.lot_number} is {lot.status}: it cannot be {rules.SIGNATURE_MOVES[action][1]} now",
                code=rules.signature_refusal_code(lot.status, action),
            )
        if rules.four_eyes_violated(actor.username, (r.entered_by for r in lot.qc_results)):
            raise Forbidden(
                "You entered QC results of this lot, so another person must sign its disposition",
                code="four_eyes",
            )
        if action == "release":
            study = current_study(session)
            blockers = rules.release_blockers(
                study, lot.material, _latest_values(lot), expires_at=lot.expires_at, now=now
            )
            if blockers:
                raise Conflict(
                    f"Lot {lot.lot_number} cannot be released: " + "; ".join(b["message"] for b in blockers),
                    code="release_blocked",
                    details={
                        "missing": [b["test"] for b in blockers if b["problem"] == "missing"],
                        "failed": [b["test"] for b in blockers if b["problem"] == "failed"],
                        "expired": any(b["problem"] == "expired" for b in blockers),
                        "blockers": blockers,
                    },
                )
        before = lot.status
        lot.status = new_status
        signature = LotSignature(
            lot_id=lot.id, action=action, username=actor.username, full_name=actor.full_name,
            role=actor.role, signed_at=now, meaning=meaning, reason=reason,
        )  # fmt: skip
        session.add(signature)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(
                f"Lot {lot.lot_number} already carries a {action} signature", code="already_signed"
            ) from None
        record_event(
            session, actor, action, "lot", lot.lot_number,
            before={"status": before},
            after={
                "status": new_status, "signed_by": actor.username, "signed_by_name": actor.full_name,
                "signed_at": now, "meaning": meaning,
            },
            reason=reason,
        )  # fmt: skip
        uow.commit()
        return signature_view(lot, signature)


def release_lot(
    uow: UnitOfWork, actor: Actor, lot_number: str, password: str, meaning: str | None, policy: LoginPolicy
) -> dict[str, Any]:
    return _sign(uow, actor, lot_number, "release", password, policy, meaning=meaning, reason=None)


def reject_lot(
    uow: UnitOfWork,
    actor: Actor,
    lot_number: str,
    password: str,
    reason: str,
    policy: LoginPolicy,
    meaning: str | None = None,
) -> dict[str, Any]:
    return _sign(uow, actor, lot_number, "reject", password, policy, meaning=meaning, reason=reason)


def recall_lot(
    uow: UnitOfWork,
    actor: Actor,
    lot_number: str,
    password: str,
    reason: str,
    policy: LoginPolicy,
    meaning: str | None = None,
) -> dict[str, Any]:
    return _sign(uow, actor, lot_number, "recall", password, policy, meaning=meaning, reason=reason)


# ---- containers ----------------------------------------------------------------------------------------


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
            "A discard needs a note saying why", details={"note": ["say why the container is discarded"]}
        )
    with uow:
        session = uow.session
        container = _container(session, container_id, lock=True)
        if action == "issue":
            issue_kit = current_study(session).issue_kit
            if issue_kit:
                raise Conflict(
                    f"This study issues containers to the pharmacy only in whole kits: issue container "
                    f"{container.container_id} together with the rest of its kit (POST /containers/issue, or "
                    "the kit issue page)",
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


def certificate_pdf(uow: UnitOfWork, actor: Actor, lot_number: str, *, site: str) -> tuple[str, bytes]:
    """(lot number, PDF bytes) of the lot's certificate of analysis as its records stand now."""
    with uow:
        study = current_study(uow.session)
        now = utcnow()
        lot = lot_view(study, _lot(uow.session, lot_number), now, actor.role)
    pdf = render_certificate(
        lot, protocol=study.protocol, study_title=study.title, site=site, generated_by=actor.username,
        generated_at=now,
    )  # fmt: skip
    return lot["lot_number"], pdf
