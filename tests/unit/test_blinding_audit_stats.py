"""The blinding audit's statistics and the app's clock: rules with no database."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tracker.blinding_audit import stats
from tracker.db import Clock


def test_a_stump_on_a_feature_that_separates_the_arms_is_right_every_time():
    rng = np.random.default_rng(1)
    truth = rng.permutation(np.array([0, 1] * 60))
    x = np.column_stack([rng.normal(size=120), truth * 16.0 + 7.0, rng.normal(size=120)])
    result = stats.cross_validated(x, truth, rng)
    assert result.accuracy == 1.0
    assert result.best_feature == 1
    assert result.best_feature_accuracy == 1.0


def test_many_features_of_noise_stay_near_chance_because_the_feature_is_chosen_inside_each_fold():
    rng = np.random.default_rng(2)
    truth = rng.permutation(np.array([0, 1] * 90))
    x = rng.normal(size=(180, 500))
    result = stats.cross_validated(x, truth, rng)
    assert 0.35 < result.accuracy < 0.62


def test_a_missing_value_sorts_below_every_real_one_so_that_absence_itself_can_be_learnt():
    truth = np.array([0, 1] * 10)
    x = stats.prepare(np.where(truth == 1, np.nan, 3.0)[:, None])
    assert stats.cross_validated(x, truth, np.random.default_rng(3)).accuracy == 1.0


def test_undecided_bags_count_half():
    assert stats.accuracy([1, None, 0, None], np.array([1, 1, 1, 0])) == pytest.approx(
        (1 + 0.5 + 0 + 0.5) / 4
    )


def test_identical_and_constant_columns_are_kept_once():
    x = np.array([[1.0, 1.0, 5.0, 2.0], [2.0, 2.0, 5.0, 1.0], [3.0, 3.0, 5.0, 0.0]])
    assert list(stats.distinct_columns(x)) == [0, 3]


def test_the_clock_starts_in_the_past_moves_forward_only_and_keeps_ticking():
    clock = Clock()
    start = dt.datetime(2026, 11, 1, 8, tzinfo=dt.UTC)
    clock.start_at(start)
    assert abs(clock.now() - start) < dt.timedelta(seconds=1)
    clock.advance(dt.timedelta(minutes=30))
    later = clock.now()
    assert dt.timedelta(minutes=30) <= later - start < dt.timedelta(minutes=31)
    clock.advance_to(start)  # already passed: stays where it is
    assert clock.now() >= later
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(dt.timedelta(seconds=-1))
    clock.reset()
    assert abs(clock.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=1)
