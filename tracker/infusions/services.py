"""The bedside use cases: record a scan (whatever it answers), start and complete the infusion of a bag."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, exists, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.checkchar import is_random_id, new_random_id
from tracker.custody.bags import received_at
from tracker.db import UnitOfWork, utcnow
from tracker.doses.bag_ids import is_bag_id
from tracker.doses.models import Bag
from tracker.doses.payload import BadSignature, UnreadablePayload, read_payload
from tracker.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, Unauthorized
from tracker.infusions import rules
from tracker.infusions.models import Infusion, Scan
from tracker.participants.models import Participant
from tracker.roles import Actor
from tracker.studies.services import current_study
from tracker.timing import check_happened
from tracker.users.services import LoginPolicy, check_password

SCAN_PREFIX, SCAN_BODY = "S", 11
INFUSION_PREFIX, INFUSION_BODY = "I", 9
COSIGN_MEANING = "Second nurse: I verified the bag label against the participant's wristband"


def _new_id(session: Session, column: Any, prefix: str, body: int) -> str:
    while True:
        candidate = new_random_id(prefix, body)
        if session.execute(select(column).where(column == candidate)).first() is None:
            return candidate


def _clean_participant_id(raw: str) -> str:
    # A wristband scanned by a keyboard wedge arrives like a label: spaces, CR/LF, any case.
    return (raw or "").strip().upper()


def _find_participant(session: Session, participant_id: str) -> Participant | None:
    return session.execute(
        select(Participant).where(Participant.participant_id == participant_id)
    ).scalar_one_or_none()


def _participant_infused(session: Session, participant_id: str) -> bool:
    return (
        session.execute(select(Infusion.id).where(Infusion.participant_id == participant_id)).first()
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
_SCAN_FACTS = select(
    Bag.id, Bag.bag_id, Bag.status, Bag.use_by, Bag.quarantined, Bag.participant_id, Bag.randomization_code,
    exists().where(Participant.participant_id == bindparam("participant_id")).label("participant_known"),
    exists().where(Infusion.participant_id == bindparam("participant_id")).label("participant_infused"),
    exists().where(Scan.scan_id == bindparam("scan_id")).label("scan_id_taken"),
).where(Bag.bag_id == bindparam("bag_id"))  # fmt: skip


_INSERT_SCAN = insert(Scan.__table__).returning(Scan.__table__.c.id)


def _scan_facts(session: Session, bag_id: str, participant_id: str, scan_id: str) -> Any:
    """The facts a scan decides on (see _SCAN_FACTS); None when no bag has that ID."""
    params = {"bag_id": bag_id, "participant_id": participant_id, "scan_id": scan_id}
    return session.connection().execute(_SCAN_FACTS, params).first()


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
            scan_id = _new_id(session, Scan.scan_id, SCAN_PREFIX, SCAN_BODY)
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
        raise Forbidden("The second check must be made by another nurse", code="four_eyes")
    try:
        cosigner = check_password(check_uow, username, data.get("cosigner_password") or "", policy)
    except Unauthorized:
        raise Unauthorized(
            "The second nurse's user name or password is wrong: the infusion was not started",
            code="cosigner_wrong_password",
        ) from None
    if cosigner.role != "nurse":
        raise Forbidden("The second check must be made by a nurse", code="cosigner_not_nurse")
    return cosigner, utcnow()


def _bedside_facts(session: Session, bag_id: str, participant_id: str) -> tuple[Bag, Participant]:
    wanted = (bag_id or "").strip().upper()
    bag = None
    if is_bag_id(wanted):
        query = select(Bag).where(Bag.bag_id == wanted).with_for_update()
        bag = session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()
    if bag is None:
        raise NotFound(f"No bag has the ID {wanted}", code="unknown_bag")
    participant = _find_participant(session, participant_id)
    if participant is None:
        raise NotFound(f"No participant {participant_id}", code="unknown_participant")
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
            _at_bedside(bag), participant_id, _participant_infused(session, participant_id), now
        )
        if refusal:
            raise Conflict(rules.REFUSAL_MESSAGES[refusal], code=refusal)
        check_happened("started_at", started_at, now, not_before=received_at(session, bag),
                       what_before="the bag's receipt on the ward")  # fmt: skip
        completed_at = data.get("completed_at")
        if completed_at is not None:
            check_happened("completed_at", completed_at, now, not_before=started_at, what_before="the start")
        _check_volume(study, bag, data.get("volume_infused_ml"))
        if study.two_person_verification and signed is None:
            raise Invalid(
                "This study needs a second nurse to confirm the bag and wristband before an infusion starts",
                code="cosignature_required",
                details={"cosigner_username": ["required: a second nurse confirms the check"]},
            )
        infusion = Infusion(
            infusion_id=_new_id(session, Infusion.infusion_id, INFUSION_PREFIX, INFUSION_BODY),
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
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(rules.REFUSAL_MESSAGES["already_infused"], code="already_infused") from None
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
        raise Invalid("The infused volume is not possible", details={"volume_infused_ml": [problem]})


def _find_infusion(session: Session, infusion_id: str, *, lock: bool = False) -> tuple[Infusion, Bag]:
    wanted = (infusion_id or "").strip().upper()
    infusion = None
    if is_random_id(wanted, INFUSION_PREFIX, INFUSION_BODY):
        query = select(Infusion).where(Infusion.infusion_id == wanted)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        infusion = session.execute(query).scalar_one_or_none()
    if infusion is None:
        raise NotFound(f"No infusion has the ID {wanted}", code="infusion_not_found")
    return infusion, session.get(Bag, infusion.bag_pk)


def complete_infusion(
    uow: UnitOfWork, actor: Actor, infusion_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Record the end of an infusion (once): its time, the volume infused and an observation."""
    now = utcnow()
    with uow:
        session = uow.session
        study = current_study(session)
        infusion, bag = _find_infusion(session, infusion_id, lock=True)
        if infusion.completed_at is not None:
            raise Conflict(f"Infusion {infusion.infusion_id} is already complete", code="infusion_completed")
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
        return infusion_view(*_find_infusion(uow.session, infusion_id))


def infusion_of_participant(session: Session, participant_id: str) -> dict[str, Any] | None:
    infusion = session.execute(
        select(Infusion).where(Infusion.participant_id == participant_id)
    ).scalar_one_or_none()
    return infusion_view(infusion, session.get(Bag, infusion.bag_pk)) if infusion else None
