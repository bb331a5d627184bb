"""Use cases: enrol a participant (the stratum's next code, atomically), read one, the code-break."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.db import UnitOfWork, conflict_on_integrity_error, utcnow
from tracker.errors import Conflict, Forbidden, Invalid, NotFound
from tracker.notifications.services import queue_notification
from tracker.participants import rules
from tracker.participants.models import CodeBreak
from tracker.pharmacy.bags import latest_bag_of
from tracker.randomization import allocation
from tracker.randomization.models import Participant, RandomizationCode, same_participant
from tracker.roles import SYSTEM, Actor
from tracker.sites import rules as site_rules
from tracker.sites.scope import ALL_SITES
from tracker.sites.services import choose_site
from tracker.studies.definition import StudyDefinition
from tracker.studies.services import current_study
from tracker.timing import check_happened
from tracker.translation import N_
from tracker.users.services import LoginPolicy, reauthenticate
from tracker.ward.services import infusion_of_participant


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
    onset_at: dt.datetime | None = None
    eligibility: dict[str, Any] | None = None
    site: str | None = None  # where the participant was enrolled

    @property
    def stratum_from_onset(self) -> bool:
        return self.onset_at is not None

    @property
    def onset_to_randomization(self) -> dt.timedelta | None:
        return None if self.onset_at is None else self.randomized_at - self.onset_at

    @property
    def onset_to_randomization_hours(self) -> float | None:
        interval = self.onset_to_randomization
        return None if interval is None else round(interval / dt.timedelta(hours=1), 3)

    @property
    def onset_to_randomization_text(self) -> str | None:
        interval = self.onset_to_randomization
        return None if interval is None else rules.describe_interval(interval)


def _view(
    participant: Participant,
    arm: str | None = None,
    bag: dict[str, Any] | None = None,
    infusion: dict[str, Any] | None = None,
) -> ParticipantView:
    return ParticipantView(
        participant.participant_id, participant.stratum, participant.randomization_code,
        participant.randomized_at, participant.enrolled_by, arm, bag, infusion,
        onset_at=participant.onset_at, eligibility=participant.eligibility, site=participant.site_code,
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
    # Used by a participant of any site: the list is the whole trial's.
    used = select(Participant.id).where(Participant.randomization_code == RandomizationCode.code)
    return session.execute(
        select(RandomizationCode.code)
        .where(RandomizationCode.stratum == stratum, ~used.exists())
        .order_by(RandomizationCode.list_id, RandomizationCode.position)
        .limit(1),
        execution_options=ALL_SITES,
    ).scalar_one_or_none()


def used_codes_by_stratum(session: Session, list_id: int) -> dict[str, int]:
    """How many codes of a randomization list each stratum has given to participants."""
    return dict(
        session.execute(
            select(RandomizationCode.stratum, func.count())
            .join(Participant, Participant.randomization_code == RandomizationCode.code)
            .where(RandomizationCode.list_id == list_id)
            .group_by(RandomizationCode.stratum)
        ).all()
    )


@dataclass(frozen=True)
class EnrolmentCheck:
    """What enrolment would do, decided before anything is stored: the stratum and the judged checklist."""

    participant_id: str
    stratum: str
    stratum_label: str
    onset_at: dt.datetime | None
    interval: dt.timedelta | None
    checked_at: dt.datetime
    assessment: rules.EligibilityAssessment | None

    @property
    def interval_text(self) -> str | None:
        return None if self.interval is None else rules.describe_interval(self.interval)


def _missing_details(missing: tuple) -> dict[str, list[str]]:
    return {c.key: [f"not answered: {c.text} (eligible when {c.requirement})"] for c in missing}


def _judge_eligibility(
    study: StudyDefinition, eligibility: Mapping[str, Any] | None
) -> rules.EligibilityAssessment | None:
    if eligibility is None:
        if study.eligibility.checklist_required:
            raise Invalid(
                N_("This study requires the eligibility checklist: answer every criterion"),
                code="eligibility_incomplete",
                details=_missing_details(study.eligibility.criteria),
            )
        return None
    assessment = rules.assess_eligibility(study.eligibility, eligibility)
    if assessment.invalid:
        raise Invalid(N_("Some eligibility answers cannot be read"), details=assessment.invalid)
    if assessment.missing:
        names = ", ".join(c.key for c in assessment.missing)
        raise Invalid(
            N_("The eligibility checklist is incomplete: %(criteria)s not answered"),
            params={"criteria": names},
            code="eligibility_incomplete",
            details=_missing_details(assessment.missing),
        )
    if assessment.failed:
        names = "; ".join(r.refusal for r in assessment.failed)
        raise Invalid(
            N_("Not eligible, not randomized: %(criteria)s"),
            params={"criteria": names},
            code="not_eligible",
            details={r.key: [r.refusal] for r in assessment.failed},
        )
    return assessment


def _judge_stratum(
    study: StudyDefinition, stratum: str | None, onset_at: dt.datetime | None, now: dt.datetime
) -> tuple[str, dt.timedelta | None]:
    if stratum is not None and stratum not in study.stratum_codes:
        raise Invalid(
            N_("Unknown stratum '%(stratum)s'"),
            params={"stratum": stratum},
            code="unknown_stratum",
            details={"stratum": [f"must be one of: {', '.join(study.stratum_codes)}"]},
        )
    if onset_at is None:
        if study.eligibility.onset_required:
            raise Invalid(
                N_("This study derives the stratum from the stroke onset: give onset_at"),
                details={"onset_at": ["required by this study: the date and time of stroke onset"]},
            )
        if stratum is None:
            raise Invalid(
                N_("Give the stratum, or the stroke onset to derive it from"),
                details={"stratum": ["Missing data for required field."]},
            )
        return stratum, None
    check_happened("onset_at", onset_at, now)
    interval = now - onset_at
    derived = rules.stratum_for_interval(study.strata, interval)
    said = rules.describe_interval(interval)
    if derived is None:
        start, end = rules.window_of(study.strata[0])[0], rules.window_of(study.strata[-1])[1]
        windows = f"{rules.describe_span(start)} to {rules.describe_span(end)}"
        raise Invalid(
            N_(
                "The onset lies %(interval)s before randomization: outside every stratum window "
                "(%(start)s to %(end)s)"
            ),
            params={"interval": said, "start": rules.describe_span(start), "end": rules.describe_span(end)},
            code="onset_outside_strata",
            details={"onset_at": [f"{said} before randomization; the strata cover {windows}"]},
        )
    if stratum is not None and stratum != derived.code:
        raise Invalid(
            N_(
                "Stratum %(stratum)s disagrees with the onset: %(interval)s from onset to randomization is "
                "stratum %(derived)s (%(label)s)"
            ),
            params={"stratum": stratum, "interval": said, "derived": derived.code, "label": derived.label},
            code="stratum_disagrees_with_onset",
            details={
                "stratum": [f"the onset gives stratum {derived.code} ({derived.label}), not {stratum}"],
                "onset_at": [f"{said} before randomization"],
            },
        )
    return derived.code, interval


def _check(
    study: StudyDefinition,
    participant_id: str,
    stratum: str | None,
    onset_at: dt.datetime | None,
    eligibility: Mapping[str, Any] | None,
    now: dt.datetime,
) -> EnrolmentCheck:
    assessment = _judge_eligibility(study, eligibility)
    code, interval = _judge_stratum(study, stratum, onset_at, now)
    label = next(s.label for s in study.strata if s.code == code)
    return EnrolmentCheck(participant_id, code, label, onset_at, interval, now, assessment)


def _clean_id(participant_id: str) -> str:
    participant_id = participant_id.strip()
    problems = rules.participant_id_problems(participant_id)
    if problems:
        raise Invalid(N_("The participant ID is not valid"), details={"participant_id": problems})
    return participant_id


def check_enrolment(
    uow: UnitOfWork,
    participant_id: str,
    stratum: str | None,
    *,
    onset_at: dt.datetime | None = None,
    eligibility: Mapping[str, Any] | None = None,
) -> EnrolmentCheck:
    """Everything enrolment would decide, as of now, without storing anything (the page's review step)."""
    participant_id = _clean_id(participant_id)
    with uow:
        check = _check(current_study(uow.session), participant_id, stratum, onset_at, eligibility, utcnow())
        if _participant(uow.session, participant_id) is not None:
            raise _already_enrolled(participant_id)
        return check


def _eligibility_record(study: StudyDefinition, assessment: rules.EligibilityAssessment) -> dict[str, Any]:
    return {
        "study": study.code,
        "eligible": True,
        "criteria": [
            {"key": r.key, "category": r.category, "text": r.text, "requirement": r.requirement,
             "answer": r.answer}
            for r in assessment.results
        ],
    }  # fmt: skip


def enrol_participant(
    uow: UnitOfWork,
    actor: Actor,
    participant_id: str,
    stratum: str | None,
    *,
    onset_at: dt.datetime | None = None,
    eligibility: Mapping[str, Any] | None = None,
    site: str | None = None,
) -> ParticipantView:
    """Randomize: the stratum's next unused code in list order. A used-up stratum is refused and reported.
    The participant belongs to `site` (default: the investigator's only clinical site).

    With a checklist, every criterion must be answered and met; with an onset, the stratum is the one whose
    window holds the time from onset to randomization, and a stratum given that disagrees is refused.
    """
    participant_id = _clean_id(participant_id)
    with uow:
        study = current_study(uow.session)
        check = _check(study, participant_id, stratum, onset_at, eligibility, utcnow())
        stratum = check.stratum
        if _participant(uow.session, participant_id, everywhere=True) is not None:
            raise _already_enrolled(participant_id)
        site = choose_site(uow.session, actor, site, site_rules.TREATS, "a participant")
        _lock_stratum(uow.session, stratum)
        randomized_at = utcnow()
        if onset_at is not None:
            # Waiting for the stratum may cross a window's end: the stored times must still give this stratum.
            check = _check(study, participant_id, stratum, onset_at, eligibility, randomized_at)
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
                N_(
                    "Stratum %(stratum)s has no unused randomization code; the statistician has been notified"
                ),
                params={"stratum": stratum},
                code="stratum_exhausted",
            )
        record = None if check.assessment is None else _eligibility_record(study, check.assessment)
        participant = Participant(
            site_code=site, participant_id=participant_id, stratum=stratum, randomization_code=code,
            randomized_at=randomized_at, enrolled_by=actor.username, onset_at=onset_at, eligibility=record,
        )  # fmt: skip
        uow.session.add(participant)
        with conflict_on_integrity_error(
            Conflict(f"Participant {participant_id} is already enrolled", code="participant_exists")
        ):
            uow.session.flush()
        after: dict[str, Any] = {
            "participant_id": participant_id, "stratum": stratum, "randomization_code": code,
            "randomized_at": participant.randomized_at, "site": site,
        }  # fmt: skip
        if onset_at is not None:
            after |= {
                "onset_at": onset_at, "stratum_from_onset": True,
                "onset_to_randomization": check.interval_text,
            }  # fmt: skip
        if record is not None:
            after["eligibility"] = {c["key"]: c["answer"] for c in record["criteria"]}
            after["eligible"] = True
        record_event(uow.session, actor, "enrol", "participant", participant_id, after=after)
        uow.commit()
        return _view(participant)


