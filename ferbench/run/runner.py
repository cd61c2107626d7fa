"""Plans a run, skips what is finished, runs the rest, and isolates failures.

Flow: resolve names → locate every dataset (fail fast) → load → plan jobs (protocols) →
for each method × job × seed: skip if every cell is stored, else prepare inputs (cached),
fit once, score each target, store one record per cell.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import multiprocessing
import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ferbench import features
from ferbench.core.budgets import AUTO, resolve_budget
from ferbench.core.dataset import DataContext, Splits
from ferbench.core.environment import git_commit, hardware, package_versions
from ferbench.core.errors import UnknownNameError
from ferbench.core.faceset import FaceSet
from ferbench.core.labels import EMOTIONS
from ferbench.core.method import InputSpec, Method
from ferbench.core.registry import DATASETS, METHODS, load_plugins
from ferbench.eval import metrics
from ferbench.eval.corruptions import corrupt
from ferbench.eval.ensembles import EnsembleError, blend, ensemble_name
from ferbench.eval.metrics import PROBA_DECIMALS
from ferbench.eval.protocols import (
    PROTOCOLS,
    ROBUST,
    Job,
    Target,
    learning_curve_jobs,
    plan_jobs,
)
from ferbench.predict.explain import can_gradcam, gallery, save_image
from ferbench.predict.saved import can_save, save_model
from ferbench.results.store import ResultStore

Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class RunConfig:
    """Everything that decides what a run computes."""

    methods: list[str]
    datasets: list[str]
    run_dir: Path
    data: DataContext
    protocols: tuple[str, ...] = PROTOCOLS
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


@dataclass
class RunSummary:
    computed: int = 0
    skipped: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)

    def merge(self, other: RunSummary) -> None:
        self.computed += other.computed
        self.skipped += other.skipped
        self.failed += other.failed
        self.failures += other.failures


def default_methods() -> list[str]:
    """Every registered method that is installed and meant for the default run."""
    load_plugins()
    return [e.name for e in METHODS.entries() if e.in_default_run and e.available]


def split_params(params: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Check every ``--set NAME.key`` names a registered method or dataset."""
    for name in params:
        if name not in METHODS and name not in DATASETS:
            raise UnknownNameError(
                f"--set names {name!r}, which is neither a method nor a dataset; "
                + METHODS.unknown_message(name)
            )
    return params


def _accepts(factory: Callable[..., Any], parameter: str) -> bool:
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return False
    return parameter in signature.parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()
    )


def _with_defaults(factory: Callable[..., Any], params: dict[str, Any]) -> dict[str, Any]:
    """``params`` completed with the factory's own defaults: the parameters a cell was
    computed under, so that a changed default computes it afresh."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return params
    defaults = {name: p.default for name, p in signature.parameters.items()
                if p.default is not inspect.Parameter.empty}
    return {**defaults, **params}


def method_identity(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """What a cell's results depend on in the method: its parameters, defaults included, and
    its revision once raised above 1 (so results stored before revisions existed keep their
    keys)."""
    entry = METHODS.get(name)
    resolved = _with_defaults(entry.factory, params)
    return resolved if entry.revision == 1 else {**resolved, "method revision": entry.revision}


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def cell_id(method: str, job_key: str, target: Target, seed: int) -> str:
    """A readable, unique file name for one cell."""
    parts = [job_key, target.protocol, target.dataset, target.faces.fingerprint]
    test = target.dataset
    if target.corruption is not None:
        parts.append(target.corruption)
        test += "__{}{}".format(*target.corruption)
    return f"{method}__{target.protocol}__{test}__s{seed}__{_digest(*parts)}"


def restrict_scores(proba: np.ndarray, train_classes: np.ndarray, classes: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Predictions and row-normalised scores over ``classes``, the trained classes that the
    test set also has (a cross-database cell never predicts a class its test set lacks)."""
    scores = proba[:, np.searchsorted(train_classes, classes)]
    totals = scores.sum(axis=1, keepdims=True)
    scores = np.divide(scores, totals, out=np.full_like(scores, 1 / len(classes)),
                       where=totals > 0)
    return classes[np.argmax(scores, axis=1)], scores


