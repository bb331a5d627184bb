"""Pure decisions of the pharmacy: is a thaw usable, how much to draw, is a dose within tolerance, windows."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from tracker.studies.definition import StudyDefinition

DRAW_STEP_ML = 0.1  # what a pharmacist can measure with a syringe
SHEET_MAX_BAGS = 200  # labels on one printed sheet request (ten A4 pages)


def thaw_unusable_reasons(study: StudyDefinition, viability_percent: float) -> list[str]:
    reasons = []
    if viability_percent < study.min_viability_percent:
        reasons.append(f"viability {viability_percent:g} % is below {study.min_viability_percent:g} %")
    return reasons


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
