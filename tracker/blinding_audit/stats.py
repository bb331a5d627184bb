"""Scoring the attacks honestly: accuracy with undecided bags counted as half right, one-threshold stumps
under k-fold cross-validation with the choice of feature made inside each training fold, and the same
attacks against randomly permuted arms as the floor that chance reaches with this many features and bags."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FOLDS = 5
REPEATS = 3  # cross-validation repeated over fresh folds and averaged: a steadier estimate at chance level
MISSING = -1.0e18  # a feature a bag lacks sorts below every real value: its absence is a value too


def accuracy(predicted: list[int | None], truth: np.ndarray) -> float:
    """Correct plus half of the undecided, over all bags (1 = active, 0 = placebo, None = undecided)."""
    score = sum(0.5 if p is None else float(p == t) for p, t in zip(predicted, truth, strict=True))
    return score / len(truth) if len(truth) else 0.5


def permuted(truth: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rng.permutation(truth)


def folds(y: np.ndarray, rng: np.random.Generator, k: int = FOLDS) -> list[np.ndarray]:
    """k folds with both arms spread evenly over them (stratified): less variance at chance level."""
    out: list[list[int]] = [[] for _ in range(k)]
    start = 0
    for arm in (0, 1):
        for position, index in enumerate(rng.permutation(np.flatnonzero(y == arm))):
            out[(start + position) % k].append(int(index))
        start = (start + int((y == arm).sum())) % k
    return [np.array(sorted(fold), dtype=int) for fold in out]


def prepare(matrix: np.ndarray) -> np.ndarray:
    """Missing values sort lowest; columns that never vary or repeat another are left out by the caller."""
    return np.where(np.isnan(matrix), MISSING, matrix)


def distinct_columns(matrix: np.ndarray) -> np.ndarray:
    """Indices of the columns that vary, one per set of identical columns."""
    varying = [j for j in range(matrix.shape[1]) if np.ptp(matrix[:, j]) > 0]
    if not varying:
        return np.array([], dtype=int)
    _, first = np.unique(matrix[:, varying], axis=1, return_index=True)
    return np.array(sorted(varying[i] for i in first), dtype=int)


def fit_stumps(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every column at once: the threshold and side that classify the training rows best.

    Returns (training accuracy, threshold, polarity) per column; polarity 1 says "active above the
    threshold", 0 "active at or below it"."""
    n, _ = x.shape
    order = np.argsort(x, axis=0, kind="stable")
    xs = np.take_along_axis(x, order, axis=0)
    ys = y[order]
    ones_left = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(ys, axis=0)])
    left = np.arange(n + 1)[:, None]
    ones = y.sum()
    above = (left - ones_left) + (ones - ones_left)  # zeros at or below + ones above
    below = n - above
    valid = np.ones((n + 1, x.shape[1]), dtype=bool)
    valid[1:n] = xs[:-1] < xs[1:]
    best_above = np.where(valid, above, -1)
    best_below = np.where(valid, below, -1)
    split_above = best_above.argmax(axis=0)
    split_below = best_below.argmax(axis=0)
    cols = np.arange(x.shape[1])
    score_above = best_above[split_above, cols]
    score_below = best_below[split_below, cols]
    polarity = (score_above >= score_below).astype(int)
    split = np.where(polarity == 1, split_above, split_below)
    score = np.maximum(score_above, score_below) / n
    lower = np.where(split > 0, xs[np.maximum(split - 1, 0), cols], -np.inf)
    upper = np.where(split < n, xs[np.minimum(split, n - 1), cols], np.inf)
    threshold = np.where(np.isinf(lower), lower, np.where(np.isinf(upper), lower, (lower + upper) / 2))
    return score, threshold, polarity


def predict(values: np.ndarray, threshold: float, polarity: int) -> np.ndarray:
    above = values > threshold
    return above.astype(int) if polarity == 1 else (~above).astype(int)


@dataclass
class StumpResult:
    accuracy: float  # nested: the feature is chosen inside each training fold
    best_feature: int  # the column with the best cross-validated accuracy of its own
    best_feature_accuracy: float
    threshold: float
    polarity: int


def cross_validated(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> StumpResult:
    """Nested k-fold accuracy of 'the best one-threshold stump over all features' (repeated over fresh
    folds), and the single feature whose own k-fold accuracy is best (for the evidence)."""
    n, f = x.shape
    if f == 0 or n < FOLDS * 2:
        return StumpResult(0.5, -1, 0.5, 0.0, 1)
    correct = 0
    per_feature = np.zeros(f)
    splits = [test for _ in range(REPEATS) for test in folds(y, rng)]
    for test in splits:
        train = np.setdiff1d(np.arange(n), test)
        score, threshold, polarity = fit_stumps(x[train], y[train])
        chosen = int(score.argmax())
        correct += int((predict(x[test, chosen], threshold[chosen], polarity[chosen]) == y[test]).sum())
        above = x[test] > threshold  # (test rows, features)
        guess = np.where(polarity == 1, above, ~above)
        per_feature += (guess == y[test][:, None]).sum(axis=0)
    per_feature /= n * REPEATS
    best = int(per_feature.argmax())
    _, threshold, polarity = fit_stumps(x[:, [best]], y)
    return StumpResult(
        correct / (n * REPEATS), best, float(per_feature[best]), float(threshold[0]), int(polarity[0])
    )
