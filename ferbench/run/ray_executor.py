"""Running a plan's work items as Ray tasks, on one machine or a cluster.

The driver (the ``ferbench run`` process) keeps every responsibility that touches the run
directory: it decides which cells are pending, prepares each (dataset part, input view) once
and puts it in Ray's object store, and writes every record, model file and picture the
workers send back. Workers fit and score one item each and need no shared filesystem, only
ferbench and the plugins installed (and a pretrained model's TOML and ONNX files at the
same paths as here). A worker that dies fails its item's cells with the
reason; the next run retries them. Ctrl-C cancels the tasks still running and keeps what
finished. Ray is optional, so it is imported only when used.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ferbench import features
from ferbench.core.faceset import FaceSet
from ferbench.core.method import InputSpec
from ferbench.core.registry import load_plugins
from ferbench.eval.protocols import Job, Target
from ferbench.pretrained import PRETRAINED, described_by, register_pretrained
from ferbench.run.config import RunSummary
from ferbench.run.job import Inputs, JobContext, run_job
from ferbench.run.outputs import RunOutputs, record_failure
from ferbench.run.plan import Plan, WorkItem

INSTALL_HINT = ("--executor ray needs Ray: pip install 'ferbench[ray]' "
                "(or pip install 'ray>=2.9')")
ADDRESS_ENV = "RAY_ADDRESS"

_TargetShape = tuple[str, str, str, tuple[int, ...], tuple[str, int] | None]


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ValueError(INSTALL_HINT) from None
    return ray


def require_ray() -> None:
    """Fail before any work, with the install command, when Ray is not installed."""
    _ray()


def _shape(target: Target) -> _TargetShape:
    return (target.protocol, target.dataset, target.faces.fingerprint, target.classes,
            target.corruption)


def _target(shape: _TargetShape, faces: Mapping[str, FaceSet]) -> Target:
    protocol, dataset, print_, classes, corruption = shape
    return Target(protocol, dataset, faces[print_], classes, corruption)


@dataclass(frozen=True)
class _Task:
    """A work item without its faces, which travel through the object store by
    fingerprint, each once however many items use it."""

    item: dict[str, Any]
    job: dict[str, Any]
    cells: dict[str, _TargetShape]

    @classmethod
    def of(cls, item: WorkItem) -> _Task:
        job = item.job
        return cls(
            {f.name: getattr(item, f.name) for f in fields(item) if f.name not in ("job", "cells")},
            {"train_dataset": job.train_dataset, "fold": job.fold,
             "train_fraction": job.train_fraction, "train": job.train.fingerprint,
             "val": job.val.fingerprint if job.val is not None else None,
             "targets": [_shape(t) for t in job.targets]},
            {cid: _shape(t) for cid, t in item.cells.items()})

    def rebuild(self, faces: Mapping[str, FaceSet]) -> WorkItem:
        shape = self.job
        job = Job(shape["train_dataset"], shape["fold"], faces[shape["train"]],
                  faces[shape["val"]] if shape["val"] else None,
                  [_target(t, faces) for t in shape["targets"]], shape["train_fraction"])
        cells = {cid: _target(t, faces) for cid, t in self.cells.items()}
        return WorkItem(**self.item, job=job, cells=MappingProxyType(cells))


@dataclass
class _Collected:
    """A worker's outputs: files in a folder of its own, records and lines in lists."""

    root: Path
    records: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def put(self, record: dict[str, Any]) -> None:
        self.records.append(record)

    def progress(self, message: str) -> None:
        self.messages.append(message)


@dataclass
class JobOutcome:
    """What a worker sends back: finished records, files relative to the run directory,
    progress lines and counts."""

    records: list[dict[str, Any]]
    files: dict[str, bytes]
    messages: list[str]
    summary: RunSummary


def run_remotely(context: JobContext, plugins: tuple[str, ...], models: tuple[str, ...],
                 task: _Task, pending: list[str], face_refs: dict[str, Any],
                 view_refs: dict[tuple[str, InputSpec], Any]) -> JobOutcome:
    """The body of one Ray task: fit and score in this worker, collect what it wrote.
    ``models``: the TOML files of the run's pretrained models, read at the same paths here."""
    ray = _ray()
    load_plugins(plugins)
    for model in models:
        register_pretrained(model)
    item = task.rebuild(dict(zip(face_refs, ray.get(list(face_refs.values())))))
    inputs = Inputs(None, dict(zip(view_refs, ray.get(list(view_refs.values())))))
    with tempfile.TemporaryDirectory(prefix="ferbench-ray-") as root:
        outputs = _Collected(Path(root))
        summary = run_job(item, {c: item.cells[c] for c in pending}, context, inputs, outputs)
        files = {path.relative_to(root).as_posix(): path.read_bytes()
                 for path in Path(root).rglob("*") if path.is_file()}
    return JobOutcome(outputs.records, files, outputs.messages, summary)


