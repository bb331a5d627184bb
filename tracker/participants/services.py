"""Use cases: enrol a participant (the stratum's next code, atomically), read one, the code-break."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.db import UnitOfWork, utcnow
from tracker.doses.services import latest_bag_of
from tracker.errors import Conflict, Forbidden, Invalid, NotFound
from tracker.notifications.services import queue_notification
from tracker.participants import rules
from tracker.participants.models import CodeBreak, Participant
from tracker.randomization import allocation
from tracker.randomization.models import RandomizationCode
from tracker.roles import Actor
from tracker.studies.services import current_study
from tracker.users.services import LoginPolicy, reauthenticate


@dataclass(frozen=True)
class ParticipantView:
    participant_id: str
    stratum: str
    randomization_code: str
    randomized_at: dt.datetime
    enrolled_by: str
    arm: str | None = None  # filled only for an unblinded reader; blinded schemas have no arm field
    bag: dict[str, Any] | None = None  # the latest bag, as this reader may see it
    infusion: dict[str, Any] | None = None


def _view(
    participant: Participant, arm: str | None = None, bag: dict[str, Any] | None = None
) -> ParticipantView:
    return ParticipantView(
        participant.participant_id, participant.stratum, participant.randomization_code,
        participant.randomized_at, participant.enrolled_by, arm, bag,
    )  # fmt: skip


def _lock_stratum(session: Session, stratum: str) -> None:
    # The stratum's first code row is its mutex: it never changes, and once a second enrolment holds it,
    # its next statement sees the first one's participant (READ COMMITTED takes a new snapshot per statement).
    # SQLite writers are already serialised by BEGIN IMMEDIATE.
    session.execute(
        select(RandomizationCode.id)
        .where(RandomizationCode.stratum == stratum)
        .order_by(RandomizationCode.list_id, RandomizationCode.position)
        .limit(1)
        .with_for_update()
    ).first()


def _next_unused_code(session: Session, stratum: str) -> str | None:
    used = select(Participant.id).where(Participant.randomization_code == RandomizationCode.code)
    return session.execute(
        select(RandomizationCode.code)
        .where(RandomizationCode.stratum == stratum, ~used.exists())
        .order_by(RandomizationCode.list_id, RandomizationCode.position)
        .limit(1)
    ).scalar_one_or_none()


def enrol_participant(uow: UnitOfWork, actor: Actor, participant_id: str, stratum: str) -> ParticipantView:
    """Randomize: the stratum's next unused code in list order. A used-up stratum is refused and reported."""
    participant_id = participant_id.strip()
    problems = rules.participant_id_problems(participant_id)
    if problems:
        raise Invalid("The participant ID is not valid", details={"participant_id": problems})
    with uow:
        study = current_study(uow.session)
        if stratum not in study.stratum_codes:
            raise Invalid(
                f"Unknown stratum {stratum!r}",
                code="unknown_stratum",
                details={"stratum": [f"must be one of: {', '.join(study.stratum_codes)}"]},
            )
        if _participant(uow.session, participant_id) is not None:
            raise Conflict(f"Participant {participant_id} is already enrolled", code="participant_exists")
        _lock_stratum(uow.session, stratum)
        code = _next_unused_code(uow.session, stratum)
        if code is None:
            queue_notification(
                uow.session, "stratum_exhausted", "statistician",
                f"Randomization: stratum {stratum} has no unused code",
                f"Participant {participant_id} could not be enrolled in stratum {stratum} by "
                f"{actor.full_name} ({actor.username}) at {utcnow().isoformat()}: every code of the stratum "
                "is used. Load or generate a further list.",
            )  # fmt: skip
            uow.commit()
            raise Conflict(
                f"Stratum {stratum} has no unused randomization code; the statistician has been notified",
                code="stratum_exhausted",
            )
        participant = Participant(
            participant_id=participant_id, stratum=stratum, randomization_code=code, randomized_at=utcnow(),
            enrolled_by=actor.username,
        )  # fmt: skip
        uow.session.add(participant)
        try:
            uow.session.flush()
        except IntegrityError:
            raise Conflict(
                f"Participant {participant_id} is already enrolled", code="participant_exists"
            ) from None
        record_event(
            uow.session, actor, "enrol", "participant", participant_id,
            after={"participant_id": participant_id, "stratum": stratum, "randomization_code": code,
                   "randomized_at": participant.randomized_at},
        )  # fmt: skip
        uow.commit()
        return _view(participant)


