"""Pure decisions about a thaw: is the suspension usable."""

from __future__ import annotations

from tracker.studies.definition import StudyDefinition


def thaw_unusable_reasons(study: StudyDefinition, viability_percent: float) -> list[str]:
    reasons = []
    if viability_percent < study.min_viability_percent:
        reasons.append(f"viability {viability_percent:g} % is below {study.min_viability_percent:g} %")
    return reasons
