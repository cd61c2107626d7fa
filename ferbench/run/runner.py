"""The top of a run: plan it, execute it, blend its ensembles.

Flow: check names and parameters and build every method (no data read) → take the run
directory's lock → locate every dataset, then load → record the invocation in ``run.json``
→ lay out the work items → run them on the chosen executor (stored cells are skipped) →
blend the ``--ensembles`` cells from the stored records.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ferbench.core.environment import git_commit, hardware, package_versions
from ferbench.results.store import ResultStore
from ferbench.run.config import Progress, RunConfig, RunSummary, print_progress
from ferbench.run.ensembles import run_ensembles
from ferbench.run.executors import executor_for
from ferbench.run.outputs import RunOutputs
from ferbench.run.plan import Data, Settings, load, make_plan, settle


def provenance(settings: Settings, data: Data) -> dict[str, Any]:
    """What ``run.json`` keeps of one invocation: command, budget, versions, hardware and
    every dataset part's size, fingerprint and provenance."""
    return {
        "command": settings.config.command,
        "budget": settings.budget,
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": package_versions(),
        "git_commit": git_commit(),
        "hardware": hardware(),
        "variants": dict(data.variants),
        "data": {
            name: {
                part: {
                    "n": len(faces),
                    "fingerprint": faces.fingerprint,
                    "provenance": dict(faces.provenance),
                }
                for part, faces in splits.parts().items()
            }
            for name, splits in data.splits.items()
        },
    }


def run(config: RunConfig, progress: Progress = print_progress) -> RunSummary:
    """Compute every cell of ``config`` not stored yet in its run directory.

    A failed cell is recorded in the store and counted, never raised; a bad name, parameter
    or missing dataset raises before any work.
    """
    settings = settle(config)
    progress(f"budget: {settings.budget}")
    store = ResultStore(config.run_dir)
    with store.locked():
        data = load(settings, progress)
        store.record_invocation(provenance(settings, data))
        plan = make_plan(settings, data)
        outputs = RunOutputs(store, progress)
        summary = executor_for(config).run(plan, plan.items, outputs)
        summary.merge(run_ensembles(plan, outputs))
    return summary
