"""The evaluation data set behind `flask --app app demo`, grown by each feature to walk the whole chain."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tracker.db import utcnow
from tracker.roles import ROLES, SYSTEM, Actor
from tracker.studies.services import current_study
from tracker.users.models import User
from tracker.users.services import actor_of, create_user, temporary_password
from tracker.web.context import reader, uow

DEMO_NAMES = {
    "admin": "Admin Demo",
    "gmp": "Gao Min (GMP lab)",
    "qa": "Qian An (QA)",
    "pharmacist": "Pan Hua (pharmacy)",
    "nurse": "Niu Li (ward)",
    "investigator": "Yin Jie (investigator)",
    "statistician": "Shi Tong (statistics)",
}


def build_demo() -> list[str]:
    lines = ["Demo users (passwords are shown once; store them now):"]
    passwords: dict[str, str] = {}
    with reader() as work:
        existing = set(work.session.execute(select(User.username)).scalars())
    for role in ROLES:
        username = f"demo_{role}"
        if username in existing:
            lines.append(f"  {username:<20} {role:<13} (exists; password unchanged)")
            continue
        password = temporary_password()
        create_user(uow(), SYSTEM, username, role, password, DEMO_NAMES[role])
        passwords[role] = password
        lines.append(f"  {username:<20} {role:<13} {password}")

    from tracker.lots.demo import build_demo_lots

    lines += build_demo_lots(passwords)

    from tracker.stock.demo import issue_demo_kits

    lines += issue_demo_kits()
    lines += _demo_randomization()
    lines += [
        "",
        "Sign in: start the app (flask --app app run), open http://127.0.0.1:5000/ and sign in with one",
        "of the users above, e.g. demo_pharmacist; demo_admin runs the accounts (People and accounts).",
    ]
    return lines


DEMO_SEED = 20210401
DEMO_PARTICIPANTS = (("UMSIS-001", "A"), ("UMSIS-002", "B"), ("UMSIS-003", "B"), ("UMSIS-004", "D"))
# Hours from stroke onset to enrolment: each falls inside its participant's stratum window.
DEMO_ONSET_HOURS = {"UMSIS-001": 12, "UMSIS-002": 40, "UMSIS-003": 60, "UMSIS-004": 14 * 24}


def _demo_checklist(study) -> dict:  # noqa: ANN001
    """An eligible answer to every criterion of the study: the eligible word, or a value within the bounds."""
    answers: dict = {}
    for criterion in study.eligibility.criteria:
        if criterion.kind == "yes_no":
            answers[criterion.key] = criterion.eligible_answer
            continue
        lows = [b.limit for b in criterion.bounds if b.operator in (">", ">=")]
        highs = [b.limit for b in criterion.bounds if b.operator in ("<", "<=")]
        if lows and highs:
            value = (max(lows) + min(highs)) / 2
        else:
            value = max(lows) + 1 if lows else min(highs) - 1
        answers[criterion.key] = round(value) if criterion.whole_number else value
    return answers


def _demo_actor(role: str) -> Actor:
    with reader() as work:
        user = work.session.execute(select(User).where(User.username == f"demo_{role}")).scalar_one()
        return actor_of(user)


def _demo_randomization() -> list[str]:
    """A generated list (fixed seed) and a few enrolled participants; codes only, never arms."""
    from tracker.participants.services import enrol_participant
    from tracker.randomization.models import Participant
    from tracker.randomization.services import generate_list, list_status

    statistician = _demo_actor("statistician")
    lists = list_status(reader(), statistician)
    if not lists:
        lists = [generate_list(uow(), statistician, DEMO_SEED, 20, [2, 4])]
    first = lists[0]
    lines = [f"Randomization list {first.list_id}: {first.code_count} codes, commitment {first.commitment}"]
    with reader() as work:
        enrolled = dict(
            work.session.execute(select(Participant.participant_id, Participant.randomization_code)).all()
        )
    investigator = _demo_actor("investigator")
    with reader() as work:
        checklist = _demo_checklist(current_study(work.session))
    lines.append("Demo participants (stratum, randomization code):")
    for participant_id, stratum in DEMO_PARTICIPANTS:
        if participant_id not in enrolled:
            onset_at = utcnow() - dt.timedelta(hours=DEMO_ONSET_HOURS[participant_id])
            enrolled[participant_id] = enrol_participant(
                uow(), investigator, participant_id, stratum, onset_at=onset_at, eligibility=checklist
            ).randomization_code
        lines.append(f"  {participant_id:<12} {stratum}  {enrolled[participant_id]}")
    return lines
