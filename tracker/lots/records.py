"""A lot's record as a reader may see it: the lot with its QC results against the study, its signatures and
what blocks its release; lists of lots, the freezer boxes holding them, and the certificate of analysis."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.db import UnitOfWork, find_one, utcnow
from tracker.errors import NotFound
from tracker.lots import rules
from tracker.lots.certificate import ENGLISH, CertificateWords, render_certificate
from tracker.lots.containers import container_view, containers_by_status
from tracker.lots.models import Container, Lot, LotSignature, QcResult
from tracker.roles import Actor
from tracker.studies.definition import StudyDefinition
from tracker.studies.services import current_study
from tracker.translation import N_


def find_lot(session: Session, lot_number: str, *, lock: bool = False) -> Lot:
    """The lot with this number, in any case, or NotFound."""
    query = select(Lot).where(Lot.lot_number == rules.normalise_lot_number(lot_number))
    # Locked, it serialises every writer of one lot (a row lock on PostgreSQL; SQLite holds the database).
    missing = NotFound(N_("No lot has the number %(lot)s"), params={"lot": lot_number}, code="lot_not_found")
    return find_one(session, query, missing, lock=lock)


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
        "results_pending": results_pending(lot) if signature.action == "release" else [],
        "disposition": disposition(lot),
    }


def results_pending(lot: Lot) -> list[str]:
    """The tests the lot was released without whose result has not come yet."""
    return [f.test for f in lot.follow_ups if f.state == "pending"]


def disposition(lot: Lot) -> str:
    """The lot's status as every reader sees it ("released, results pending" while a follow-up is open)."""
    return rules.disposition(lot.status, (f.state for f in lot.follow_ups))


def follow_ups_view(lot: Lot) -> list[dict[str, Any]]:
    return [
        {"test": f.test, "state": f.state, "opened_at": f.opened_at, "closed_at": f.closed_at,
         "result_id": f.result_id, "deviation_id": f.deviation_id}
        for f in lot.follow_ups
    ]  # fmt: skip


def latest_values(lot: Lot) -> dict[str, float | str]:
    return {test: r.value for test, r in rules.latest_by_test(lot.qc_results).items()}


def _blockers(study: StudyDefinition, lot: Lot, now: dt.datetime) -> list[dict[str, Any]]:
    return rules.release_blockers(
        study, lot.material, latest_values(lot), status=lot.status, expires_at=lot.expires_at, now=now,
        may_be_pending=study.may_be_pending(lot.material),
    )  # fmt: skip


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
        "site": lot.site_code,
        "material": lot.material,
        "status": lot.status,
        "disposition": disposition(lot),
        "results_pending": results_pending(lot),
        "follow_ups": follow_ups_view(lot),
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
        # The tests a release now would leave pending (the study allowing it): the signing page says so.
        "pending_at_release": rules.pending_at_release(
            study, lot.material, latest_values(lot), study.may_be_pending(lot.material)
        )
        if lot.status == "quarantine"
        else [],
        "release": release,
        "signatures": signatures,
    }


def get_lot(uow: UnitOfWork, actor: Actor, lot_number: str) -> dict[str, Any]:
    with uow:
        return lot_view(current_study(uow.session), find_lot(uow.session, lot_number), utcnow(), actor.role)


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
                    "site": lot.site_code,
                    "material": lot.material,
                    "status": lot.status,
                    "disposition": disposition(lot),
                    "results_pending": results_pending(lot),
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


def box_maps(uow: UnitOfWork, actor: Actor, lot_number: str) -> dict[str, Any]:
    """Each freezer box holding the lot's containers, as a grid with every container of any lot in it."""
    with uow:
        lot = find_lot(uow.session, lot_number)
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


def certificate_pdf(
    uow: UnitOfWork, actor: Actor, lot_number: str, *, site: str, words: CertificateWords = ENGLISH
) -> tuple[str, bytes]:
    """(lot number, PDF bytes) of the lot's certificate of analysis as its records stand now, in `words`."""
    with uow:
        study = current_study(uow.session)
        now = utcnow()
        lot = lot_view(study, find_lot(uow.session, lot_number), now, actor.role)
    pdf = render_certificate(
        lot, protocol=study.protocol, study_title=study.title, site=site, generated_by=actor.username,
        generated_at=now, words=words,
    )  # fmt: skip
    return lot["lot_number"], pdf
