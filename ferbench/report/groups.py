"""Stored cells grouped the way the report reads them: one :class:`Group` per (method,
protocol, train, test, condition), its folds pooled per seed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ferbench.core.labels import EMOTIONS
from ferbench.eval import calibration, metrics, stats

Record = dict[str, Any]
"""One stored cell, as the results store returns it (plus the ``run_dir`` it came from)."""
GroupKey = tuple[str, str, str, str, str]


@dataclass
class Group:
    """All cells of one (method, protocol, train, test), across folds and seeds."""

    method: str
    protocol: str
    train: str
    test: str
    condition: str = ""
    """What was done to the test faces ("blur 2" under ``--corruptions``; "" for none)."""
    records: list[Record] = field(default_factory=list)

    @property
    def ok(self) -> list[Record]:
        return [r for r in self.records if r["status"] == "ok"]

    @property
    def failed(self) -> list[Record]:
        return [r for r in self.records if r["status"] == "failed"]

    @property
    def incomplete(self) -> list[Record]:
        """Cells whose training a time cap stopped before its schedule ended: stored, listed,
        never ranked, and recomputed by the next run."""
        return [r for r in self.records if r["status"] == "incomplete"]

    def seeds(self) -> list[int]:
        return sorted({r["seed"] for r in self.ok})

    def pooled(self, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """True labels, predictions and scored classes of one seed, folds concatenated."""
        cells = sorted((r for r in self.ok if r["seed"] == seed), key=lambda r: r["fold"] or 0)
        y_true = np.concatenate([r["y_true"] for r in cells]).astype(np.int64)
        y_pred = np.concatenate([r["y_pred"] for r in cells]).astype(np.int64)
        names = sorted({c for r in cells for c in r["classes"]}, key=EMOTIONS.index)
        return y_true, y_pred, np.array([EMOTIONS.index(c) for c in names])

    def first_pooled(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`pooled` of the first seed, the one every single-seed table shows."""
        return self.pooled(self.seeds()[0])

    def confidence(self, seed: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Top score and whether it was right, per test face of one seed (folds pooled);
        None when a cell stores no class scores (results of an older ferbench)."""
        cells = [r for r in self.ok if r["seed"] == seed]
        if not cells or any("proba" not in r for r in cells):
            return None
        top = [np.asarray(r["proba"], dtype=float).max(axis=1) for r in cells]
        correct = [np.asarray(r["y_pred"]) == np.asarray(r["y_true"]) for r in cells]
        return np.concatenate(top), np.concatenate(correct)

    def reliability(self) -> calibration.Reliability | None:
        """Reliability bins of the first seed's pooled test faces."""
        pooled = self.confidence(self.seeds()[0]) if self.ok else None
        if pooled is None:
            return None
        return calibration.reliability(*pooled)

    @cached_property
    def scores(self) -> list[dict[str, Any]]:
        """Metrics of each seed, from its pooled folds."""
        return [metrics.score(*self.pooled(seed)) for seed in self.seeds()]

    @cached_property
    def ci(self) -> dict[str, tuple[float, float]]:
        """95 % stratified bootstrap interval of the first seed's pooled predictions."""
        return stats.bootstrap_ci(*self.first_pooled()) if self.ok else {}

    def summary(self, metric: str) -> tuple[float, float] | None:
        """Mean and standard deviation across seeds; None when every cell failed."""
        values = [s[metric] for s in self.scores]
        return (float(np.mean(values)), float(np.std(values))) if values else None

    def method_info(self) -> dict[str, Any]:
        return self.ok[0].get("method_info", {}) if self.ok else {}

    def budget(self) -> str:
        """The budget(s) its cells ran under; "—" for methods that train the same under all."""
        return " + ".join(sorted({r.get("budget") or "—" for r in self.ok})) or "—"

    def capped_note(self) -> str:
        """" ⏱ capped k/n": how many of its fits a time cap cut before their schedule ended."""
        capped = sum(r.get("method_info", {}).get("stopped_by") == "time_budget" for r in self.ok)
        return f" ⏱ capped {capped}/{len(self.ok)}" if capped else ""

    def mixed_note(self) -> str:
        """" ⚠ k parameter sets": its cells were computed under different method parameters
        or revisions (an interrupted rerun after an upgrade or a ``--set``, or several run
        directories)."""
        keys = {r.get("params_key") for r in self.ok}
        return f" ⚠ {len(keys)} parameter sets" if len(keys) > 1 else ""


def condition(record: Record) -> str:
    """"blur 2" for a cell scored on corrupted faces, "fraction 0.25" for one trained on a
    share of the training set, "" otherwise."""
    if record.get("corruption"):
        return f"{record['corruption']} {record['severity']}"
    if record.get("train_fraction") is not None:
        return f"fraction {record['train_fraction']:g}"
    return ""


def group_records(records: Iterable[Record]) -> dict[GroupKey, Group]:
    """The records grouped by (method, protocol, train, test, condition), in first-seen order."""
    groups: dict[GroupKey, Group] = {}
    for record in records:
        key = (record["method"], record["protocol"], record["train"], record["test"],
               condition(record))
        groups.setdefault(key, Group(*key)).records.append(record)
    return groups
