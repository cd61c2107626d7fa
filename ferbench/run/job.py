"""Executing one work item: fit the method once, score each pending cell, keep the model.

:func:`run_job` is the same on every executor: what it needs comes in as arguments (the
item, its pending cells, the run-wide :class:`JobContext`, the prepared :class:`Inputs`)
and everything it produces goes to an :class:`Outputs` (records, files under its root,
progress lines). A failure is recorded in the cells it costs and never raised.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ferbench import features
from ferbench.core.faceset import FaceSet
from ferbench.core.labels import EMOTIONS
from ferbench.core.method import STOPPED_BY_TIME, InputSpec, Method
from ferbench.core.registry import METHODS
from ferbench.eval import metrics
from ferbench.eval.corruptions import corrupt
from ferbench.eval.metrics import PROBA_DECIMALS
from ferbench.eval.protocols import Target
from ferbench.predict.explain import can_gradcam, gallery, save_image
from ferbench.predict.saved import can_save, class_counts, save_model
from ferbench.run.config import RunSummary
from ferbench.run.outputs import Outputs, now, record_failure, target_fields
from ferbench.run.plan import Plan, WorkItem


@dataclass(frozen=True)
class JobContext:
    """What a job takes from its run beyond its work item: small, so a Ray task gets it
    whole."""

    save_models: bool
    corruption_seed: int
    embedded: Mapping[str, bool]
    """Dataset → whether its faces ship with ferbench (a gallery of them may be shown)."""

    @classmethod
    def of(cls, plan: Plan) -> JobContext:
        return cls(plan.config.save_models, plan.config.data.seed, plan.settings.embedded)


class Inputs:
    """Each (faces, input view) prepared once in this process and kept for every job."""

    def __init__(self, cache: features.FeatureCache | None,
                 prepared: dict[tuple[Any, ...], FaceSet] | None = None):
        self.cache = cache
        self.prepared = dict(prepared or {})

    def prepare(self, faces: FaceSet | None, spec: InputSpec) -> FaceSet | None:
        """``faces`` as ``spec`` asks (None stays None)."""
        if faces is None:
            return None
        key = (faces.fingerprint, spec)
        if key not in self.prepared:
            self.prepared[key] = features.prepare(faces, spec, self.cache)
        return self.prepared[key]

    def with_mirrored(self, prepared: FaceSet, spec: InputSpec) -> FaceSet:
        """``prepared`` (from :meth:`prepare`) with its faces' mirror images' features."""
        key = (prepared.fingerprint, spec, features.MIRRORED)
        if key not in self.prepared:
            self.prepared[key] = features.with_mirrored(prepared, spec, self.cache)
        return self.prepared[key]


def restrict_scores(proba: np.ndarray, train_classes: np.ndarray, classes: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Predictions and row-normalised scores over ``classes``: the trained classes inside the
    cell's label space (a cross-database cell never predicts a class its target dataset does
    not define; a within cell may predict every class of its dataset, whichever its test
    faces hold)."""
    scores = proba[:, np.searchsorted(train_classes, classes)]
    totals = scores.sum(axis=1, keepdims=True)
    scores = np.divide(scores, totals, out=np.full_like(scores, 1 / len(classes)),
                       where=totals > 0)
    return classes[np.argmax(scores, axis=1)], scores


