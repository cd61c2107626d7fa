"""Scores of predictions against true labels, over an explicit list of classes.

Metrics never know which method or dataset produced the predictions; they take canonical
label arrays and the classes the cell scores, so that a class absent from one side of a
cross-database cell cannot silently change the macro average.
"""

from __future__ import annotations

from typing import Any

import numpy as np

PROBA_DECIMALS = 5
"""Decimals of stored class scores: enough for calibration and soft-vote ensembles, at a
fraction of the JSON size."""


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Counts[i, j] = samples of ``classes[i]`` predicted as ``classes[j]``."""
    classes = np.asarray(classes)
    position = {int(c): i for i, c in enumerate(classes)}
    true_index = np.array([position[int(c)] for c in y_true], dtype=np.int64)
    missing = [int(c) for c in np.unique(y_pred) if int(c) not in position]
    if missing:
        raise ValueError(f"predictions contain labels {missing} outside the scored {classes}")
    pred_index = np.array([position[int(c)] for c in y_pred], dtype=np.int64)
    counts = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(counts, (true_index, pred_index), 1)
    return counts


def per_class_scores(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall, F1 and support per class; 0 where a ratio is undefined."""
    true_positive = np.diag(confusion).astype(float)
    support = confusion.sum(axis=1).astype(float)
    predicted = confusion.sum(axis=0).astype(float)
    precision = np.divide(true_positive, predicted, out=np.zeros_like(support), where=predicted > 0)
    recall = np.divide(true_positive, support, out=np.zeros_like(support), where=support > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(support), where=total > 0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def score(y_true: np.ndarray, y_pred: np.ndarray, classes: np.ndarray) -> dict[str, Any]:
    """Accuracy, macro-F1, balanced accuracy, per-class scores and the confusion matrix."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    if len(y_true) == 0:
        raise ValueError("cannot score an empty test set")
    confusion = confusion_matrix(y_true, y_pred, classes)
    per_class = per_class_scores(confusion)
    present = per_class["support"] > 0
    return {
        "accuracy": float(np.trace(confusion) / confusion.sum()),
        "macro_f1": float(per_class["f1"][present].mean()),
        "balanced_accuracy": float(per_class["recall"][present].mean()),
        "per_class": {
            key: [float(v) for v in values] for key, values in per_class.items()
        },
        "confusion": confusion.tolist(),
    }