def _already_enrolled(participant_id: str) -> Conflict:
    return Conflict(
        N_("Participant %(participant)s is already enrolled"), params={"participant": participant_id},
        code="participant_exists",
    )  # fmt: skip


def _participant(session: Session, participant_id: str, *, everywhere: bool = False) -> Participant | None:
    """The participant with this ID (compared without regard to case); `everywhere`: at any site, whoever
    asks (an ID is the trial's, not a site's)."""
    return session.execute(
        select(Participant).where(same_participant(Participant.participant_id, participant_id)),
        execution_options={"all_sites": everywhere},
    ).scalar_one_or_none()


def _existing(session: Session, participant_id: str) -> Participant:
    participant = _participant(session, participant_id)
    if participant is None:
        raise NotFound(
            N_("No participant %(participant)s"), params={"participant": participant_id},
            code="unknown_participant",
        )  # fmt: skip
    return participant


def get_participant(uow: UnitOfWork, actor: Actor, participant_id: str) -> ParticipantView:
    """The participant; its arm only for an unblinded reader (read through the guarded module)."""
    with uow:
        participant = _existing(uow.session, participant_id)
        arm = (
            allocation.arm_of(uow.session, actor, participant.randomization_code) if actor.unblinded else None
        )
        return _view(
            participant, arm, latest_bag_of(uow.session, actor, participant.participant_id),
            infusion_of_participant(uow.session, participant.participant_id),
        )  # fmt: skip


