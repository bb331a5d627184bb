"""Pure rules for enrolment (participant ID, eligibility checklist, stratum from onset) and the code-break."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracker.studies.definition import Criterion, Eligibility, Stratum
from tracker.translation import N_

PARTICIPANT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$")
MAX_REASON_LENGTH = 2000
MAX_ANSWER_LENGTH = 40

NO_CODE_BREAK_REASON = N_("a code-break needs a reason: say why knowing the arm is needed for care")


def participant_id_problems(participant_id: str) -> list[str]:
    if not PARTICIPANT_ID_PATTERN.match(participant_id):
        return ["must be 1–40 letters, digits or dashes, starting with a letter or digit"]
    return []


def code_break_problems(reason: str) -> dict[str, list[str]]:
    """A code-break needs a written reason (WHO GCP 9.2: unblinding is justified and documented)."""
    if not reason.strip():
        return {"reason": [NO_CODE_BREAK_REASON]}
    if len(reason) > MAX_REASON_LENGTH:
        return {"reason": [f"must be at most {MAX_REASON_LENGTH} characters"]}
    return {}


def may_break_code(role: str) -> bool:
    return role == "investigator"


# --- eligibility ----------------------------------------------------------------------------------


def parse_answer(criterion: Criterion, raw: Any) -> float | int | str:
    """The answer as the checklist records it; raises ValueError with a sentence when it cannot be one."""
    if criterion.kind == "yes_no":
        if isinstance(raw, bool):
            return "yes" if raw else "no"
        if isinstance(raw, str) and raw.strip().lower() in ("yes", "no"):
            return raw.strip().lower()
        raise ValueError("answer yes or no")
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(f"give the measured value as a number in {criterion.unit}")
    if isinstance(raw, str) and (not raw.strip() or len(raw) > MAX_ANSWER_LENGTH):
        raise ValueError(f"give the measured value as a number in {criterion.unit}")
    try:
        number = float(raw)
    except ValueError:
        raise ValueError(f"give the measured value as a number in {criterion.unit}") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    if criterion.whole_number:
        if number != int(number):
            raise ValueError(f"must be a whole number of {criterion.unit}")
        return int(number)
    return number


def answer_is_eligible(criterion: Criterion, answer: float | int | str) -> bool:
    if criterion.kind == "yes_no":
        return answer == criterion.eligible_answer
    return all(bound.holds(float(answer)) for bound in criterion.bounds)


def _shown(criterion: Criterion, answer: float | int | str) -> str:
    if criterion.kind == "yes_no":
        return str(answer)
    return f"{answer:g} {criterion.unit}"


@dataclass(frozen=True)
class CriterionResult:
    key: str
    category: str
    text: str
    requirement: str
    answer: float | int | str
    eligible: bool

    @property
    def refusal(self) -> str:
        return f"{self.text}: {self.answer_text} given; eligible only when {self.requirement}"

    @property
    def answer_text(self) -> str:
        return self.answer if isinstance(self.answer, str) else f"{self.answer:g}"


@dataclass(frozen=True)
class EligibilityAssessment:
    """The checklist judged against the study: answers, what is invalid or missing, what fails."""

    results: tuple[CriterionResult, ...] = ()
    invalid: dict[str, list[str]] = field(default_factory=dict)
    missing: tuple[Criterion, ...] = ()

    @property
    def failed(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.results if not r.eligible)


def assess_eligibility(eligibility: Eligibility, answers: Mapping[str, Any]) -> EligibilityAssessment:
    """Judge every answer; an answer to no criterion of the study, or one that cannot be read, is invalid."""
    invalid: dict[str, list[str]] = {}
    results = []
    for key in answers:
        if eligibility.criterion(key) is None:
            invalid[key] = ["is not an eligibility criterion of this study"]
    for criterion in eligibility.criteria:
        if criterion.key not in answers or answers[criterion.key] is None:
            continue
        try:
            answer = parse_answer(criterion, answers[criterion.key])
        except ValueError as exc:
            invalid[criterion.key] = [str(exc)]
            continue
        results.append(
            CriterionResult(
                criterion.key,
                criterion.category,
                criterion.text,
                criterion.requirement,
                answer,
                answer_is_eligible(criterion, answer),
            )  # fmt: skip
        )
    answered = {r.key for r in results} | set(invalid)
    missing = tuple(c for c in eligibility.criteria if c.key not in answered)
    return EligibilityAssessment(tuple(results), invalid, missing)


# --- stratum from the time since onset -------------------------------------------------------------


def window_of(stratum: Stratum) -> tuple[dt.timedelta, dt.timedelta]:
    return dt.timedelta(hours=stratum.onset_from_hours), dt.timedelta(hours=stratum.onset_to_hours)


def stratum_for_interval(strata: Sequence[Stratum], interval: dt.timedelta) -> Stratum | None:
    """The stratum whose window holds the time from onset to randomization.

    Windows run from their start (inclusive) to their end (exclusive); the last one also holds its end.
    The study definition makes them contiguous, so each boundary belongs to exactly one stratum.
    """
    for number, stratum in enumerate(strata):
        start, end = window_of(stratum)
        last = number == len(strata) - 1
        if start <= interval < end or (last and interval == end):
            return stratum
    return None


def window_text(stratum: Stratum, *, last: bool) -> str:
    start, end = window_of(stratum)
    return f"from {describe_span(start)} to {'' if last else 'under '}{describe_span(end)}"


def describe_span(span: dt.timedelta) -> str:
    """A window boundary as a clinician says it: 6 h, 3 d, 4 wk (28 d)."""
    hours = span / dt.timedelta(hours=1)
    if hours < 24 or hours % 24:
        return f"{hours:g} h"
    days = hours / 24
    if days % 7 == 0 and days <= 28:
        return f"{days / 7:g} wk ({days:g} d)" if days > 7 else f"{days:g} d"
    return f"{days:g} d"


def describe_interval(interval: dt.timedelta) -> str:
    """The time from onset to randomization in hours and days, e.g. '30 h 5 min (1.25 days)'."""
    sign = "-" if interval < dt.timedelta(0) else ""
    minutes = int(abs(interval) // dt.timedelta(minutes=1))
    days = abs(interval) / dt.timedelta(days=1)
    return f"{sign}{minutes // 60} h {minutes % 60} min ({sign}{days:.2f} days)"
