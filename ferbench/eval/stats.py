"""How sure a leaderboard is: bootstrap confidence intervals and McNemar tests.

Both work on stored predictions alone. The bootstrap resamples test faces *within each
class* (so every replicate keeps the class balance of the test set, and macro-F1 stays
defined); McNemar compares two methods on the same test faces through the faces on which
exactly one of them is right, and Holm's step-down method corrects for comparing the best
method against several others.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binomtest

BOOTSTRAP_REPLICATES = 1000
CONFIDENCE = 0.95


def _replicate_indices(y_true: np.ndarray, replicates: int, seed: int) -> np.ndarray:
    """(replicates, N) indices, each row a class-stratified resample with replacement."""
    rng = np.random.default_rng(seed)
    columns = []
    for label in np.unique(y_true):
        members = np.flatnonzero(y_true == label)
        columns.append(members[rng.integers(0, len(members), (replicates, len(members)))])
    return np.concatenate(columns, axis=1)


def replicate_confusions(
    y_true: np.ndarray, y_pred: np.ndarray, classes: np.ndarray, indices: np.ndarray
) -> np.ndarray:
    """(replicates, K, K) confusion matrices of the resamples in ``indices``."""
    k = len(classes)
    true_pos = np.searchsorted(classes, y_true)
    pred_pos = np.searchsorted(classes, y_pred)
    codes = true_pos[indices] * k + pred_pos[indices]
    codes += (np.arange(len(indices)) * k * k)[:, None]
    counts = np.bincount(codes.ravel(), minlength=len(indices) * k * k)
    return counts.reshape(len(indices), k, k)


def metrics_of_confusions(confusions: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy, macro-F1 and balanced accuracy of each confusion matrix in a stack."""
    true_positive = np.diagonal(confusions, axis1=1, axis2=2).astype(float)
    support = confusions.sum(axis=2).astype(float)
    predicted = confusions.sum(axis=1).astype(float)
    present = support > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, true_positive / predicted, 0.0)
        recall = np.where(present, true_positive / support, 0.0)
        f1 = np.where(precision + recall > 0,
                      2 * precision * recall / (precision + recall), 0.0)
    n_present = present.sum(axis=1)
    return {
        "accuracy": true_positive.sum(axis=1) / support.sum(axis=1),
        "macro_f1": (f1 * present).sum(axis=1) / n_present,
        "balanced_accuracy": (recall * present).sum(axis=1) / n_present,
    }


def bootstrap_ci(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    classes: np.ndarray,
    replicates: int = BOOTSTRAP_REPLICATES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap interval of accuracy, macro-F1 and balanced accuracy."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    classes = np.asarray(classes)
    indices = _replicate_indices(y_true, replicates, seed)
    values = metrics_of_confusions(replicate_confusions(y_true, y_pred, classes, indices))
    tail = (1 - confidence) / 2 * 100
    return {
        name: (float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail)))
        for name, v in values.items()
    }


def mcnemar(y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray) -> dict[str, float]:
    """Exact (binomial) McNemar test of two methods' predictions on the same faces."""
    y_true, pred_a, pred_b = (np.asarray(a) for a in (y_true, pred_a, pred_b))
    if not (len(y_true) == len(pred_a) == len(pred_b)):
        raise ValueError("McNemar needs predictions of both methods on the same test faces")
    right_a, right_b = pred_a == y_true, pred_b == y_true
    only_a = int(np.sum(right_a & ~right_b))
    only_b = int(np.sum(~right_a & right_b))
    p_value = 1.0 if only_a + only_b == 0 else binomtest(only_a, only_a + only_b, 0.5).pvalue
    return {"only_a": only_a, "only_b": only_b, "p_value": float(p_value)}


def holm(p_values: list[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the input order."""
    m = len(p_values)
    order = np.argsort(p_values)
    adjusted = np.empty(m)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted.tolist()
