"""What a run is asked to compute (:class:`RunConfig`) and what it did (:class:`RunSummary`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ferbench.core.budgets import AUTO
from ferbench.core.dataset import DataContext
from ferbench.eval.protocols import PROTOCOLS

Progress = Callable[[str], None]
"""Where progress lines go: stderr for ``ferbench run``, a list in a Ray worker."""


def print_progress(message: str) -> None:
    """A progress line on stderr, flushed at once so that it shows while the run works."""
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides what a run computes."""

    methods: list[str]
    datasets: list[str]
    run_dir: Path
    data: DataContext
    protocols: tuple[str, ...] = PROTOCOLS
    sources: tuple[str, ...] = ()
    """The datasets trained on (``--train``); the rest of ``datasets`` are only scored on
    (``--test``). Empty: every dataset is trained on and scored on the others."""
    seeds: tuple[int, ...] = (0,)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    folds: int | None = None
    device: str | None = None
    jobs: int = 1
    budget: str = AUTO
    save_models: bool = True
    executor: str = "local"
    ray_address: str | None = None
    plugins: tuple[str, ...] = ()
    ensembles: tuple[tuple[str, ...], ...] = ()
    corruptions: tuple[tuple[str, int], ...] = ()
    train_fractions: tuple[float, ...] = ()
    command: str = ""
    faces: dict[str, str] = field(default_factory=dict)
    """``--faces`` parsed (:func:`ferbench.data.framing.parse_faces`): dataset, or "" for
    every other one, → "aligned" or "as-published"; a dataset not named takes its own
    default (:attr:`ferbench.core.dataset.Dataset.faces`)."""


@dataclass
class RunSummary:
    """Cells computed, skipped (already stored), failed (with each failure's reason) and
    incomplete (a time cap stopped their training: stored, not ranked, recomputed next run)."""

    computed: int = 0
    skipped: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    incomplete: int = 0

    def merge(self, other: RunSummary) -> None:
        """Add ``other``'s counts and failures to these."""
        self.computed += other.computed
        self.skipped += other.skipped
        self.failed += other.failed
        self.failures += other.failures
        self.incomplete += other.incomplete