def list_participants(uow: UnitOfWork) -> list[ParticipantView]:
    """Every enrolled participant in enrolment order, as a blinded reader sees them."""
    with uow:
        rows = uow.session.execute(select(Participant).order_by(Participant.randomized_at, Participant.id))
        return [_view(p) for p in rows.scalars()]


@dataclass(frozen=True)
class CodeBreakResult:
    participant_id: str
    arm: str
    broken_at: dt.datetime
    # Whether the participant was infused: the arm is what was allocated, not what a body received.
    infused: bool


def break_code(
    uow: UnitOfWork, actor: Actor, participant_id: str, reason: str, password: str, policy: LoginPolicy
) -> CodeBreakResult:
    """Emergency unblinding of ONE participant: a signed act (password again) with a written reason."""
    if not rules.may_break_code(actor.role):
        raise Forbidden(N_("Only an investigator may break the code"), code="wrong_role")
    problems = rules.code_break_problems(reason)
    if problems:
        raise Invalid(N_("The code-break needs a reason"), details=problems)
    reason = reason.strip()
    with uow:
        _existing(uow.session, participant_id)
    reauthenticate(uow, actor, password, policy)
    with uow:
        participant = _existing(uow.session, participant_id)
        arm = allocation.arm_of(uow.session, actor, participant.randomization_code, code_break_reason=reason)
        broken_at = utcnow()
        infused = infusion_of_participant(uow.session, participant.participant_id) is not None
        uow.session.add(
            CodeBreak(
                participant_pk=participant.id, broken_by=actor.username, broken_at=broken_at, reason=reason
            )
        )
        # The event says that an arm was revealed, never which: blinded QA reads this trail.
        participant_id = participant.participant_id
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
                "This message does not name the arm.", site=participant.site_code,
            )  # fmt: skip
        uow.commit()
    return CodeBreakResult(participant.participant_id, arm, broken_at, infused)