def run_job(item: WorkItem, pending: Mapping[str, Target], context: JobContext,
            inputs: Inputs, outputs: Outputs) -> RunSummary:
    """Fit ``item``'s method on its job once and score its ``pending`` cells."""
    summary = RunSummary()
    job, prefix = item.job, item.label
    params = dict(item.params)
    base = {
        "method": item.method, "params": params, "train": job.train_dataset, "fold": job.fold,
        "seed": item.seed, "job": item.job_key, "n_train": len(job.train),
        "params_key": item.params_key, "revision": item.revision, "budget": item.budget,
    }
    if job.train_fraction is not None:
        base["train_fraction"] = job.train_fraction
    try:
        method: Method = METHODS.create(item.method, **params)
        train, val = job.train, job.val
        if method.needs_training_faces:
            train = inputs.prepare(train, method.input_spec)
            if method.mirrors(len(train)):
                train = inputs.with_mirrored(train, method.input_spec)
            val = inputs.prepare(val, method.input_spec)
        started = time.perf_counter()
        method.fit(train, val)
        fit_seconds = time.perf_counter() - started
    except Exception as error:
        record_failure(outputs, pending, base, error, f"{prefix}: fit failed", summary)
        return summary
    info = method.describe()
    base.update(fit_seconds=fit_seconds, method_info=info,
                score_kind=method.score_kind, family=method.family)
    if info.get("stopped_by") == STOPPED_BY_TIME:
        base.update(status="incomplete",
                    error=f"a time cap stopped training after {fit_seconds:.0f} s, before its "
                          f"schedule ended ({info.get('epochs_run', '?')} epoch(s) run)")
    if context.save_models:
        base.update(_save(method, item, params, outputs))
    scores: list[str] = []
    corrupted: list[float] = []
    for cid, target in pending.items():
        try:
            record, test = _score(method, target, base, context, inputs)
        except Exception as error:
            record_failure(outputs, {cid: target}, base, error, f"{prefix}: scoring failed",
                           summary)
            continue
        if target.protocol == "within" and can_gradcam(method):
            record.update(_gallery(method, test, record, cid, item, context, outputs))
        outputs.put({**record, "cell": cid})
        if record["status"] == "ok":
            summary.computed += 1
        else:
            summary.incomplete += 1
        if target.corruption is None:
            scores.append(f"{target.dataset} {record['metrics']['accuracy']:.3f}")
        else:
            corrupted.append(record["metrics"]["accuracy"])
    if corrupted:
        scores.append(f"{np.mean(corrupted):.3f} mean over {len(corrupted)} corruption(s)")
    outputs.progress(f"{prefix}: fit {fit_seconds:.1f}s, accuracy {', '.join(scores)}")
    return summary


def _save(method: Method, item: WorkItem, params: dict[str, Any],
          outputs: Outputs) -> dict[str, str]:
    """Keep the fitted model under ``models/``; a model that cannot be saved is reported
    in its records and never costs the scores."""
    if not can_save(method):
        return {"model_error": f"{item.method} does not implement save()"}
    job = item.job
    fold = f"fold{job.fold}" if job.fold is not None else "split"
    folder = (Path("models")
              / f"{item.method}__{job.train_dataset}__{fold}__s{item.seed}__{item.job_key}")
    training = {"dataset": job.train_dataset, "fold": job.fold, "seed": item.seed,
                "n": len(job.train), "fingerprint": job.train.fingerprint,
                "face_shape": list(job.train.images.shape[1:]), "job": item.job_key,
                "faces": job.train.frame or "as-published",
                "class_counts": class_counts(job.train)}
    try:
        save_model(method, item.method, params, outputs.root / folder, training)
    except Exception as error:
        text = f"{type(error).__name__}: {error}"
        outputs.progress(f"{item.label}: model not saved ({text}); scoring goes on")
        return {"model_error": text}
    return {"model": folder.as_posix()}


def _gallery(method: Method, test: FaceSet, record: dict[str, Any], cid: str, item: WorkItem,
             context: JobContext, outputs: Outputs) -> dict[str, Any]:
    """A picture of correctly and wrongly classified test faces with Grad-CAM heatmaps;
    a failure to draw it is reported and never costs the cell."""
    path = Path("explanations") / f"{cid}.png"
    try:
        image = gallery(method, test, np.asarray(record["y_pred"]), seed=item.seed)
        if image is None:
            return {}
        save_image(image, outputs.root / path)
    except Exception as error:
        outputs.progress(f"{item.label}: no explanation gallery "
                         f"({type(error).__name__}: {error})")
        return {}
    return {"gallery": path.as_posix(),
            "gallery_public": context.embedded.get(record["test"], False)}


def _score(method: Method, target: Target, base: dict[str, Any], context: JobContext,
           inputs: Inputs) -> tuple[dict[str, Any], FaceSet]:
    train_classes = np.asarray(method.classes_)
    classes = np.intersect1d(train_classes, np.asarray(target.classes, dtype=np.int64))
    scored = np.isin(target.faces.labels, classes)
    if target.corruption is None:
        test = inputs.prepare(target.faces, method.input_spec).subset(scored)
    else:
        faces = corrupt(target.faces, *target.corruption, seed=context.corruption_seed)
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
        "status": "ok",
        **base,
        **target_fields(target),
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
        "finished": now(),
    }
    return record, test
