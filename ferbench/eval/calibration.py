"""How far a method's top score is from how often it is right.

Expected calibration error (ECE, Guo et al. 2017): the test faces are binned by the score of
the predicted class (equal-width bins over [0, 1]); ECE is the face-weighted mean gap between
each bin's mean score and its accuracy. 0 means "a score of 0.8 is right 80 % of the time".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINS = 15


@dataclass(frozen=True)
class Reliability:
    """Per-bin mean confidence, accuracy and face count (empty bins dropped)."""

    confidence: np.ndarray
    accuracy: np.ndarray
    count: np.ndarray

    @property
    def ece(self) -> float:
        return float(np.sum(self.count * np.abs(self.accuracy - self.confidence))
                     / np.sum(self.count))


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = BINS) -> Reliability:
    """Bin faces by the score of their predicted class (``confidence``); ``correct`` says
    whether each prediction was right."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=bool)
    if confidence.ndim != 1 or confidence.shape != correct.shape or not len(confidence):
        raise ValueError(f"reliability needs N top scores and N outcomes, got "
                         f"{confidence.shape} and {correct.shape}")
    index = np.clip((confidence * bins).astype(int), 0, bins - 1)
    count = np.bincount(index, minlength=bins)
    used = count > 0
    mean_score = np.bincount(index, weights=confidence, minlength=bins)[used] / count[used]
    accuracy = np.bincount(index, weights=correct, minlength=bins)[used] / count[used]
    return Reliability(mean_score, accuracy, count[used])