def _participant(session: Session, participant_id: str) -> Participant | None:
    return session.execute(
        select(Participant).where(Participant.participant_id == participant_id)
    ).scalar_one_or_none()


def _existing(session: Session, participant_id: str) -> Participant:
    participant = _participant(session, participant_id)
    if participant is None:
        raise NotFound(f"No participant {participant_id}", code="unknown_participant")
    return participant


def get_participant(uow: UnitOfWork, actor: Actor, participant_id: str) -> ParticipantView:
    """The participant; its arm only for an unblinded reader (read through the guarded module)."""
    with uow:
        participant = _existing(uow.session, participant_id)
        arm = (
            allocation.arm_of(uow.session, actor, participant.randomization_code) if actor.unblinded else None
        )
        return _view(participant, arm, latest_bag_of(uow.session, actor, participant.participant_id))


@dataclass(frozen=True)
class CodeBreakResult:
    participant_id: str
    arm: str
    broken_at: dt.datetime


def break_code(
    uow: UnitOfWork, actor: Actor, participant_id: str, reason: str, password: str, policy: LoginPolicy
) -> CodeBreakResult:
    """Emergency unblinding of ONE participant: a signed act (password again) with a written reason."""
    if not rules.may_break_code(actor.role):
        raise Forbidden("Only an investigator may break the code", code="wrong_role")
    problems = rules.code_break_problems(reason)
    if problems:
        raise Invalid("The code-break needs a reason", details=problems)
    reason = reason.strip()
    with uow:
        _existing(uow.session, participant_id)
    reauthenticate(uow, actor, password, policy)
    with uow:
        participant = _existing(uow.session, participant_id)
        arm = allocation.arm_of(uow.session, actor, participant.randomization_code, code_break_reason=reason)
        broken_at = utcnow()
        uow.session.add(
            CodeBreak(
                participant_pk=participant.id, broken_by=actor.username, broken_at=broken_at, reason=reason
            )
        )
        # The event says that an arm was revealed, never which: blinded QA reads this trail.
        record_event(
            uow.session, actor, "unblind", "participant", participant_id,
            after={"arm_revealed": True, "randomization_code": participant.randomization_code,
                   "signed_by": actor.full_name, "meaning": "emergency code-break"},
            reason=reason,
        )  # fmt: skip
        for audience in ("qa", "sponsor"):
            queue_notification(
                uow.session, "code_break", audience,
                f"Code-break: participant {participant_id} was unblinded",
                f"Participant {participant_id} (randomization code {participant.randomization_code}) was "
                f"unblinded by {actor.full_name} ({actor.username}), investigator, "
                f"at {broken_at.isoformat()}.\n"
                f"Reason given: {reason}\n"
                "This message does not name the arm.",
            )  # fmt: skip
        uow.commit()
    return CodeBreakResult(participant_id, arm, broken_at)


@dataclass(frozen=True)
class CodeBreakEntry:
    participant_id: str
    broken_by: str
    broken_at: dt.datetime
    reason: str


def code_break_report(uow: UnitOfWork) -> list[CodeBreakEntry]:
    """Every code-break, oldest first: who, when, why and which participant. Never the arm."""
    with uow:
        rows = uow.session.execute(
            select(Participant.participant_id, CodeBreak.broken_by, CodeBreak.broken_at, CodeBreak.reason)
            .join(Participant, Participant.id == CodeBreak.participant_pk)
            .order_by(CodeBreak.broken_at, CodeBreak.id)
        ).all()
        return [CodeBreakEntry(*row) for row in rows]
