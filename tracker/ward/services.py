"""The bedside use cases: record a scan (whatever it answers), start and complete the infusion of a bag."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, insert, select
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.checkchar import is_random_id, new_random_id
from tracker.db import UnitOfWork, conflict_on_integrity_error, find_one, unused_id, utcnow
from tracker.deviations.services import raise_automatic
from tracker.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, Unauthorized
from tracker.pharmacy.bag_ids import is_bag_id
from tracker.pharmacy.handoffs import received_at
from tracker.pharmacy.models import Bag
from tracker.pharmacy.payload import BadSignature, UnreadablePayload, read_payload
from tracker.randomization.models import Participant, same_participant
from tracker.roles import Actor
from tracker.studies.services import current_study
from tracker.text import participant_key
from tracker.timing import check_happened
from tracker.translation import N_
from tracker.users.services import SIGNATURE, LoginPolicy, check_password
from tracker.ward import rules
from tracker.ward.models import Infusion, Scan

SCAN_PREFIX, SCAN_BODY = "S", 11
INFUSION_PREFIX, INFUSION_BODY = "I", 9
COSIGN_MEANING = "Second nurse: I verified the bag label against the participant's wristband"


def _clean_participant_id(raw: str) -> str:
    # A wristband scanned by a keyboard wedge arrives like a label: spaces, CR/LF, any case.
    return participant_key(raw or "")


def _find_participant(session: Session, participant_id: str) -> Participant | None:
    return session.execute(
        select(Participant).where(same_participant(Participant.participant_id, participant_id))
    ).scalar_one_or_none()


def _participant_infused(session: Session, participant_id: str) -> bool:
    return (
        session.execute(
            select(Infusion.id).where(same_participant(Infusion.participant_id, participant_id))
        ).first()
        is not None
    )


def _at_bedside(bag: Bag) -> rules.BagAtBedside:
    return rules.BagAtBedside(bag.status, bag.use_by, bag.quarantined, bag.participant_id)


class ScanRefused(DomainError):
    status = 409


def _refusal(code: str, status: int, extra: dict[str, Any]) -> DomainError:
    error = {404: NotFound, 409: ScanRefused, 422: Invalid}[status]
    return error(rules.REFUSAL_MESSAGES[code], code=code, extra=extra)


# The scanned bag, whether the participant exists and was infused, whether a fresh scan ID is taken already:
# one query, built once (the bedside scan is the busiest write of the app).
def _scan_facts_query(at_sites: bool) -> Any:
    """One Core query, built once: the session's site narrowing (tracker/sites/scope.py) applies to ORM reads
    only, so a nurse bound to sites gets the same narrowing here by hand: another site's bag or participant
    is unknown at this bedside, as on every other route."""
    bag = Bag.bag_id == bindparam("bag_id")
    # The wristband arrives as its key (upper case); IDs are stored as first enrolled.
    participant = func.upper(Participant.participant_id) == bindparam("participant_id")
    if at_sites:  # each model's own scoping (tracker/sites/models.py), over the sites bound at execution
        bag = and_(bag, Bag.site_filter(bindparam("sites", expanding=True)))
        participant = and_(participant, Participant.site_filter(bindparam("sites", expanding=True)))
    return select(
        Bag.id, Bag.bag_id, Bag.status, Bag.use_by, Bag.quarantined, Bag.participant_id,
        Bag.randomization_code, exists().where(participant).label("participant_known"),
        exists().where(func.upper(Infusion.participant_id) == bindparam("participant_id"))
        .label("participant_infused"),
        exists().where(Scan.scan_id == bindparam("scan_id")).label("scan_id_taken"),
    ).where(bag)  # fmt: skip


_SCAN_FACTS = {False: _scan_facts_query(False), True: _scan_facts_query(True)}


_INSERT_SCAN = insert(Scan.__table__).returning(Scan.__table__.c.id)


def _scan_facts(session: Session, bag_id: str, participant_id: str, scan_id: str) -> Any:
    """The facts a scan decides on (see _scan_facts_query); None when no bag has that ID at the person's
    sites."""
    params = {"bag_id": bag_id, "participant_id": participant_id, "scan_id": scan_id}
    sites = session.info.get("sites")
    if sites:
        params["sites"] = list(sites)
    return session.connection().execute(_SCAN_FACTS[bool(sites)], params).first()


def record_scan(
    uow: UnitOfWork, actor: Actor, raw: str, participant_id: str, *, qr_key: str
) -> dict[str, Any]:
    """Read the label a scanner typed and check it against the participant's wristband. Every scan is kept
    and audited, good or bad; a refusal is raised only after it is committed.

    Reading the label needs no database, so it happens before the transaction; the bag, the participant and
    a fresh scan ID are then checked in one query (SQLite holds its write lock from the first statement)."""
    participant_id = _clean_participant_id(participant_id)
    scanned_bag_id, status = None, 200
    try:
        scanned_bag_id = read_payload(raw, qr_key)
    except UnreadablePayload:
        result, status = "unreadable_payload", 422
    except BadSignature:
        result, status = "bad_signature", 422
        scanned_bag_id = raw.strip().upper()[3:15] if isinstance(raw, str) else None
    scan_id = new_random_id(SCAN_PREFIX, SCAN_BODY)
    with uow:
        session = uow.session
        now = utcnow()
        bag = _scan_facts(session, scanned_bag_id, participant_id, scan_id) if status == 200 else None
        if status == 200 and bag is None:
            result, status = "unknown_bag", 404
        if status == 200 and not bag.participant_known:
            result, status = "unknown_participant", 404
        if status == 200:
            refusal = rules.scan_refusal(_at_bedside(bag), participant_id, bag.participant_infused, now)
            result, status = (refusal, 409) if refusal else ("match", 200)
        if bag is None or bag.scan_id_taken:
            scan_id = unused_id(session, Scan.scan_id, lambda: new_random_id(SCAN_PREFIX, SCAN_BODY))
        recorded_bag_id = scanned_bag_id if scanned_bag_id and is_bag_id(scanned_bag_id) else None
        row = {
            "scan_id": scan_id, "bag_pk": bag.id if bag is not None else None,
            "scanned_bag_id": recorded_bag_id, "participant_id": participant_id[:40], "result": result,
            "at": now, "username": actor.username, "role": actor.role,
        }  # fmt: skip
        row["id"] = session.connection().execute(_INSERT_SCAN, row).scalar_one()
        record_event(
            session, actor, "scan", "scan", scan_id,
            after={"result": result, "bag_id": recorded_bag_id, "participant_id": participant_id[:40]},
            written=[(Scan.__table__, row)],
        )  # fmt: skip
        if status == 409:
            # A STOP at the bedside opens its deviation once per bag, committed with the scan that found it.
            known_participant = participant_id if bag.participant_known else None
            links = {"bag_id": bag.bag_id, "participant_id": known_participant}
            raise_automatic(session, actor, "bedside_stop", links, "STOP at the bedside", f"scan:{result}")
        uow.commit()
    if status != 200:
        raise _refusal(result, status, {"match": False, "scan_id": scan_id})
    return {
        "match": True,
        "scan_id": scan_id,
        "bag_id": bag.bag_id,
        "participant_id": bag.participant_id,
        "randomization_code": bag.randomization_code,
        "expires_at": bag.use_by,
        "scanned_at": now,
    }


# ---- infusions -----------------------------------------------------------------------------------------


def infusion_view(infusion: Infusion, bag: Bag) -> dict[str, Any]:
    return {
        "infusion_id": infusion.infusion_id,
        "bag_id": bag.bag_id,
        "participant_id": infusion.participant_id,
        "randomization_code": bag.randomization_code,
        "started_at": infusion.started_at,
        "started_by": infusion.started_by,
        "completed_at": infusion.completed_at,
        "completed_by": infusion.completed_by,
        "volume_infused_ml": infusion.volume_infused_ml,
        "note": infusion.note,
        "cosignature": (
            {
                "user": infusion.cosigned_by,
                "name": infusion.cosigner_name,
                "at": infusion.cosigned_at,
                "meaning": infusion.cosign_meaning,
            }
            if infusion.cosigned_by
            else None
        ),
    }


def _cosigner(
    check_uow: UnitOfWork, actor: Actor, data: dict[str, Any], policy: LoginPolicy
) -> tuple[Actor, dt.datetime] | None:
    """The second nurse of a two-person bedside check, signed with their own password (checked before the
    infusion's transaction opens: the password check keeps its own record of the attempt)."""
    username = (data.get("cosigner_username") or "").strip().lower()
    if not username:
        return None
    if username == actor.username:
        raise Forbidden(N_("The second check must be made by another nurse"), code="four_eyes")
    try:
        cosigner = check_password(
            check_uow, username, data.get("cosigner_password") or "", policy, purpose=SIGNATURE
        )
    except Unauthorized:
        raise Unauthorized(
            N_("The second nurse's user name or password is wrong: the infusion was not started"),
            code="cosigner_wrong_password",
        ) from None
    if cosigner.role != "nurse":
        raise Forbidden(N_("The second check must be made by a nurse"), code="cosigner_not_nurse")
    return cosigner, utcnow()


def _bedside_facts(session: Session, bag_id: str, participant_id: str) -> tuple[Bag, Participant]:
    wanted = (bag_id or "").strip().upper()
    missing = NotFound(N_("No bag has the ID %(bag)s"), params={"bag": wanted}, code="unknown_bag")
    if not is_bag_id(wanted):
        raise missing
    bag = find_one(session, select(Bag).where(Bag.bag_id == wanted), missing, lock=True)
    participant = _find_participant(session, participant_id)
    if participant is None:
        raise NotFound(
            N_("No participant %(participant)s"),
            params={"participant": participant_id},
            code="unknown_participant",
        )
    return bag, participant


def start_infusion(
    uow: UnitOfWork,
    actor: Actor,
    data: dict[str, Any],
    *,
    policy: LoginPolicy,
    check_uow: UnitOfWork,
) -> dict[str, Any]:
    """Start the one infusion of a bag: every scan check again as of now, then the database's unique
    constraints make sure that of many simultaneous starts exactly one wins."""
    participant_id = _clean_participant_id(data["participant_id"])
    now = utcnow()
    started_at = data.get("started_at") or now
    signed = _cosigner(check_uow, actor, data, policy)
    with uow:
        session = uow.session
        study = current_study(session)
        bag, participant = _bedside_facts(session, data["bag_id"], participant_id)
        refusal = rules.scan_refusal(
            _at_bedside(bag), participant_id, _participant_infused(session, participant.participant_id), now
        )
        if refusal:
            # A refused start is a STOP at the bedside, as a refused scan is: its deviation, once per bag.
            links = {"bag_id": bag.bag_id, "participant_id": participant.participant_id}
            raise_automatic(session, actor, "bedside_stop", links, "STOP at the bedside", f"start:{refusal}")
            uow.commit()
            raise Conflict(rules.REFUSAL_MESSAGES[refusal], code=refusal)
        check_happened("started_at", started_at, now, not_before=received_at(session, bag),
                       what_before="the bag's receipt on the ward")  # fmt: skip
        completed_at = data.get("completed_at")
        if completed_at is not None:
            check_happened("completed_at", completed_at, now, not_before=started_at, what_before="the start")
        _check_volume(study, bag, data.get("volume_infused_ml"))
        if study.two_person_verification and signed is None:
            raise Invalid(
                N_(
                    "This study needs a second nurse to confirm the bag and wristband before an infusion "
                    "starts"
                ),
                code="cosignature_required",
                details={"cosigner_username": ["required: a second nurse confirms the check"]},
            )
        infusion = Infusion(
            infusion_id=unused_id(
                session, Infusion.infusion_id, lambda: new_random_id(INFUSION_PREFIX, INFUSION_BODY)
            ),
            site_code=bag.site_code,
            bag_pk=bag.id, participant_id=participant.participant_id, started_at=started_at,
            started_by=actor.username, completed_at=completed_at,
            completed_by=actor.username if completed_at else None,
            volume_infused_ml=data.get("volume_infused_ml"), note=_note(data), recorded_at=now,
            cosigned_by=signed[0].username if signed else None,
            cosigner_name=signed[0].full_name if signed else None,
            cosigned_at=signed[1] if signed else None,
            cosign_meaning=COSIGN_MEANING if signed else None,
        )  # fmt: skip
        session.add(infusion)
        before = bag.status
        bag.status = "infused"
        with conflict_on_integrity_error(
            Conflict(rules.REFUSAL_MESSAGES["already_infused"], code="already_infused")
        ):
            session.flush()
        view = infusion_view(infusion, bag)
        record_event(
            session, actor, "start", "infusion", infusion.infusion_id,
            after={k: v for k, v in view.items() if k != "note"}, reason=infusion.note,
        )  # fmt: skip
        record_event(
            session, actor, "infuse", "bag", bag.bag_id, before={"status": before},
            after={"status": "infused", "infusion_id": infusion.infusion_id},
        )  # fmt: skip
        uow.commit()
        return view


def _note(data: dict[str, Any]) -> str | None:
    return (data.get("note") or "").strip() or None


def _check_volume(study: Any, bag: Bag, volume: float | None) -> None:
    if volume is None:
        return
    problem = rules.volume_problem(volume, bag.final_volume_ml, study.final_volume_tolerance_ml)
    if problem:
        raise Invalid(N_("The infused volume is not possible"), details={"volume_infused_ml": [problem]})


def find_infusion(session: Session, infusion_id: str, *, lock: bool = False) -> tuple[Infusion, Bag]:
    wanted = (infusion_id or "").strip().upper()
    missing = NotFound(
        N_("No infusion has the ID %(infusion)s"), params={"infusion": wanted}, code="infusion_not_found"
    )
    if not is_random_id(wanted, INFUSION_PREFIX, INFUSION_BODY):
        raise missing
    infusion = find_one(session, select(Infusion).where(Infusion.infusion_id == wanted), missing, lock=lock)
    return infusion, session.get(Bag, infusion.bag_pk)


def complete_infusion(
    uow: UnitOfWork, actor: Actor, infusion_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Record the end of an infusion (once): its time, the volume infused and an observation."""
    now = utcnow()
    with uow:
        session = uow.session
        study = current_study(session)
        infusion, bag = find_infusion(session, infusion_id, lock=True)
        if infusion.completed_at is not None:
            raise Conflict(
                N_("Infusion %(infusion)s is already complete"), params={"infusion": infusion.infusion_id},
                code="infusion_completed",
            )  # fmt: skip
        check_happened("completed_at", data["completed_at"], now, not_before=infusion.started_at,
                       what_before="the start of the infusion")  # fmt: skip
        _check_volume(study, bag, data.get("volume_infused_ml"))
        before = {"completed_at": None, "volume_infused_ml": infusion.volume_infused_ml}
        infusion.completed_at, infusion.completed_by = data["completed_at"], actor.username
        if data.get("volume_infused_ml") is not None:
            infusion.volume_infused_ml = data["volume_infused_ml"]
        if _note(data):
            infusion.note = _note(data)
        session.flush()
        record_event(
            session, actor, "complete", "infusion", infusion.infusion_id, before=before,
            after={"completed_at": infusion.completed_at, "volume_infused_ml": infusion.volume_infused_ml},
            reason=_note(data),
        )  # fmt: skip
        uow.commit()
        return infusion_view(infusion, bag)


def get_infusion(uow: UnitOfWork, infusion_id: str) -> dict[str, Any]:
    with uow:
        return infusion_view(*find_infusion(uow.session, infusion_id))


def infusion_of_participant(session: Session, participant_id: str) -> dict[str, Any] | None:
    infusion = session.execute(
        select(Infusion).where(same_participant(Infusion.participant_id, participant_id))
    ).scalar_one_or_none()
    return infusion_view(infusion, session.get(Bag, infusion.bag_pk)) if infusion else None


def _scan_view(scan: Scan) -> dict[str, Any]:
    return {
        "kind": "scan", "action": "scan", "location": "bedside", "at": scan.at, "user": scan.username,
        "role": scan.role, "result": scan.result, "participant_id": scan.participant_id,
        "scan_id": scan.scan_id,
    }  # fmt: skip


def _infusion_views(infusion: Infusion) -> list[dict[str, Any]]:
    common = {"kind": "infusion", "location": "bedside", "infusion_id": infusion.infusion_id,
              "participant_id": infusion.participant_id}  # fmt: skip
    views = [{**common, "action": "infusion_start", "at": infusion.started_at, "user": infusion.started_by,
              "role": "nurse"}]  # fmt: skip
    if infusion.completed_at is not None:
        views.append({**common, "action": "infusion_end", "at": infusion.completed_at,
                      "user": infusion.completed_by, "role": "nurse", "note": infusion.note})  # fmt: skip
    return views


def bedside_events(session: Session, bag: Bag) -> list[dict[str, Any]]:
    """A bag's scans then its infusion, for its timeline (pharmacy/handoffs.py)."""
    scans = session.execute(select(Scan).where(Scan.bag_pk == bag.id).order_by(Scan.id)).scalars()
    infusion = session.execute(select(Infusion).where(Infusion.bag_pk == bag.id)).scalar_one_or_none()
    events = [_scan_view(s) for s in scans]
    if infusion is not None:
        events += _infusion_views(infusion)
    return events
