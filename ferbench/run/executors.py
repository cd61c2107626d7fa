"""Executors: how a plan's work items are run (this process, forked workers, or Ray).

Each executor implements :class:`Executor`: ``run(plan, items, outputs)`` runs every item's
pending cells through :func:`~ferbench.run.job.run_job` and returns what it computed,
skipped and lost. None of them raises for a failed cell: it is recorded in the store.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Protocol

from ferbench.features import FeatureCache
from ferbench.run.config import RunConfig, RunSummary
from ferbench.run.job import Inputs, JobContext, run_job
from ferbench.run.outputs import RunOutputs
from ferbench.run.plan import Plan, WorkItem
from ferbench.run.ray_executor import RayExecutor


class Executor(Protocol):
    """Runs work items of a plan, writing their results to ``outputs``."""

    def run(self, plan: Plan, items: Sequence[WorkItem], outputs: RunOutputs) -> RunSummary:
        ...


def run_item(item: WorkItem, context: JobContext, inputs: Inputs,
             outputs: RunOutputs) -> RunSummary:
    """Run ``item``'s cells that are not stored yet; report it skipped when all are."""
    summary = RunSummary()
    pending = outputs.pending(item, summary)
    if pending:
        summary.merge(run_job(item, pending, context, inputs, outputs))
    return summary


class SerialExecutor:
    """Every item in this process, one after the other."""

    def run(self, plan: Plan, items: Sequence[WorkItem], outputs: RunOutputs) -> RunSummary:
        inputs = Inputs(FeatureCache(plan.config.data.cache_dir))
        context = JobContext.of(plan)
        summary = RunSummary()
        for item in items:
            summary.merge(run_item(item, context, inputs, outputs))
        return summary


_Worker = tuple[Sequence[WorkItem], JobContext, Inputs, RunOutputs]
_WORKER: _Worker | None = None
"""What a forked worker runs items of; set in the worker process when it starts."""


def _start_worker(state: _Worker) -> None:
    global _WORKER
    _WORKER = state


def _run_in_worker(index: int) -> RunSummary:
    assert _WORKER is not None, "a worker started without its items"
    items, context, inputs, outputs = _WORKER
    return run_item(items[index], context, inputs, outputs)


class ProcessExecutor:
    """Items in ``jobs`` forked worker processes that share the prepared inputs.

    Every input view and feature matrix is prepared here first, so the workers inherit
    them (forked, never pickled) instead of extracting the same features concurrently.
    Each worker writes its own records atomically; this process keeps the run's lock.
    """

    def __init__(self, jobs: int):
        self.jobs = jobs

    def run(self, plan: Plan, items: Sequence[WorkItem], outputs: RunOutputs) -> RunSummary:
        inputs = Inputs(FeatureCache(plan.config.data.cache_dir))
        for item in items:
            setup = plan.settings.methods[item.method]
            job = item.job
            for faces in (job.train, job.val):
                if setup.needs_training_faces:
                    inputs.prepare(faces, setup.input_spec)
            for target in job.targets:
                inputs.prepare(target.faces, setup.input_spec)
        state = (tuple(items), JobContext.of(plan), inputs, outputs)
        summary = RunSummary()
        with ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_start_worker, initargs=(state,)) as pool:
            for result in pool.map(_run_in_worker, range(len(items))):
                summary.merge(result)
        return summary


def executor_for(config: RunConfig) -> Executor:
    """The executor ``--executor`` and ``--jobs`` ask for."""
    if config.executor == "ray":
        return RayExecutor(config.ray_address)
    if config.jobs > 1:
        return ProcessExecutor(config.jobs)
    return SerialExecutor()
