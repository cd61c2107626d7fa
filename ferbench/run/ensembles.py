"""The run's ``--ensembles`` cells: each member's stored cells of a job soft-voted into one.

They run after every work item, from the stored records alone; a cell a member lacks (or
failed) fails on its own and the rest are still blended.
"""

from __future__ import annotations

from ferbench.eval.ensembles import EnsembleError, blend, ensemble_name
from ferbench.eval.protocols import Job, Target
from ferbench.run.config import RunSummary
from ferbench.run.keys import cell_id, digest
from ferbench.run.outputs import RunOutputs, record_failure, target_fields
from ferbench.run.plan import Plan, WorkItem


def run_ensembles(plan: Plan, outputs: RunOutputs) -> RunSummary:
    """Blend every ``--ensembles`` entry on every job and seed of ``plan``."""
    summary = RunSummary()
    for members in plan.config.ensembles:
        _run_ensemble(plan, members, outputs, summary)
    return summary


def _run_ensemble(plan: Plan, members: tuple[str, ...], outputs: RunOutputs,
                  summary: RunSummary) -> None:
    name = ensemble_name(members)
    items: dict[tuple[int, int], dict[str, WorkItem]] = {}
    for item in plan.items:
        items.setdefault((id(item.job), item.seed), {})[item.method] = item
    for by_method in items.values():
        member_cells = {m: list(by_method[m].cells) for m in members}
        first = by_method[members[0]]
        for index, target in enumerate(first.cells.values()):
            ids = {m: cells[index] for m, cells in member_cells.items()}
            _blend_cell(name, members, ids, first.job, first.seed, target, outputs, summary)


def _blend_cell(name: str, members: tuple[str, ...], ids: dict[str, str], job: Job, seed: int,
                target: Target, outputs: RunOutputs, summary: RunSummary) -> None:
    store = outputs.store
    cid = cell_id(name, digest(ids), target, seed)
    if store.is_done(cid) or store.restore(cid):
        summary.skipped += 1
        return
    base = {"method": name, "ensemble": list(members), "members": ids,
            "params": {}, "train": job.train_dataset, "fold": job.fold,
            "seed": seed, "job": digest(ids), "n_train": len(job.train)}
    if job.train_fraction is not None:
        base["train_fraction"] = job.train_fraction
    label = f"{name} on {job.label} → {target.label} (seed {seed})"
    try:
        blended = blend({m: store.get(c) for m, c in ids.items()})
    except EnsembleError as error:
        record_failure(outputs, {cid: target}, base, error, f"{label}: not blended", summary)
        return
    outputs.put({**base, **blended, **target_fields(target), "cell": cid})
    summary.computed += 1
    outputs.progress(f"{label}: soft vote, accuracy {blended['metrics']['accuracy']:.3f}")
