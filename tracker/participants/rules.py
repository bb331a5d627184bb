"""Pure rules for enrolment and the code-break."""

from __future__ import annotations

import re

PARTICIPANT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$")
MAX_REASON_LENGTH = 2000


def participant_id_problems(participant_id: str) -> list[str]:
    if not PARTICIPANT_ID_PATTERN.match(participant_id):
        return ["must be 1–40 letters, digits or dashes, starting with a letter or digit"]
    return []


def code_break_problems(reason: str) -> dict[str, list[str]]:
    """A code-break needs a written reason (WHO GCP 9.2: unblinding is justified and documented)."""
    if not reason.strip():
        return {"reason": ["a code-break needs a reason: say why knowing the arm is needed for care"]}
    if len(reason) > MAX_REASON_LENGTH:
        return {"reason": [f"must be at most {MAX_REASON_LENGTH} characters"]}
    return {}


def may_break_code(role: str) -> bool:
    return role == "investigator"