@dataclass(frozen=True)
class CodeBreakEntry:
    participant_id: str
    broken_by: str
    broken_at: dt.datetime
    reason: str
    kind: str = "emergency"  # or "safety": made by the system after a late QC result failed


def code_break_report(uow: UnitOfWork) -> list[CodeBreakEntry]:
    """Every code-break, oldest first: who, when, why and which participant. Never the arm."""
    with uow:
        rows = uow.session.execute(
            select(
                Participant.participant_id,
                CodeBreak.broken_by,
                CodeBreak.broken_at,
                CodeBreak.reason,
                CodeBreak.kind,
            )
            .join(Participant, Participant.id == CodeBreak.participant_pk)
            .order_by(CodeBreak.broken_at, CodeBreak.id)
        ).all()
        return [CodeBreakEntry(*row) for row in rows]


SYSTEM_TRIGGER = "system"


def safety_code_break(session: Session, participant_ids: Sequence[str], reason: str) -> None:
    """Name each participant to the investigator as a SAFETY code-break (inside the caller's transaction):
    made by the system, because patient safety overrides blinding (a late QC result of the product given
    failed). It discloses that the participant was given or allocated the failed product, not the arm; the
    arm stays behind the investigator's own signed code-break. One per participant and reason. Wherever the
    participant was treated: the person whose entry set it off (the GMP lab's) works for another site."""
    broken_at = utcnow()
    for participant_id in participant_ids:
        participant = _participant(session, participant_id, everywhere=True)
        if participant is None:
            continue
        exists = session.execute(
            select(CodeBreak.id).where(
                CodeBreak.participant_pk == participant.id,
                CodeBreak.kind == "safety",
                CodeBreak.reason == reason,
            )
        ).first()
        if exists is not None:
            continue
        session.add(
            CodeBreak(
                participant_pk=participant.id, broken_by=SYSTEM.username, broken_at=broken_at, reason=reason,
                kind="safety",
            )
        )  # fmt: skip
        session.flush()
        record_event(
            session, SYSTEM, "unblind", "participant", participant.participant_id,
            after={"arm_revealed": False, "kind": "safety", "triggered_by": SYSTEM_TRIGGER,
                   "randomization_code": participant.randomization_code},
            reason=reason,
        )  # fmt: skip


@dataclass(frozen=True)
class SafetyCodeBreakEntry:
    participant_id: str
    broken_at: dt.datetime
    reason: str
    kind: str = "safety"
    triggered_by: str = SYSTEM_TRIGGER


def safety_code_breaks(uow: UnitOfWork) -> list[SafetyCodeBreakEntry]:
    """The safety code-breaks the system made, oldest first: the investigator's list. Never the arm."""
    with uow:
        rows = uow.session.execute(
            select(Participant.participant_id, CodeBreak.broken_at, CodeBreak.reason)
            .join(Participant, Participant.id == CodeBreak.participant_pk)
            .where(CodeBreak.kind == "safety")
            .order_by(CodeBreak.broken_at, CodeBreak.id)
        ).all()
        return [SafetyCodeBreakEntry(*row) for row in rows]
