"""The pharmacy's arithmetic and windows against the UMSIS definition."""

import datetime as dt
import json

import pytest

from tracker.pharmacy import rules
from tracker.studies.definition import parse_definition
from tracker.studies.services import SHIPPED
from tracker.thaws import rules as thaw_rules

UMSIS = parse_definition(json.loads((SHIPPED / "umsis.json").read_text()))
T0 = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)


def test_a_thaw_at_the_viability_limit_is_usable_and_below_it_is_not():
    assert thaw_rules.thaw_unusable_reasons(UMSIS, 70) == []
    assert thaw_rules.thaw_unusable_reasons(UMSIS, 69.9) == ["viability 69.9 % is below 70 %"]


def test_the_plan_draws_the_target_dose_and_dilutes_to_the_final_volume():
    plan = rules.active_dose_plan(UMSIS, viable_cells_per_ml=5e6, available_ml=40)
    assert plan.draw_ml == 20.0
    assert plan.diluent_ml == 80.0
    assert plan.final_volume_ml == 100
    assert plan.expected_viable_cells == pytest.approx(1e8)


def test_the_draw_is_rounded_to_a_tenth_of_a_millilitre():
    plan = rules.active_dose_plan(UMSIS, viable_cells_per_ml=3e6, available_ml=50)
    assert plan.draw_ml == 33.3
    assert plan.diluent_ml == 66.7
    assert plan.expected_viable_cells == pytest.approx(9.99e7)


def test_a_thaw_short_of_cells_gives_what_it_has_when_that_is_within_tolerance():
    plan = rules.active_dose_plan(UMSIS, viable_cells_per_ml=5e6, available_ml=17)
    assert plan.draw_ml == 17.0
    assert plan.expected_viable_cells == pytest.approx(8.5e7)


def test_a_thaw_that_cannot_reach_the_tolerance_is_refused():
    with pytest.raises(ValueError, match="too few viable cells"):
        rules.active_dose_plan(UMSIS, viable_cells_per_ml=5e6, available_ml=15)


def test_a_suspension_too_dilute_for_the_final_volume_is_refused():
    with pytest.raises(ValueError, match="too dilute"):
        rules.active_dose_plan(UMSIS, viable_cells_per_ml=5e5, available_ml=500)


def test_a_placebo_plan_is_all_vehicle():
    plan = rules.placebo_dose_plan(UMSIS)
    assert (plan.draw_ml, plan.diluent_ml, plan.final_volume_ml) == (0.0, 100, 100)


@pytest.mark.parametrize(
    ("cells", "ok"), [(8.0e7, True), (1.2e8, True), (7.9e7, False), (1.21e8, False), (1e8, True)]
)
def test_the_dose_tolerance_is_twenty_percent_either_side(cells, ok):
    assert rules.dose_within_tolerance(UMSIS, cells) is ok


@pytest.mark.parametrize(("volume", "ok"), [(98, True), (102, True), (97.9, False), (102.1, False)])
def test_the_final_volume_may_be_off_by_two_millilitres(volume, ok):
    assert rules.final_volume_ok(UMSIS, volume) is ok


def test_a_bag_must_be_prepared_within_an_hour_of_its_thaw():
    assert rules.thaw_window_open(UMSIS, T0, T0 + dt.timedelta(minutes=60))
    assert not rules.thaw_window_open(UMSIS, T0, T0 + dt.timedelta(minutes=60, seconds=1))
    assert not rules.thaw_window_open(UMSIS, T0, T0 - dt.timedelta(seconds=1))


def test_use_by_is_two_hours_after_preparation():
    assert rules.use_by(UMSIS, T0) == T0 + dt.timedelta(hours=2)
