"""The storage rules the temperature reports add: the minutes a container spent out of range (its times in a
unit against the unit's excursions) and a period's reading summary."""

import datetime as dt

import pytest

from tracker.storage import rules

T0 = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)


def _at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_a_container_there_for_the_whole_excursion_spent_all_of_it_out_of_range():
    found = [rules.Excursion(_at(10), _at(40), -130, -120)]
    assert rules.minutes_exposed([(_at(0), None)], found) == 30


def test_a_container_moved_in_or_out_during_an_excursion_counts_only_its_part():
    found = [rules.Excursion(_at(10), _at(40), -130, -120), rules.Excursion(_at(100), _at(110), -140, -140)]
    assert rules.minutes_exposed([(_at(25), _at(105))], found) == 15 + 5
    assert rules.minutes_exposed([(_at(0), _at(10))], found) == 0
    assert rules.minutes_exposed([(_at(0), _at(20)), (_at(35), None)], found) == 10 + 5 + 10
    assert rules.minutes_exposed([], found) == 0


def test_the_summary_of_a_period_counts_and_averages_its_readings():
    assert rules.reading_summary([-190.0, -180.0, -170.0]) == {
        "count": 3, "min_c": -190.0, "max_c": -170.0, "mean_c": pytest.approx(-180.0),
    }  # fmt: skip
    assert rules.reading_summary([]) == {"count": 0, "min_c": None, "max_c": None, "mean_c": None}