class Runner:
    """Runs one :class:`RunConfig`, writing records into its run directory."""

    def __init__(self, config: RunConfig, progress: Progress = _stderr):
        self.config = config
        self.progress = progress
        self.store = ResultStore(config.run_dir)
        self.cache = features.FeatureCache(config.data.cache_dir)
        self._prepared: dict[tuple[str, InputSpec], FaceSet] = {}
        self.variants: dict[str, str] = {}
        self.work: list[tuple[str, Job, int]] = []
        self.budget: str | None = None
        self.embedded: dict[str, bool] = {}
        self.output_root = config.run_dir
        """Where models and explanation pictures are written (a worker's own folder on Ray)."""
        self.put: Callable[[dict[str, Any]], None] = self.store.put
        """Where finished records go: the store, or a worker's list that the driver stores."""

    def __getstate__(self) -> dict[str, Any]:
        """What a Ray worker needs: not the prepared inputs and the work list, which travel
        through the object store one item at a time, nor the driver's outputs."""
        return {**self.__dict__, "_prepared": {}, "work": [], "progress": None, "put": None}

    def dataset_plugins(self) -> dict[str, Any]:
        return {
            name: DATASETS.create(name, **self.config.params.get(name, {}))
            for name in self.config.datasets
        }

    def check_methods(self) -> None:
        """Build every method once with its parameters, so that a bad one stops the run
        before any data is loaded (the error lists the method's parameters)."""
        for name in self.config.methods:
            METHODS.create(name, **self._method_params(name, self.config.seeds[0]))

    def load_datasets(self, plugins: dict[str, Any]) -> dict[str, Splits]:
        """Locate every dataset first (so a missing one fails before any work), then load."""
        self.variants = {name: p.locate(self.config.data) for name, p in plugins.items()}
        loaded = {}
        for name, plugin in plugins.items():
            started = time.perf_counter()
            loaded[name] = plugin.load(self.config.data)
            sizes = ", ".join(f"{k} {len(v)}" for k, v in loaded[name].parts().items())
            self.progress(
                f"loaded {name} ({self.variants[name]}): {sizes} "
                f"[{time.perf_counter() - started:.1f}s]"
            )
        return loaded

    def run(self) -> RunSummary:
        for name in self.config.methods:
            METHODS.require_available(name)
        for name in self.config.datasets:
            DATASETS.require_available(name)
        split_params(self.config.params)
        plugins = self.dataset_plugins()
        self.embedded = {name: bool(p.embedded) for name, p in plugins.items()}
        self.budget = resolve_budget(self.config.budget, (p.embedded for p in plugins.values()))
        self.check_methods()
        self.progress(f"budget: {self.budget}")
        summary = RunSummary()
        with self.store.locked():
            splits = self.load_datasets(plugins)
            self.store.record_invocation(self._run_info(splits))
            self.work = [
                (method, job, seed)
                for seed in self.config.seeds
                for job in self._jobs(splits, seed)
                for method in self.config.methods
            ]
            if self.config.executor == "ray":
                from ferbench.run.executors import run_on_ray

                run_on_ray(self, summary)
            elif self.config.jobs > 1:
                self._run_parallel(summary)
            else:
                for number in range(len(self.work)):
                    summary.merge(self._run_item(number))
            for members in self.config.ensembles:
                self._run_ensemble(members, summary)
        return summary

    def _jobs(self, splits: dict[str, Splits], seed: int) -> list[Job]:
        jobs = plan_jobs(splits, self.config.protocols, seed, self.config.folds)
        return jobs + learning_curve_jobs(jobs, list(self.config.train_fractions), seed)

    def _run_ensemble(self, members: tuple[str, ...], summary: RunSummary) -> None:
        """Blend the members' stored cells of this run; a cell a member lacks fails alone."""
        name = ensemble_name(members)
        jobs = {(id(job), seed): (job, seed) for _, job, seed in self.work}
        for job, seed in jobs.values():
            member_cells = {m: list(self.cells(m, job, seed)[2]) for m in members}
            for index, target in enumerate(self.targets(job)):
                ids = {m: cells[index] for m, cells in member_cells.items()}
                cid = cell_id(name, _digest(ids), target, seed)
                if self.store.is_done(cid) or self.store.restore(cid):
                    summary.skipped += 1
                    continue
                base = {"method": name, "ensemble": list(members), "members": ids,
                        "params": {}, "train": job.train_dataset, "fold": job.fold,
                        "seed": seed, "job": _digest(ids), "n_train": len(job.train)}
                if job.train_fraction is not None:
                    base["train_fraction"] = job.train_fraction
                label = f"{name} on {job.label} → {target.label} (seed {seed})"
                try:
                    blended = blend({m: self.store.get(c) for m, c in ids.items()})
                except EnsembleError as error:
                    self._fail({cid: target}, base, error, f"{label}: not blended", summary)
                    continue
                self.store.put({**base, **blended, **_target_fields(target), "cell": cid})
                summary.computed += 1
                self.progress(f"{label}: soft vote, accuracy "
                              f"{blended['metrics']['accuracy']:.3f}")

    def _run_item(self, number: int) -> RunSummary:
        method, job, seed = self.work[number]
        summary = RunSummary()
        prefix = f"[{number + 1}/{len(self.work)}] {method} on {job.label} (seed {seed})"
        self._run_job(method, job, seed, prefix, summary)
        return summary

    def _run_parallel(self, summary: RunSummary) -> None:
        """Run work items in forked worker processes that share the prepared inputs.

        Every input view and feature matrix is prepared here first, so workers inherit them
        instead of extracting the same features concurrently. Each worker writes its own
        records atomically; the parent keeps the run directory's lock.
        """
        global _ACTIVE
        for method, job, _ in self.work:
            try:
                spec = METHODS.create(method, **self._method_params(method, 0)).input_spec
            except Exception:
                continue  # the worker records this method's failure in its cells
            for faces in (job.train, job.val, *(t.faces for t in job.targets)):
                self._prepare(faces, spec)
        _ACTIVE = self
        context = multiprocessing.get_context("fork")
        try:
            with ProcessPoolExecutor(self.config.jobs, mp_context=context) as pool:
                for result in pool.map(_run_active_item, range(len(self.work))):
                    summary.merge(result)
        finally:
            _ACTIVE = None

    def _run_info(self, splits: dict[str, Splits]) -> dict[str, Any]:
        return {
            "command": self.config.command,
            "budget": self.budget,
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "versions": package_versions(),
            "git_commit": git_commit(),
            "hardware": hardware(),
            "variants": self.variants,
            "data": {
                name: {
                    part: {
                        "n": len(faces),
                        "fingerprint": faces.fingerprint,
                        "provenance": dict(faces.provenance),
                    }
                    for part, faces in data.parts().items()
                }
                for name, data in splits.items()
            },
        }

    def _method_params(self, name: str, seed: int) -> dict[str, Any]:
        entry = METHODS.get(name)
        params = entry.params_for(self.budget, self.config.params.get(name, {}))
        factory = entry.factory
        if _accepts(factory, "seed"):
            params.setdefault("seed", seed)
        if self.config.device and _accepts(factory, "device"):
            params.setdefault("device", self.config.device)
        return params

    def _prepare(self, faces: FaceSet | None, spec: InputSpec) -> FaceSet | None:
        if faces is None:
            return None
        key = (faces.fingerprint, spec)
        if key not in self._prepared:
            self._prepared[key] = features.prepare(faces, spec, self.cache)
        return self._prepared[key]

    def cells(self, name: str, job: Job, seed: int
              ) -> tuple[dict[str, Any], str, dict[str, Target]]:
        """The parameters, job key and cells (id → target) of ``name`` on ``job``."""
        params = self._method_params(name, seed)
        val_print = job.val.fingerprint if job.val is not None else None
        job_key = _digest(name, method_identity(name, params), job.train_dataset, job.fold, seed,
                          job.train.fingerprint, val_print)
        return params, job_key, {cell_id(name, job_key, t, seed): t for t in self.targets(job)}

    def params_key(self, name: str, seed: int) -> str:
        """A digest of every parameter ``name`` is built with, defaults included, bar the
        seed, and of its revision: cells that share it ran the same method and may be pooled."""
        identity = method_identity(name, self._method_params(name, seed))
        return _digest(name, {k: v for k, v in identity.items() if k != "seed"})

    def targets(self, job: Job) -> list[Target]:
        """The job's test sets, then each within test set under every ``--corruptions``."""
        robust = [Target(ROBUST, t.dataset, t.faces, corruption)
                  for t in job.targets if t.protocol == "within"
                  for corruption in self.config.corruptions]
        return [*job.targets, *robust]

    def pending(self, name: str, job: Job, seed: int, prefix: str, summary: RunSummary
                ) -> dict[str, Target]:
        """The cells of ``name`` on ``job`` not stored yet; counts and reports the rest."""
        cells = self.cells(name, job, seed)[2]
        pending = {cid: t for cid, t in cells.items()
                   if not (self.store.is_done(cid) or self.store.restore(cid))}
        summary.skipped += len(cells) - len(pending)
        if not pending:
            self.progress(f"{prefix}: {len(cells)} cell(s) already stored, skipped")
        return pending

    def _run_job(self, name: str, job: Job, seed: int, prefix: str, summary: RunSummary) -> None:
        pending = self.pending(name, job, seed, prefix, summary)
        if pending:
            self.execute(name, job, seed, prefix, pending, summary)

    def execute(self, name: str, job: Job, seed: int, prefix: str, pending: dict[str, Target],
                summary: RunSummary) -> None:
        """Fit ``name`` on ``job`` once and score its ``pending`` cells, handing each record
        to :attr:`put`; a failure is recorded in the cells it costs and never raised."""
        params, job_key, _ = self.cells(name, job, seed)
        base = {
            "method": name, "params": params, "train": job.train_dataset, "fold": job.fold,
            "seed": seed, "job": job_key, "n_train": len(job.train),
            "params_key": self.params_key(name, seed), "revision": METHODS.get(name).revision,
            "budget": self.budget if METHODS.get(name).budgets else None,
        }
        if job.train_fraction is not None:
            base["train_fraction"] = job.train_fraction
        try:
            method: Method = METHODS.create(name, **params)
            train = self._prepare(job.train, method.input_spec)
            val = self._prepare(job.val, method.input_spec)
            started = time.perf_counter()
            method.fit(train, val)
            fit_seconds = time.perf_counter() - started
        except Exception as error:
            self._fail(pending, base, error, f"{prefix}: fit failed", summary)
            return
        base.update(fit_seconds=fit_seconds, method_info=method.describe(),
                    score_kind=method.score_kind, family=method.family)
        if self.config.save_models:
            base.update(self._save(method, name, params, job, job_key, seed, prefix))
        scores: list[str] = []
        corrupted: list[float] = []
        for cid, target in pending.items():
            try:
                record, test = self._score(method, target, base)
            except Exception as error:
                self._fail({cid: target}, base, error, f"{prefix}: scoring failed", summary)
                continue
            if target.protocol == "within" and can_gradcam(method):
                record.update(self._gallery(method, test, record, cid, seed, prefix))
            self.put({**record, "cell": cid})
            summary.computed += 1
            if target.corruption is None:
                scores.append(f"{target.dataset} {record['metrics']['accuracy']:.3f}")
            else:
                corrupted.append(record["metrics"]["accuracy"])
        if corrupted:
            scores.append(f"{np.mean(corrupted):.3f} mean over {len(corrupted)} corruption(s)")
        self.progress(f"{prefix}: fit {fit_seconds:.1f}s, accuracy {', '.join(scores)}")

    def _save(self, method: Method, name: str, params: dict[str, Any], job: Job, job_key: str,
              seed: int, prefix: str) -> dict[str, str]:
        """Keep the fitted model under ``RUN_DIR/models``; a model that cannot be saved is
        reported in its records and never costs the scores."""
        if not can_save(method):
            return {"model_error": f"{name} does not implement save()"}
        fold = f"fold{job.fold}" if job.fold is not None else "split"
        folder = Path("models") / f"{name}__{job.train_dataset}__{fold}__s{seed}__{job_key}"
        training = {"dataset": job.train_dataset, "fold": job.fold, "seed": seed,
                    "n": len(job.train), "fingerprint": job.train.fingerprint,
                    "face_shape": list(job.train.images.shape[1:]), "job": job_key}
        try:
            save_model(method, name, params, self.output_root / folder, training)
        except Exception as error:
            text = f"{type(error).__name__}: {error}"
            self.progress(f"{prefix}: model not saved ({text}); scoring goes on")
            return {"model_error": text}
        return {"model": folder.as_posix()}

    def _gallery(self, method: Method, test: FaceSet, record: dict[str, Any], cid: str,
                 seed: int, prefix: str) -> dict[str, Any]:
        """A picture of correctly and wrongly classified test faces with Grad-CAM heatmaps;
        a failure to draw it is reported and never costs the cell."""
        path = Path("explanations") / f"{cid}.png"
        try:
            image = gallery(method, test, np.asarray(record["y_pred"]), seed=seed)
            if image is None:
                return {}
            save_image(image, self.output_root / path)
        except Exception as error:
            self.progress(f"{prefix}: no explanation gallery ({type(error).__name__}: {error})")
            return {}
        return {"gallery": path.as_posix(),
                "gallery_public": self.embedded.get(record["test"], False)}

    def _score(self, method: Method, target: Target, base: dict[str, Any]
               ) -> tuple[dict[str, Any], FaceSet]:
        train_classes = np.asarray(method.classes_)
        classes = np.intersect1d(train_classes, target.faces.classes)
        scored = np.isin(target.faces.labels, classes)
        if target.corruption is None:
            test = self._prepare(target.faces, method.input_spec).subset(scored)
        else:
            faces = corrupt(target.faces, *target.corruption, seed=self.config.data.seed)
            test = features.prepare(faces, method.input_spec).subset(scored)
        started = time.perf_counter()
        proba = np.asarray(method.predict_proba(test))
        predict_seconds = time.perf_counter() - started
        if proba.shape != (len(test), len(train_classes)) or not np.all(np.isfinite(proba)):
            raise ValueError(
                f"predict_proba returned {proba.shape} scores with "
                f"{int(np.sum(~np.isfinite(proba)))} non-finite values; expected finite "
                f"({len(test)}, {len(train_classes)})"
            )
        y_pred, scored_proba = restrict_scores(proba, train_classes, classes)
        dropped = target.faces.class_counts()
        record = {
            **base,
            "status": "ok",
            **_target_fields(target),
            "n_test": len(test),
            "classes": [EMOTIONS[c] for c in classes],
            "excluded": {
                "train_only": [EMOTIONS[c] for c in np.setdiff1d(train_classes, classes)],
                "test_only": {EMOTIONS[c]: n for c, n in dropped.items() if c not in classes},
            },
            "predict_seconds": predict_seconds,
            "metrics": metrics.score(test.labels, y_pred, classes),
            "y_true": test.labels.tolist(),
            "y_pred": y_pred.tolist(),
            "proba": np.round(scored_proba, PROBA_DECIMALS).tolist(),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        return record, test

    def _fail(
        self,
        cells: dict[str, Target],
        base: dict[str, Any],
        error: BaseException,
        message: str,
        summary: RunSummary,
    ) -> None:
        text = f"{type(error).__name__}: {error}"
        for cid, target in cells.items():
            self.put({
                **base, **_target_fields(target), "cell": cid, "status": "failed",
                "error": text, "traceback": traceback.format_exc(),
                "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            })
        summary.failed += len(cells)
        summary.failures.append(f"{message}: {text}")
        self.progress(f"{message}: {text}")


def _target_fields(target: Target) -> dict[str, Any]:
    """What a record says about the test set it was scored on."""
    fields: dict[str, Any] = {"protocol": target.protocol, "test": target.dataset}
    if target.corruption is not None:
        fields.update(corruption=target.corruption[0], severity=target.corruption[1])
    return fields


_ACTIVE: Runner | None = None
"""The runner whose work items forked workers execute (set only during a parallel run)."""


def _run_active_item(number: int) -> RunSummary:
    assert _ACTIVE is not None, "worker started outside a parallel run"
    return _ACTIVE._run_item(number)
