"""Assertions several dataset plugin tests share."""

from __future__ import annotations

import numpy as np

from ferbench.data.splits import subject_kfold


def assert_bright(face: np.ndarray) -> None:
    """The face holds only the bright box (its edge pixels may blend with the JPEG's dark)."""
    assert face[5:-5, 5:-5].min() > 200


def assert_subject_independent(subjects: np.ndarray, kfold: int, seed: int = 0) -> None:
    """Every fold of the protocol's subject k-fold keeps each subject on one side."""
    folds = subject_kfold(subjects, kfold, seed)
    assert len(folds) == kfold
    for train, test in folds:
        assert len(test) and not set(subjects[train]) & set(subjects[test])