def _connect(address: str | None) -> bool:
    """Join ``address`` (or ``$RAY_ADDRESS``), or start a local Ray; True if we started it."""
    ray = _ray()
    if ray.is_initialized():
        return False
    address = address or os.environ.get(ADDRESS_ENV)
    ray.init(address=address, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    return True


class RayExecutor:
    """One Ray task per work item with pending cells; the driver writes every result."""

    def __init__(self, address: str | None = None):
        self.address = address

    def run(self, plan: Plan, items: Sequence[WorkItem], outputs: RunOutputs) -> RunSummary:
        ray = _ray()
        started = _connect(self.address)
        remote = ray.remote(max_retries=0)(run_remotely)
        cache = features.FeatureCache(plan.config.data.cache_dir)
        summary = RunSummary()
        try:
            context = ray.put(JobContext.of(plan))
            models = tuple(f for m in plan.config.methods if (f := described_by(m)))
            face_refs: dict[str, Any] = {}
            view_refs: dict[tuple[str, InputSpec], Any] = {}
            tasks: dict[Any, tuple[WorkItem, dict[str, Target]]] = {}
            for item in items:
                pending = outputs.pending(item, summary)
                if not pending:
                    continue
                job = item.job
                parts = [job.train, job.val, *(t.faces for t in job.targets)]
                faces = {f.fingerprint: f for f in parts if f is not None}
                setup = plan.settings.methods[item.method]
                viewed = {t.faces.fingerprint for t in job.targets}
                if setup.needs_training_faces:
                    viewed = set(faces)
                views = {}
                for print_, part in faces.items():
                    if print_ not in face_refs:
                        face_refs[print_] = ray.put(part)
                    if print_ not in viewed:
                        continue
                    key = (print_, setup.input_spec)
                    if key not in view_refs:
                        view_refs[key] = ray.put(features.prepare(part, setup.input_spec, cache))
                    views[key] = view_refs[key]
                options = {"num_cpus": 1}
                if plan.config.device == "cuda" and setup.family in ("deep", PRETRAINED):
                    options["num_gpus"] = 1
                ref = remote.options(**options).remote(
                    context, plan.config.plugins, models, _Task.of(item), list(pending),
                    {p: face_refs[p] for p in faces}, views)
                tasks[ref] = (item, pending)
            _collect(tasks, outputs, summary)
        finally:
            if started:
                ray.shutdown()
        return summary


def _collect(tasks: dict[Any, tuple[WorkItem, dict[str, Target]]], outputs: RunOutputs,
             summary: RunSummary) -> None:
    """Write each item's outcome as it finishes; a dead worker fails its cells."""
    ray = _ray()
    waiting = list(tasks)
    try:
        while waiting:
            done, waiting = ray.wait(waiting, num_returns=1)
            item, pending = tasks[done[0]]
            try:
                outcome = ray.get(done[0])
            except (ray.exceptions.WorkerCrashedError, ray.exceptions.RayTaskError,
                    ray.exceptions.RayActorError, ray.exceptions.NodeDiedError) as error:
                reason = RuntimeError(f"the Ray worker running this job died or raised: "
                                      f"{str(error).splitlines()[0]}")
                job = item.job
                base = {"method": item.method, "train": job.train_dataset, "fold": job.fold,
                        "seed": item.seed, "n_train": len(job.train)}
                record_failure(outputs, pending, base, reason, f"{item.label}: worker lost",
                               summary)
                continue
            _write(outcome, outputs)
            summary.merge(outcome.summary)
    except KeyboardInterrupt:
        for ref in waiting:
            ray.cancel(ref, force=True)
        raise


def _write(outcome: JobOutcome, outputs: RunOutputs) -> None:
    """Files first, then records: a stored record never points at a missing model."""
    for relative, content in outcome.files.items():
        path = outputs.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    for record in outcome.records:
        outputs.put(record)
    for message in outcome.messages:
        outputs.progress(message)

