"""Pure decisions about lots: QC results against the study, what blocks release, who may sign, when a lot
may be used, and where its containers sit in the freezer box."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from tracker.checkchar import is_valid, with_check
from tracker.errors import Conflict
from tracker.studies.definition import QcSpec, StudyDefinition

LOT_STATUSES = ("quarantine", "released", "rejected", "recalled")
# signature action -> (status it needs, status it leaves)
SIGNATURE_MOVES = {
    "release": ("quarantine", "released"),
    "reject": ("quarantine", "rejected"),
    "recall": ("released", "recalled"),
}
# Marked for translation: the signing form shows them in the reader's language as the default it records.
CLOCK_SKEW = dt.timedelta(minutes=1)
MAX_CONTAINERS = 500
MAX_WORD_LENGTH = 80

LOT_NUMBER_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")

# A container ID: "C", nine random digits or capitals, and a Mod 37-2 check character.
CONTAINER_ID_PREFIX = "C"
CONTAINER_ID_RANDOM_LENGTH = 9
CONTAINER_ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CONTAINER_ID_PATTERN = re.compile(r"^C[0-9A-Z]{9}[0-9A-Z*]$")

# A standard 9 x 9 cryobox: rows A-I, columns 1-9.
BOX_ROWS = "ABCDEFGHI"
BOX_COLUMNS = 9
BOX_SIZE = len(BOX_ROWS) * BOX_COLUMNS


class LotLike(Protocol):
    status: str
    expires_at: dt.datetime


def normalise_lot_number(text: str) -> str:
    return (text or "").strip().upper()


def container_id_from(random_part: str) -> str:
    return with_check(CONTAINER_ID_PREFIX + random_part)


def is_container_id(text: str) -> bool:
    return bool(_CONTAINER_ID_PATTERN.match(text or "")) and is_valid(text)


def box_layout(count: int) -> list[tuple[int, str]]:
    """(box number from 1, position such as "A1") for each of `count` containers, filling row by row."""
    layout = []
    for index in range(count):
        box, slot = divmod(index, BOX_SIZE)
        row, column = divmod(slot, BOX_COLUMNS)
        layout.append((box + 1, f"{BOX_ROWS[row]}{column + 1}"))
    return layout


def position_cell(position: str) -> tuple[int, int] | None:
    """(row, column) from 0 of a box position such as "C7", or None when it is not one."""
    match = re.fullmatch(r"([A-I])([1-9])", position or "")
    if not match:
        return None
    return BOX_ROWS.index(match.group(1)), int(match.group(2)) - 1


def lot_time_problems(
    manufactured_at: dt.datetime, expires_at: dt.datetime, now: dt.datetime
) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if manufactured_at > now + CLOCK_SKEW:
        problems["manufactured_at"] = ["must not lie in the future"]
    if expires_at <= manufactured_at:
        problems["expires_at"] = ["must be after manufactured_at"]
    return problems


def parse_qc_value(spec: QcSpec, raw: Any) -> float | str:
    """The value as the test records it; ValueError with a sentence when it cannot be one."""
    if spec.kind == "number" and isinstance(raw, str) and spec.unit:
        # "0.2 EU/mL" or "97 %" as typed from a report: the unit is the study's, so drop it.
        text = raw.strip()
        if text.lower().endswith(spec.unit.lower()):
            raw = text[: -len(spec.unit)].strip()
    value = spec.parse(raw)
    if spec.kind == "word" and len(value) > MAX_WORD_LENGTH:
        raise ValueError(f"must be at most {MAX_WORD_LENGTH} characters")
    if spec.kind == "number":
        if value < 0:
            raise ValueError("must not be negative")
        if spec.unit == "%" and value > 100:
            raise ValueError("a percentage must be at most 100")
    return value


def result_passes(spec: QcSpec, value: float | str | None) -> bool:
    if value is None:
        return False
    try:
        return spec.passes(parse_qc_value(spec, value))
    except ValueError:
        return False  # a value the current definition cannot read does not meet it


class ResultLike(Protocol):
    test: str
    value: float | str


def latest_by_test(results: Iterable[ResultLike]) -> dict[str, ResultLike]:
    """The latest result of each test, given results oldest first: repeats and corrections supersede."""
    latest: dict[str, ResultLike] = {}
    for result in results:
        latest[result.test] = result
    return latest


def release_blockers(
    study: StudyDefinition,
    material: str,
    latest_results: Mapping[str, float | str],
    *,
    status: str = "quarantine",
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
    may_be_pending: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Everything that stops release, in the study's test order; empty when the lot may be released. A test
    in `may_be_pending` (the study's release with results pending) blocks only when it failed."""
    pending_allowed = frozenset(may_be_pending)
    blockers: list[dict[str, Any]] = []
    if status != "quarantine":
        blockers.append(
            {
                "problem": "status",
                "status": status,
                "message": f"The lot is {status}; only a lot in quarantine can be released",
            }
        )
    for spec in study.qc_tests.get(material, ()):
        if spec.test not in latest_results:
            if spec.test in pending_allowed:
                continue
            blockers.append(
                {
                    "problem": "missing",
                    "test": spec.test,
                    "specification": spec.specification,
                    "message": f"{spec.test}: no result",
                }
            )
        elif not result_passes(spec, latest_results[spec.test]):
            value = latest_results[spec.test]
            blockers.append(
                {
                    "problem": "failed",
                    "test": spec.test,
                    "specification": spec.specification,
                    "value": value,
                    "message": f"{spec.test}: {value} does not meet {spec.specification}",
                }
            )
    if expires_at is not None and now is not None and expires_at <= now:
        blockers.append({"problem": "expired", "message": "The lot has expired"})
    return blockers


