"""Reading the records behind each FHIR resource, as the reader may see them, through the features that own
them: a bag through tracker.pharmacy.bags (never its preparation for a blinded reader), its custody through
the bag's timeline, scans and infusions from the ward, audit events from the sealed chain. The mapping itself
is in rules.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.audit.services import AuditFilter, list_events
from tracker.db import UnitOfWork, utcnow
from tracker.errors import NotFound
from tracker.fhir import rules
from tracker.pharmacy.bags import bag_view, find_bag
from tracker.pharmacy.handoffs import bag_timeline
from tracker.pharmacy.models import Bag
from tracker.randomization.models import Participant, same_participant
from tracker.roles import Actor
from tracker.studies.services import current_study
from tracker.translation import N_
from tracker.ward.models import Infusion, Scan
from tracker.ward.services import infusion_view


def _participant(session: Session, participant_id: str) -> Participant:
    found = session.execute(
        select(Participant).where(same_participant(Participant.participant_id, participant_id or ""))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(
            N_("No participant has the ID %(participant)s"),
            params={"participant": participant_id},
            code="participant_not_found",
        )
    return found


def _known(session: Session, participant_id: str) -> bool:
    return (
        session.execute(
            select(Participant.id).where(same_participant(Participant.participant_id, participant_id))
        ).first()
        is not None
    )


def _blinded_name(session: Session) -> str:
    return current_study(session).label["blinded_treatment_name"]


def _bags_of(session: Session, participant_id: str) -> list[Bag]:
    return list(
        session.execute(
            select(Bag).where(same_participant(Bag.participant_id, participant_id)).order_by(Bag.id)
        ).scalars()
    )


# ---- one resource each ----------------------------------------------------------------------------------


def _product(session: Session, actor: Actor, bag: Bag, now: dt.datetime) -> dict[str, Any]:
    return rules.biologically_derived_product(bag_view(session, actor, bag, now), _blinded_name(session))


def _issues(session: Session, actor: Actor, bag: Bag) -> list[dict[str, Any]]:
    custody = [e for e in bag_timeline(session, actor, bag) if e["kind"] == "custody"]
    return [rules.issue_dispense(issue) for issue in rules.issues_of(bag.bag_id, bag.participant_id, custody)]


def _scan_facts(session: Session, scan: Scan) -> dict[str, Any]:
    bag_id = session.execute(select(Bag.bag_id).where(Bag.id == scan.bag_pk)).scalar_one_or_none()
    return {
        "scan_id": scan.scan_id, "result": scan.result, "bag_id": bag_id,
        "scanned_bag_id": scan.scanned_bag_id, "participant_id": scan.participant_id, "at": scan.at,
        "user": scan.username, "role": scan.role,
    }  # fmt: skip


def _scan_dispense(session: Session, scan: Scan) -> dict[str, Any]:
    return rules.scan_dispense(_scan_facts(session, scan), _known(session, scan.participant_id))


def _administration(session: Session, actor: Actor, infusion: Infusion) -> dict[str, Any]:
    bag = session.get(Bag, infusion.bag_pk)
    view = {**infusion_view(infusion, bag), "recorded_at": infusion.recorded_at}
    product = rules.product_name(bag_view(session, actor, bag), _blinded_name(session))
    match = session.execute(
        select(Scan.scan_id)
        .where(Scan.bag_pk == bag.id, Scan.result == "match", Scan.at <= infusion.started_at)
        .order_by(Scan.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return rules.medication_administration(view, product, match)


def read_patient(uow: UnitOfWork, participant_id: str) -> dict[str, Any]:
    with uow:
        found = _participant(uow.session, participant_id)
        return rules.patient(found.participant_id, current_study(uow.session).code)


def read_product(uow: UnitOfWork, actor: Actor, bag_id: str) -> dict[str, Any]:
    with uow:
        return _product(uow.session, actor, find_bag(uow.session, bag_id), utcnow())


def _no_dispense(dispense_id: str) -> NotFound:
    return NotFound(
        N_("No dispense has the ID %(dispense)s"), params={"dispense": dispense_id}, code="dispense_not_found"
    )


def read_dispense(uow: UnitOfWork, actor: Actor, dispense_id: str) -> dict[str, Any]:
    """An issue (`{bag_id}-issue-{n}`) or a bedside check (its scan ID)."""
    with uow:
        session = uow.session
        issue = rules.parse_issue_id(dispense_id)
        if issue is not None:
            bag = session.execute(select(Bag).where(Bag.bag_id == issue[0])).scalar_one_or_none()
            issues = _issues(session, actor, bag) if bag is not None else []
            if not 1 <= issue[1] <= len(issues):
                raise _no_dispense(dispense_id)
            return issues[issue[1] - 1]
        scan = session.execute(select(Scan).where(Scan.scan_id == dispense_id)).scalar_one_or_none()
        if scan is None or not _readable(session, scan):
            raise _no_dispense(dispense_id)
        return _scan_dispense(session, scan)


def _readable(session: Session, scan: Scan) -> bool:
    """Whether the reader may see a scan: its bag, or else its wristband's participant, is one they can read
    (reads of bags and participants are the ones narrowed to a person's sites)."""
    if scan.bag_pk is not None:
        return session.execute(select(Bag.id).where(Bag.id == scan.bag_pk)).first() is not None
    return _known(session, scan.participant_id)


def read_administration(uow: UnitOfWork, actor: Actor, infusion_id: str) -> dict[str, Any]:
    with uow:
        infusion = uow.session.execute(
            select(Infusion).where(Infusion.infusion_id == (infusion_id or "").strip().upper())
        ).scalar_one_or_none()
        if infusion is None:
            raise NotFound(
                N_("No infusion has the ID %(infusion)s"), params={"infusion": infusion_id},
                code="infusion_not_found",
            )  # fmt: skip
        return _administration(uow.session, actor, infusion)


# ---- provenance -----------------------------------------------------------------------------------------


def _subjects(session: Session, participant_id: str) -> dict[tuple[str, str], None]:
    """The audit records of one participant: the participant, its bags, scans against its wristband and its
    infusion, in that order."""
    subjects: dict[tuple[str, str], None] = {("participant", participant_id): None}
    for bag in _bags_of(session, participant_id):
        subjects[("bag", bag.bag_id)] = None
    scans = session.execute(
        select(Scan.scan_id).where(same_participant(Scan.participant_id, participant_id)).order_by(Scan.id)
    ).scalars()
    subjects.update({("scan", s): None for s in scans})
    infusions = session.execute(
        select(Infusion.infusion_id).where(same_participant(Infusion.participant_id, participant_id))
    ).scalars()
    subjects.update({("infusion", i): None for i in infusions})
    return subjects


def _events_of(session: Session, actor: Actor, participant_id: str) -> list[dict[str, Any]]:
    events = []
    for entity_type, entity_id in _subjects(session, participant_id):
        events += list_events(
            session, actor, AuditFilter(entity_type=entity_type, entity_id=entity_id, limit=10_000)
        )
    return sorted(events, key=lambda e: e["seq"])


def _participant_of(session: Session, entity_type: str, entity_id: str) -> str | None:
    """Whose record an audited entity is (None for one no participant owns: a scan of no known wristband)."""
    if entity_type == "participant":
        found = session.execute(
            select(Participant.participant_id).where(Participant.participant_id == entity_id)
        ).scalar_one_or_none()
        return found
    model, column = {"bag": (Bag, Bag.bag_id), "scan": (Scan, Scan.scan_id),
                     "infusion": (Infusion, Infusion.infusion_id)}[entity_type]  # fmt: skip
    participant_id = session.execute(
        select(model.participant_id).where(column == entity_id)
    ).scalar_one_or_none()
    return participant_id if participant_id is not None and _known(session, participant_id) else None


def read_provenance(uow: UnitOfWork, actor: Actor, provenance_id: str) -> dict[str, Any]:
    """One audit event about a participant's records; any other event is not served here."""
    missing = NotFound(
        N_("No provenance has the ID %(provenance)s"), params={"provenance": provenance_id},
        code="provenance_not_found",
    )  # fmt: skip
    seq = rules.parse_provenance_id(provenance_id)
    if seq is None:
        raise missing
    with uow:
        session = uow.session
        found = list_events(session, actor, AuditFilter(after_seq=seq - 1, limit=1))
        if not found or found[0]["seq"] != seq or found[0]["entity_type"] not in rules.PROVENANCE_ENTITIES:
            raise missing
        event = found[0]
        participant_id = _participant_of(session, event["entity_type"], event["entity_id"])
        if participant_id is None:
            raise missing
        return rules.provenance(event, participant_id)


# ---- searches and $everything -----------------------------------------------------------------------------


def search_dispenses(
    uow: UnitOfWork, actor: Actor, participant_id: str, product: str | None = None
) -> list[dict[str, Any]]:
    """A participant's issues (of its bags) then bedside checks (against its wristband), oldest first."""
    with uow:
        session = uow.session
        found = _participant(session, participant_id)
        return _dispenses(session, actor, found.participant_id, product)


def _dispenses(session: Session, actor: Actor, participant_id: str, product: str | None) -> list[dict]:
    wanted = product.split("/")[-1].strip().upper() if product else None
    issues = [
        d for bag in _bags_of(session, participant_id) if wanted in (None, bag.bag_id)
        for d in _issues(session, actor, bag)
    ]  # fmt: skip
    scans = session.execute(
        select(Scan).where(same_participant(Scan.participant_id, participant_id)).order_by(Scan.id)
    ).scalars()
    checks = [_scan_dispense(session, s) for s in scans]
    if wanted:
        checks = [
            c for c in checks if c["product"].get("reference") == f"BiologicallyDerivedProduct/{wanted}"
        ]
    return sorted(issues + checks, key=lambda d: d["whenHandedOver"])


def search_administrations(
    uow: UnitOfWork, actor: Actor, participant_id: str, dates: Sequence[rules.DateTest]
) -> list[dict[str, Any]]:
    with uow:
        session = uow.session
        found = _participant(session, participant_id)
        infusions = session.execute(
            select(Infusion).where(same_participant(Infusion.participant_id, found.participant_id))
        ).scalars()
        return [_administration(session, actor, i) for i in infusions if rules.admits(dates, i.started_at)]


def search_provenance(
    uow: UnitOfWork, actor: Actor, participant_id: str, dates: Sequence[rules.DateTest]
) -> list[dict[str, Any]]:
    with uow:
        session = uow.session
        found = _participant(session, participant_id)
        return [
            rules.provenance(e, found.participant_id)
            for e in _events_of(session, actor, found.participant_id)
            if rules.admits(dates, e["at"])
        ]


def everything(uow: UnitOfWork, actor: Actor, participant_id: str) -> list[dict[str, Any]]:
    """The participant's whole story in order: the Patient, each bag, its issues and bedside checks (by
    time), the infusion, then the audit events behind them."""
    with uow:
        session = uow.session
        found = _participant(session, participant_id)
        pid = found.participant_id
        now = utcnow()
        resources = [rules.patient(pid, current_study(session).code)]
        resources += [_product(session, actor, bag, now) for bag in _bags_of(session, pid)]
        resources += _dispenses(session, actor, pid, None)
        infusions = session.execute(
            select(Infusion).where(same_participant(Infusion.participant_id, pid))
        ).scalars()
        resources += [_administration(session, actor, i) for i in infusions]
        resources += [rules.provenance(e, pid) for e in _events_of(session, actor, pid)]
        return resources
