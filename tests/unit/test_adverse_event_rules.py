"""The pure decisions about adverse events: what a recording and an assessment need, the 24-hour sponsor
clock, when an event is open; and the SDTM AEACN term for what was done to the infusion."""

import datetime as dt

import pytest

from tracker.adverse_events import rules
from tracker.reports.sdtm_ae import action_term

T0 = dt.datetime(2026, 12, 4, 8, 0, tzinfo=dt.UTC)
GOOD = {"grade": 2, "serious": False, "seriousness_criteria": [], "actions_taken": ["none"]}


def test_a_plain_recording_has_no_problem():
    assert rules.recording_problems(GOOD) == {}
    serious = {**GOOD, "serious": True, "seriousness_criteria": ["hospitalisation"]}
    assert rules.recording_problems(serious) == {}
    treated = {**GOOD, "actions_taken": ["infusion_stopped", "treated"], "treatment": "Paracetamol"}
    assert rules.recording_problems(treated) == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"serious": True}, "seriousness_criteria"),
        ({"seriousness_criteria": ["death"]}, "seriousness_criteria"),
        ({"serious": True, "seriousness_criteria": ["death", "death"]}, "seriousness_criteria"),
        ({"grade": 5}, "grade"),
        ({"grade": 5, "serious": True, "seriousness_criteria": ["life_threatening"]}, "grade"),
        ({"actions_taken": []}, "actions_taken"),
        ({"actions_taken": ["none", "treated"], "treatment": "x"}, "actions_taken"),
        ({"actions_taken": ["infusion_slowed", "infusion_slowed"]}, "actions_taken"),
        ({"actions_taken": ["treated"]}, "treatment"),
        ({"actions_taken": ["treated"], "treatment": "  "}, "treatment"),
        ({"treatment": "Paracetamol"}, "treatment"),
    ],
)
def test_a_recording_that_does_not_hold_together_names_the_field(change, field):
    assert field in rules.recording_problems({**GOOD, **change})


def test_grade_5_is_death():
    death = {**GOOD, "grade": 5, "serious": True, "seriousness_criteria": ["death"]}
    assert rules.recording_problems(death) == {}


@pytest.mark.parametrize("outcome", sorted(rules.ENDED_OUTCOMES - {"fatal"}))
def test_an_outcome_that_ends_the_event_needs_its_end_and_the_others_refuse_one(outcome):
    assert "resolved_at" in rules.assessment_problems(outcome, None, [])
    assert rules.assessment_problems(outcome, T0, []) == {}
    for other in ("recovering", "not_recovered", "unknown"):
        assert "resolved_at" in rules.assessment_problems(other, T0, [])
        assert rules.assessment_problems(other, None, []) == {}


def test_a_fatal_outcome_needs_the_criterion_death():
    assert "outcome" in rules.assessment_problems("fatal", T0, ["hospitalisation"])
    assert rules.assessment_problems("fatal", T0, ["death"]) == {}


def test_the_sponsor_clock_runs_24_hours_from_the_recording_and_stops_at_the_report():
    due = rules.report_due(True, T0)
    assert due == T0 + dt.timedelta(hours=24)
    assert rules.report_due(False, T0) is None
    assert not rules.is_overdue(due, None, due)
    assert rules.is_overdue(due, None, due + dt.timedelta(seconds=1))
    assert not rules.is_overdue(due, due + dt.timedelta(hours=1), due + dt.timedelta(hours=2))
    assert not rules.is_overdue(None, None, due + dt.timedelta(days=9))
    assert rules.reported_late(due, due + dt.timedelta(minutes=1))
    assert not rules.reported_late(due, due)
    assert not rules.reported_late(None, None)


def test_an_event_is_open_until_reported_when_serious_and_assessed_with_an_outcome_that_ends_it():
    assert rules.is_open(False, None, None)
    assert rules.is_open(False, None, "recovering")
    assert not rules.is_open(False, None, "recovered")
    assert rules.is_open(True, None, "recovered")
    assert not rules.is_open(True, T0, "fatal")


def test_serious_events_list_first_then_the_newest_onset():
    events = [(False, T0), (True, T0 - dt.timedelta(hours=1)), (False, T0 + dt.timedelta(hours=1))]
    ordered = sorted(events, key=lambda e: rules.list_order(*e))
    assert ordered == [events[1], events[2], events[0]]


@pytest.mark.parametrize(
    ("actions", "term"),
    [
        (["infusion_slowed", "infusion_stopped"], "DRUG WITHDRAWN"),
        (["infusion_interrupted", "treated"], "DRUG INTERRUPTED"),
        (["infusion_slowed"], "DOSE RATE REDUCED"),
        (["treated"], "DOSE NOT CHANGED"),
        (["none"], "DOSE NOT CHANGED"),
    ],
)
def test_aeacn_is_the_strongest_change_to_a_running_infusion(actions, term):
    assert action_term(actions, T0, None) == term
    assert action_term(actions, T0, T0 + dt.timedelta(minutes=30)) == term


def test_aeacn_is_not_applicable_for_an_event_that_began_after_the_one_dose_was_complete():
    assert action_term(["none"], T0 + dt.timedelta(hours=1), T0) == "NOT APPLICABLE"