def pending_at_release(
    study: StudyDefinition,
    material: str,
    latest_results: Mapping[str, float | str],
    may_be_pending: Iterable[str],
) -> list[str]:
    """The tests released with no result yet (the study allows them to be pending), in the study's order."""
    allowed = frozenset(may_be_pending)
    return [
        s.test for s in study.qc_tests.get(material, ()) if s.test in allowed and s.test not in latest_results
    ]


# What a released lot's follow-up of a pending test may be: waiting, closed by a pass, or failed.
FOLLOW_UP_STATES = ("pending", "passed", "failed")
# A lot's status as people read it: its stored status, or a released lot's follow-up that is still open
# ("released, results pending") or failed ("released, late result failed").
DISPOSITIONS = (*LOT_STATUSES, "released_results_pending", "released_result_failed")


def disposition(status: str, follow_up_states: Iterable[str]) -> str:
    """The lot's status as every reader sees it: `released_results_pending` while a test released pending
    has no result, `released_result_failed` once one failed, else the stored status."""
    states = set(follow_up_states)
    if status == "released" and "failed" in states:
        return "released_result_failed"
    if status == "released" and "pending" in states:
        return "released_results_pending"
    return status


def released_with_pending_meaning(meaning: str, pending: Iterable[str]) -> str:
    """The signature's meaning when tests are pending: it says so and names them."""
    return f"{meaning} (released with results pending: {', '.join(pending)})"


def signature_status_after(status: str, action: str) -> str | None:
    """The lot's status after a signed `action`, or None when the lot is in the wrong state for it."""
    needs, leaves = SIGNATURE_MOVES[action]
    return leaves if status == needs else None


def signature_refusal_code(status: str, action: str) -> str:
    """The error code when a lot in `status` cannot take a signed `action`."""
    done = SIGNATURE_MOVES[action][1]
    if status == done:
        return f"already_{done}"
    return "lot_not_released" if action == "recall" else "lot_not_in_quarantine"


def four_eyes_violated(signer: str, qc_entered_by: Iterable[str]) -> bool:
    """A person who entered any QC result of a lot may not sign its disposition."""
    return signer in set(qc_entered_by)


def lot_unusable_reason(
    status: str, expires_at: dt.datetime, now: dt.datetime, *, late_result_failed: bool = False
) -> tuple[str, str] | None:
    """(code, sentence) saying why a lot's containers may not be issued, thawed or used; None if they may.
    A released lot whose late result (a test released pending) failed may not be used either."""
    if status == "recalled":
        return "lot_recalled", "The lot has been recalled: its containers may not be used"
    if status == "released" and late_result_failed:
        return "lot_late_result_failed", "A late QC result of the lot failed: its containers may not be used"
    if status != "released":
        return "lot_not_released", f"The lot is {status}, not released: its containers may not be used"
    if expires_at <= now:
        return "lot_expired", "The lot has expired: its containers may not be used"
    return None


def late_result_failed(lot: Any) -> bool:
    """Whether a test the lot was released without has since failed (its follow-up is `failed`)."""
    return any(getattr(f, "state", None) == "failed" for f in getattr(lot, "follow_ups", ()))


def lot_usable(lot: LotLike, now: dt.datetime) -> bool:
    """Released, not recalled and not expired."""
    return (
        lot_unusable_reason(lot.status, lot.expires_at, now, late_result_failed=late_result_failed(lot))
        is None
    )


def ensure_lot_usable(lot: LotLike, now: dt.datetime) -> None:
    """Raises Conflict with `lot_not_released`, `lot_expired` or `lot_recalled` when the lot is not usable."""
    refusal = lot_unusable_reason(lot.status, lot.expires_at, now, late_result_failed=late_result_failed(lot))
    if refusal is not None:
        code, message = refusal
        raise Conflict(message, code=code)
