"""Stored cells built in memory, shaped like the records a run writes (tests/run shows them
end to end), so that the report's pages can be checked in milliseconds."""

from __future__ import annotations

from typing import Any

import numpy as np

from ferbench.core.labels import EMOTIONS
from ferbench.eval import metrics

ANGER, HAPPINESS = EMOTIONS.index("anger"), EMOTIONS.index("happiness")


def answers(right: int, n: int = 100) -> tuple[list[int], list[int]]:
    """``n`` faces alternating anger / happiness; the first ``right`` predicted right, the
    others as the other class."""
    y_true = np.array([ANGER, HAPPINESS] * (n // 2))
    y_pred = np.where(np.arange(n) < right, y_true, ANGER + HAPPINESS - y_true)
    return y_true.tolist(), y_pred.tolist()


def cell(method: str, y_true: list[int], y_pred: list[int], *, protocol: str = "within",
         train: str = "d", test: str | None = None, seed: int = 0, fold: int | None = None,
         proba: bool = False, **extra: Any) -> dict[str, Any]:
    """A scored cell of ``method``; ``proba`` stores class scores (for calibration)."""
    classes = sorted({EMOTIONS[c] for c in y_true}, key=EMOTIONS.index)
    codes = np.array([EMOTIONS.index(c) for c in classes])
    record = {"method": method, "protocol": protocol, "train": train, "test": test or train,
              "seed": seed, "fold": fold, "status": "ok", "classes": classes,
              "y_true": y_true, "y_pred": y_pred, "n_train": 50, "n_test": len(y_true),
              "fit_seconds": 1.0, "predict_seconds": 0.1, "params_key": "p0",
              "metrics": metrics.score(np.array(y_true), np.array(y_pred), codes),
              "cell": f"{method}__{protocol}__{train}__{test}__s{seed}__f{fold}__"
                      f"{extra.get('corruption')}{extra.get('severity')}"
                      f"{extra.get('train_fraction')}",
              "run_dir": "runs/r"}
    if proba:
        top = np.where(np.array(y_true) == np.array(y_pred), 0.9, 0.6)
        first = np.where(np.array(y_pred) == codes[0], top, 1 - top)
        record["proba"] = np.stack([first, 1 - first], axis=1).tolist()
    return {**record, **extra}


def failed(method: str, *, protocol: str = "within", train: str = "d", test: str | None = None,
           seed: int = 0, fold: int | None = None, error: str = "RuntimeError: boom"
           ) -> dict[str, Any]:
    """A cell whose fit raised ``error``."""
    return {"method": method, "protocol": protocol, "train": train, "test": test or train,
            "seed": seed, "fold": fold, "status": "failed", "error": error,
            "cell": f"{method}__{protocol}__{train}__{test}__s{seed}__f{fold}__failed",
            "run_dir": "runs/r"}
