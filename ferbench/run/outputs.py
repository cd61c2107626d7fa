"""Where a job's results go, and the run directory as such a place.

A job hands records, files and progress lines to an :class:`Outputs`; the run's driver
writes them into the run directory (:class:`RunOutputs`), a Ray worker collects them to
send back. Failures are recorded the same way everywhere (:func:`record_failure`).
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from ferbench.eval.protocols import Target
from ferbench.results.store import ResultStore
from ferbench.run.config import Progress, RunSummary
from ferbench.run.plan import WorkItem


class Outputs(Protocol):
    """Where a job's results go: records, files under :attr:`root`, progress lines."""

    @property
    def root(self) -> Path: ...

    def put(self, record: dict[str, Any]) -> None: ...

    def progress(self, message: str) -> None: ...


@dataclass(frozen=True)
class RunOutputs:
    """The run directory: records into its store, files under it, progress to ``say``."""

    store: ResultStore
    say: Progress

    @property
    def root(self) -> Path:
        return self.store.run_dir

    def put(self, record: dict[str, Any]) -> None:
        self.store.put(record)

    def progress(self, message: str) -> None:
        self.say(message)

    def pending(self, item: WorkItem, summary: RunSummary) -> dict[str, Target]:
        """The cells of ``item`` not stored yet (a superseded finished one is restored);
        counts and reports the rest as skipped."""
        pending = {cid: t for cid, t in item.cells.items()
                   if not (self.store.is_done(cid) or self.store.restore(cid))}
        summary.skipped += len(item.cells) - len(pending)
        if not pending:
            self.progress(f"{item.label}: {len(item.cells)} cell(s) already stored, skipped")
        return pending


def now() -> str:
    """The time a record is finished, as it is stored."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def target_fields(target: Target) -> dict[str, Any]:
    """What a record says about the test set it was scored on."""
    fields: dict[str, Any] = {"protocol": target.protocol, "test": target.dataset}
    if target.corruption is not None:
        fields.update(corruption=target.corruption[0], severity=target.corruption[1])
    return fields


def record_failure(outputs: Outputs, cells: Mapping[str, Target], base: dict[str, Any],
                   error: BaseException, message: str, summary: RunSummary) -> None:
    """Store ``cells`` as failed with ``error`` and the traceback being handled."""
    text = f"{type(error).__name__}: {error}"
    for cid, target in cells.items():
        outputs.put({
            **base, **target_fields(target), "cell": cid, "status": "failed",
            "error": text, "traceback": traceback.format_exc(), "finished": now(),
        })
    summary.failed += len(cells)
    summary.failures.append(f"{message}: {text}")
    outputs.progress(f"{message}: {text}")
