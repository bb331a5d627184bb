"""Pure decisions of the pharmacy: is a thaw usable, how much to draw, is a dose within tolerance, windows,
and the bag's state machine: its status as shown and what may be done to it now (pages and API ask it)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from tracker.custody.rules import BAG_ONWARD_ACTIONS, bag_status_after
from tracker.studies.definition import StudyDefinition

DRAW_STEP_ML = 0.1  # what a pharmacist can measure with a syringe
SHEET_MAX_BAGS = 200  # labels on one printed sheet request (ten A4 pages)

# A bag is live until it is infused, destroyed, voided or expired; a code has at most one live bag.
LIVE_STATUSES = ("prepared", "dispatched", "received", "returned")
# Done with: nothing is left of the bag but its record (a voided or expired bag still has to be destroyed).
FINAL_STATUSES = ("infused", "destroyed")


@dataclass(frozen=True)
class DosePlan:
    draw_ml: float
    diluent_ml: float
    final_volume_ml: float
    expected_viable_cells: float


def active_dose_plan(study: StudyDefinition, viable_cells_per_ml: float, available_ml: float) -> DosePlan:
    """The suspension to draw for the target dose, rounded to what a syringe measures; raises ValueError when
    the thaw cannot give a dose within tolerance in the final volume."""
    if viable_cells_per_ml <= 0:
        raise ValueError("the thaw has no viable cells")
    draw = round(round(study.target_viable_cells / viable_cells_per_ml / DRAW_STEP_ML) * DRAW_STEP_ML, 1)
    if draw > available_ml:
        draw = math.floor(available_ml / DRAW_STEP_ML) * DRAW_STEP_ML
    if draw > study.final_volume_ml:
        raise ValueError(
            f"the suspension is too dilute: {draw:g} mL would exceed "
            f"the final volume of {study.final_volume_ml:g} mL"
        )
    expected = draw * viable_cells_per_ml
    if not dose_within_tolerance(study, expected):
        raise ValueError(
            f"the thaw holds too few viable cells: at most {expected:.3g} cells, "
            f"below the tolerance of {study.tolerance_percent:g} %"
        )
    return DosePlan(round(draw, 1), round(study.final_volume_ml - draw, 1), study.final_volume_ml, expected)


def placebo_dose_plan(study: StudyDefinition) -> DosePlan:
    return DosePlan(0.0, study.final_volume_ml, study.final_volume_ml, 0.0)


def dose_within_tolerance(study: StudyDefinition, viable_cells: float) -> bool:
    margin = study.target_viable_cells * study.tolerance_percent / 100
    # A small relative epsilon so that exactly ±20 % counts as within tolerance despite float rounding.
    return abs(viable_cells - study.target_viable_cells) <= margin * (1 + 1e-9)


def final_volume_ok(study: StudyDefinition, final_volume_ml: float) -> bool:
    return abs(final_volume_ml - study.final_volume_ml) <= study.final_volume_tolerance_ml + 1e-9


def thaw_window_open(study: StudyDefinition, thawed_at: dt.datetime, prepared_at: dt.datetime) -> bool:
    return thawed_at <= prepared_at <= thawed_at + dt.timedelta(minutes=study.thaw_to_preparation_minutes)


def use_by(study: StudyDefinition, prepared_at: dt.datetime) -> dt.datetime:
    """The same window for every arm, so that a use-by time can never reveal the arm."""
    return prepared_at + dt.timedelta(minutes=study.use_by_minutes)


# ---- the bag's state machine ---------------------------------------------------------------------------


def shown_status(status: str, use_by: dt.datetime, now: dt.datetime) -> str:
    """The stored status, or `expired` for a live bag past its use-by time."""
    return "expired" if status in LIVE_STATUSES and use_by <= now else status


def use_by_counts(status: str, use_by: dt.datetime, now: dt.datetime) -> bool:
    """Whether the bag's use-by time still matters (a countdown is shown): live, or expired by it."""
    return shown_status(status, use_by, now) in (*LIVE_STATUSES, "expired")


def handoff_refusal(status: str, action: str, *, expired: bool, quarantined: bool) -> str | None:
    """Why a bag whose stored status is `status` cannot take the handoff `action` now (the error code:
    `quarantined`, `expired`, `action_out_of_order`), or None when it can. A quarantined or expired bag is
    handed on to no one; it may still come back, be received where it was sent, or be destroyed."""
    if action in BAG_ONWARD_ACTIONS:
        if quarantined:
            return "quarantined"
        if expired:
            return "expired"
    return "action_out_of_order" if bag_status_after(status, action) is None else None


def can_void(status: str) -> bool:
    """A bag can be voided until it is voided, infused or destroyed."""
    return status not in ("voided", *FINAL_STATUSES)


def can_print_label(status: str) -> bool:
    """A voided bag's label may not be printed (again)."""
    return status != "voided"


# Who records what, from where: the pharmacy dispatches and destroys the bags it holds, decides a quarantine,
# prints labels and voids; the ward receives (by scan), returns, and destroys the bags it holds.
WARD_HOLDS = frozenset({"received"})


def bag_actions(status: str, *, expired: bool, quarantined: bool, role: str) -> list[str]:
    """What this role may do to a bag now, for its pages to offer: the pharmacist `print_label`,
    `decide_quarantine`, `dispatch`, `destroy`, `void`; the nurse `receive`, `return`, `destroy`. `status` is
    the stored one; `expired` says whether a live bag is past its use-by time. The handoffs are those the API
    allows (handoff_refusal); a quarantined bag is destroyed by the pharmacy's decision on it."""

    def allowed(action: str) -> bool:
        return handoff_refusal(status, action, expired=expired, quarantined=quarantined) is None

    if role == "pharmacist":
        return [
            action
            for action, offered in (
                ("print_label", can_print_label(status)),
                ("decide_quarantine", quarantined),
                ("dispatch", allowed("dispatch")),
                ("destroy", allowed("destroy") and status not in WARD_HOLDS and not quarantined),
                ("void", can_void(status)),
            )
            if offered
        ]
    if role == "nurse":
        return [
            action
            for action, offered in (
                ("receive", allowed("receive")),
                ("return", allowed("return")),
                ("destroy", allowed("destroy") and status in WARD_HOLDS),
            )
            if offered
        ]
    return []
