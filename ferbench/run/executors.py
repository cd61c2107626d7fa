"""Running a grid's jobs as Ray tasks, on one machine or a cluster.

The driver (the ``ferbench run`` process) keeps every responsibility that touches the run
directory: it decides which cells are pending, prepares each (dataset part, input view) once
and puts it in Ray's object store, and writes every record, model file and picture the
workers send back. Workers fit and score one job each and need no shared filesystem, only
ferbench and the plugins installed. A worker that dies fails its job's cells with the reason;
the next run retries them. Ctrl-C cancels the tasks still running and keeps what finished.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ferbench.core.method import InputSpec
from ferbench.core.registry import METHODS
from ferbench.eval.protocols import Job, Target

if TYPE_CHECKING:
    from ferbench.run.runner import Runner, RunSummary

INSTALL_HINT = ("--executor ray needs Ray: pip install 'ferbench[ray]' "
                "(or pip install 'ray>=2.9')")
ADDRESS_ENV = "RAY_ADDRESS"


@dataclass
class JobOutcome:
    """What a worker sends back: finished records, files relative to the run directory,
    progress lines and counts."""

    records: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    computed: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ValueError(INSTALL_HINT) from None
    return ray


def require_ray() -> None:
    """Fail before any work, with the install command, when Ray is not installed."""
    _ray()


def _job_shape(job: Job) -> dict[str, Any]:
    """A job without its faces: they go through the object store, by fingerprint."""
    return {"train_dataset": job.train_dataset, "fold": job.fold,
            "train_fraction": job.train_fraction,
            "train": job.train.fingerprint,
            "val": job.val.fingerprint if job.val is not None else None,
            "targets": [(t.protocol, t.dataset, t.faces.fingerprint) for t in job.targets]}


def _rebuild(shape: dict[str, Any], faces: dict[str, Any]) -> Job:
    targets = [Target(protocol, dataset, faces[print_]) for protocol, dataset, print_
               in shape["targets"]]
    return Job(shape["train_dataset"], shape["fold"], faces[shape["train"]],
               faces[shape["val"]] if shape["val"] else None, targets, shape["train_fraction"])


def run_job_remotely(runner: Runner, name: str, seed: int, prefix: str, shape: dict[str, Any],
                     pending: list[str], face_refs: dict[str, Any],
                     view_refs: dict[tuple[str, InputSpec], Any]) -> JobOutcome:
    """The body of one Ray task: fit and score in this worker, collect what it wrote."""
    from ferbench.core.registry import load_plugins
    from ferbench.run.runner import RunSummary

    ray = _ray()
    load_plugins(runner.config.plugins)
    outcome = JobOutcome()
    job = _rebuild(shape, dict(zip(face_refs, ray.get(list(face_refs.values())))))
    runner._prepared = dict(zip(view_refs, ray.get(list(view_refs.values()))))
    runner.cache = None
    runner.put = outcome.records.append
    runner.progress = outcome.messages.append
    summary = RunSummary()
    with tempfile.TemporaryDirectory(prefix="ferbench-ray-") as root:
        runner.output_root = Path(root)
        cells = runner.cells(name, job, seed)[2]
        runner.execute(name, job, seed, prefix, {c: cells[c] for c in pending}, summary)
        for path in Path(root).rglob("*"):
            if path.is_file():
                outcome.files[path.relative_to(root).as_posix()] = path.read_bytes()
    outcome.computed, outcome.failed = summary.computed, summary.failed
    outcome.failures = summary.failures
    return outcome


def _connect(address: str | None) -> bool:
    """Join ``address`` (or ``$RAY_ADDRESS``), or start a local Ray; True if we started it."""
    ray = _ray()
    if ray.is_initialized():
        return False
    address = address or os.environ.get(ADDRESS_ENV)
    ray.init(address=address, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    return True


def run_on_ray(runner: Runner, summary: RunSummary) -> None:
    """Run ``runner.work`` as Ray tasks; the driver writes every result."""
    ray = _ray()
    started = _connect(runner.config.ray_address)
    remote = ray.remote(max_retries=0)(run_job_remotely)
    try:
        shell = ray.put(runner)
        face_refs: dict[str, Any] = {}
        view_refs: dict[tuple[str, InputSpec], Any] = {}
        tasks: dict[Any, tuple[str, Job, int, str, dict[str, Target]]] = {}
        for number, (name, job, seed) in enumerate(runner.work):
            prefix = f"[{number + 1}/{len(runner.work)}] {name} on {job.label} (seed {seed})"
            pending = runner.pending(name, job, seed, prefix, summary)
            if not pending:
                continue
            parts = [job.train, job.val, *(t.faces for t in job.targets)]
            faces = {f.fingerprint: f for f in parts if f is not None}
            for print_, part in faces.items():
                if print_ not in face_refs:
                    face_refs[print_] = ray.put(part)
            views, family = _views(runner, name, seed, faces.values(), view_refs)
            options = {"num_cpus": 1}
            if runner.config.device == "cuda" and family == "deep":
                options["num_gpus"] = 1
            ref = remote.options(**options).remote(
                shell, name, seed, prefix, _job_shape(job), list(pending),
                {p: face_refs[p] for p in faces}, views)
            tasks[ref] = (name, job, seed, prefix, pending)
        _collect(runner, tasks, summary)
    finally:
        if started:
            ray.shutdown()


def _views(runner: Runner, name: str, seed: int, faces: Any,
           refs: dict[tuple[str, InputSpec], Any]
           ) -> tuple[dict[tuple[str, InputSpec], Any], str]:
    """Object refs of the method's prepared inputs, each put once per (faces, view), and the
    method's family (deep methods ask for a GPU on ``--device cuda``)."""
    ray = _ray()
    try:
        method = METHODS.create(name, **runner._method_params(name, seed))
    except Exception:
        return {}, ""  # the worker records this method's failure in its cells
    out = {}
    for part in faces:
        key = (part.fingerprint, method.input_spec)
        if key not in refs:
            refs[key] = ray.put(runner._prepare(part, method.input_spec))
            runner._prepared.pop(key, None)
        out[key] = refs[key]
    return out, method.family


def _collect(runner: Runner, tasks: dict[Any, tuple], summary: RunSummary) -> None:
    """Write each job's outcome as it finishes; a dead worker fails its cells."""
    ray = _ray()
    waiting = list(tasks)
    try:
        while waiting:
            done, waiting = ray.wait(waiting, num_returns=1)
            name, job, seed, prefix, pending = tasks[done[0]]
            try:
                outcome = ray.get(done[0])
            except (ray.exceptions.WorkerCrashedError, ray.exceptions.RayTaskError,
                    ray.exceptions.RayActorError, ray.exceptions.NodeDiedError) as error:
                reason = RuntimeError(f"the Ray worker running this job died or raised: "
                                      f"{str(error).splitlines()[0]}")
                base = {"method": name, "train": job.train_dataset, "fold": job.fold,
                        "seed": seed, "n_train": len(job.train)}
                runner._fail(pending, base, reason, f"{prefix}: worker lost", summary)
                continue
            _write(runner, outcome)
            summary.computed += outcome.computed
            summary.failed += outcome.failed
            summary.failures += outcome.failures
    except KeyboardInterrupt:
        for ref in waiting:
            ray.cancel(ref, force=True)
        raise


def _write(runner: Runner, outcome: JobOutcome) -> None:
    """Files first, then records: a stored record never points at a missing model."""
    for relative, content in outcome.files.items():
        path = runner.config.run_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    for record in outcome.records:
        runner.store.put(record)
    for message in outcome.messages:
        runner.progress(message)
