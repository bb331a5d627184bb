"""Pure decisions about adverse events: the fixed lists, what a recording and an assessment need, the
24-hour sponsor clock of a serious event, and whether an event is still open."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from tracker.translation import N_

GRADES = (1, 2, 3, 4, 5)  # CTCAE: mild, moderate, severe, life-threatening, death
# ICH E2A's seriousness criteria.
SERIOUSNESS_CRITERIA = (
    "death", "life_threatening", "hospitalisation", "disability", "congenital_anomaly",
    "other_medically_important",
)  # fmt: skip
ACTIONS = ("none", "infusion_slowed", "infusion_interrupted", "infusion_stopped", "treated")
CAUSALITIES = ("not_related", "unlikely", "possible", "probable", "definite")
OUTCOMES = (
    "recovered", "recovering", "not_recovered", "recovered_with_sequelae", "fatal", "unknown",
)  # fmt: skip
# Outcomes that end the event: they need the date it ended; the others must not have one.
ENDED_OUTCOMES = frozenset({"recovered", "recovered_with_sequelae", "fatal"})

RECORDERS = ("nurse", "investigator")
ASSESSORS = ("investigator",)
READERS = ("nurse", "investigator", "qa")

# A serious adverse event is reported to the sponsor within 24 hours (ICH E6(R2) 4.11.1).
REPORTING_WINDOW = dt.timedelta(hours=24)
# How long before the infusion's recorded start an onset may lie (clocks on a ward disagree a little).
ONSET_SKEW = dt.timedelta(minutes=5)
# Who hears of a serious event at once.
SERIOUS_AUDIENCES = ("investigator", "qa", "sponsor")


def recording_problems(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """What is wrong with a recording's fixed fields taken together (empty: nothing)."""
    problems: dict[str, list[str]] = {}
    serious, criteria = bool(data.get("serious")), list(data.get("seriousness_criteria") or ())
    actions = list(data.get("actions_taken") or ())
    if serious and not criteria:
        problems["seriousness_criteria"] = [N_("a serious event needs at least one seriousness criterion")]
    if not serious and criteria:
        problems["seriousness_criteria"] = [N_("only a serious event has seriousness criteria")]
    if data.get("grade") == 5 and not (serious and "death" in criteria):
        problems["grade"] = [N_("grade 5 is death: the event is serious with the criterion death")]
    if not actions:
        problems["actions_taken"] = [N_("name at least one action (none, if nothing was done)")]
    elif "none" in actions and len(actions) > 1:
        problems["actions_taken"] = [N_("none cannot go with another action")]
    if len(set(actions)) != len(actions):
        problems.setdefault("actions_taken", []).append(N_("each action once"))
    if len(set(criteria)) != len(criteria):
        problems.setdefault("seriousness_criteria", []).append(N_("each criterion once"))
    if "treated" in actions and not (data.get("treatment") or "").strip():
        problems["treatment"] = [N_("say what treatment was given")]
    if "treated" not in actions and (data.get("treatment") or "").strip():
        problems["treatment"] = [N_("a treatment goes with the action treated")]
    return problems


def assessment_problems(
    outcome: str, resolved_at: dt.datetime | None, criteria: Sequence[str]
) -> dict[str, list[str]]:
    """What an assessment's outcome and end date need: an end date exactly when the outcome ends the event;
    a fatal outcome only for an event serious by death."""
    problems: dict[str, list[str]] = {}
    if outcome in ENDED_OUTCOMES and resolved_at is None:
        problems["resolved_at"] = [N_("required when the event has ended")]
    if outcome not in ENDED_OUTCOMES and resolved_at is not None:
        problems["resolved_at"] = [N_("only an event that has ended has an end date")]
    if outcome == "fatal" and "death" not in criteria:
        problems["outcome"] = [N_("a fatal outcome needs the event recorded as serious by death")]
    return problems


def report_due(serious: bool, recorded_at: dt.datetime) -> dt.datetime | None:
    return recorded_at + REPORTING_WINDOW if serious else None


def is_overdue(due_at: dt.datetime | None, reported_at: dt.datetime | None, now: dt.datetime) -> bool:
    """A serious event not reported to the sponsor by its due time."""
    return due_at is not None and reported_at is None and now > due_at


def reported_late(due_at: dt.datetime | None, reported_at: dt.datetime | None) -> bool:
    return due_at is not None and reported_at is not None and reported_at > due_at


def is_open(serious: bool, reported_at: dt.datetime | None, outcome: str | None) -> bool:
    """Still needs something: the sponsor report of a serious event, or an assessment with an outcome
    that ends the event."""
    return (serious and reported_at is None) or outcome not in ENDED_OUTCOMES


def list_order(serious: bool, onset_at: dt.datetime) -> tuple:
    """Serious events first, each group newest onset first."""
    return (not serious, -onset_at.timestamp())
