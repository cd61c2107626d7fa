"""Conformance checks for method plugins (in the spirit of scikit-learn's check_estimator).

``check_method("svm")`` or ``check_method(MyMethod, epochs=1)`` builds the method, prepares
its input the way the harness does, and asserts the contract every method must honour. A
failure raises :class:`MethodContractError` naming the method and the broken rule.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ferbench import features
from ferbench.core.faceset import FaceSet
from ferbench.core.method import Method
from ferbench.core.registry import create_method
from ferbench.predict.saved import can_save

TRAIN_CLASSES = (0, 3, 4, 6)
"""anger, happiness, sadness, neutral: the classes the check trains on."""
UNSEEN_CLASS = 1
"""disgust: present in the check's test set, absent from its training set."""


class MethodContractError(AssertionError):
    """A method broke the plugin contract; the message says which rule."""


def toy_faces(
    classes: tuple[int, ...], per_class: int, size: int = 48, rgb: bool = False, seed: int = 0,
    split: str = "train",
) -> FaceSet:
    """Small learnable faces: each class a differently oriented stripe pattern, plus noise."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:size, 0:size] / size
    images, labels = [], []
    for label in classes:
        angle = np.pi * label / 8
        for _ in range(per_class):
            phase = rng.uniform(0, 2 * np.pi)
            wave = np.sin(12 * (np.cos(angle) * rows + np.sin(angle) * cols) + phase)
            image = 128 + 80 * wave + rng.normal(0, 20, wave.shape)
            images.append(np.clip(image, 0, 255).astype(np.uint8))
            labels.append(label)
    stack = np.stack(images)
    if rgb:
        stack = np.repeat(stack[..., None], 3, axis=-1)
    subjects = [f"t{i % 5}" for i in range(len(labels))]
    return FaceSet(stack, np.array(labels), subjects=subjects, dataset="toy", split=split)


def _fail(method: str, rule: str, detail: str) -> None:
    raise MethodContractError(f"method {method}: {rule}: {detail}")


def _build(name_or_factory: str | Callable[..., Method], params: dict[str, Any]) -> Method:
    if isinstance(name_or_factory, str):
        return create_method(name_or_factory, **params)
    method = name_or_factory(**params)
    if not isinstance(method, Method):
        raise MethodContractError(
            f"{name_or_factory!r} built {type(method).__name__}, not a ferbench.Method"
        )
    return method


def _fit_predict(
    method: Method, train: FaceSet, val: FaceSet | None, test: FaceSet, cache: features.FeatureCache
) -> tuple[np.ndarray, np.ndarray]:
    spec = method.input_spec
    val = features.prepare(val, spec, cache) if val is not None else None
    fitted = method.fit(features.prepare(train, spec, cache), val)
    if fitted is not method:
        _fail(method.name, "fit must return self", f"got {type(fitted).__name__}")
    prepared = features.prepare(test, spec, cache)
    return np.asarray(method.predict_proba(prepared)), np.asarray(method.predict(prepared))


def check_method(
    name_or_factory: str | Callable[..., Method],
    per_class: int = 12,
    rgb: bool = False,
    **params: Any,
) -> list[str]:
    """Run every conformance check; return the names of the checks passed.

    ``params`` go to the factory (keep deep methods tiny: ``epochs=1`` …). The checks: fit
    returns self and sets ``classes_``; ``predict_proba`` is a finite float (N, K) array whose
    rows are non-negative and sum to 1; ``predict`` returns (N,) integer labels drawn only from
    the training classes and agrees with the argmax of the scores, also for a class never seen
    in training; fitting works without a validation set; a single face can be predicted; the
    inputs are not modified; the same seed gives the same predictions; a method that
    implements ``save`` reloads into a fresh instance with the same scores.
    """
    name = name_or_factory if isinstance(name_or_factory, str) else repr(name_or_factory)
    train = toy_faces(TRAIN_CLASSES, per_class, rgb=rgb, seed=1)
    val = toy_faces(TRAIN_CLASSES, max(2, per_class // 4), rgb=rgb, seed=2, split="val")
    test = toy_faces((*TRAIN_CLASSES, UNSEEN_CLASS), max(3, per_class // 2), rgb=rgb, seed=3,
                     split="test")
    original = train.images.copy()
    passed = []
    with tempfile.TemporaryDirectory() as cache_dir:
        cache = features.FeatureCache(Path(cache_dir))
        method = _build(name_or_factory, params)
        proba, predicted = _fit_predict(method, train, val, test, cache)
        passed.append("fit returns self")

        expected = np.array(TRAIN_CLASSES)
        if not np.array_equal(np.asarray(method.classes_), expected):
            _fail(name, "classes_ must be the sorted training labels",
                  f"got {method.classes_}, expected {expected}")
        passed.append("classes_")

        if proba.shape != (len(test), len(expected)) or not np.issubdtype(proba.dtype, np.floating):
            _fail(name, "predict_proba must return a float (N, K) array",
                  f"got {proba.dtype} {proba.shape}, expected ({len(test)}, {len(expected)})")
        if not np.all(np.isfinite(proba)) or proba.min() < -1e-9:
            _fail(name, "predict_proba must be finite and non-negative", f"min {proba.min()}")
        if not np.allclose(proba.sum(axis=1), 1.0, atol=1e-5):
            _fail(name, "predict_proba rows must sum to 1",
                  f"row sums range {proba.sum(axis=1).min()}..{proba.sum(axis=1).max()}")
        passed.append("probabilities")

        if predicted.shape != (len(test),) or not np.issubdtype(predicted.dtype, np.integer):
            _fail(name, "predict must return (N,) integer labels",
                  f"got {predicted.dtype} {predicted.shape}")
        if not np.isin(predicted, expected).all():
            _fail(name, "predictions must come from the training classes",
                  f"got {sorted(set(predicted.tolist()) - set(TRAIN_CLASSES))}")
        if not np.array_equal(predicted, expected[np.argmax(proba, axis=1)]):
            _fail(name, "predict must agree with the argmax of predict_proba", "they differ")
        passed.append("labels only from training classes, incl. an unseen test class")

        if not np.array_equal(train.images, original):
            _fail(name, "fit must not modify its input", "training images changed")
        passed.append("inputs unchanged")

        single = features.prepare(test.subset(np.array([0])), method.input_spec, cache)
        if np.asarray(method.predict(single)).shape != (1,):
            _fail(name, "predict must handle a single face", "wrong shape")
        passed.append("single face")

        without_val = _build(name_or_factory, params)
        _fit_predict(without_val, train, None, test, cache)
        passed.append("fit without validation set")

        again = _build(name_or_factory, params)
        proba_again, predicted_again = _fit_predict(again, train, val, test, cache)
        if not np.array_equal(predicted, predicted_again):
            changed = int((predicted != predicted_again).sum())
            _fail(name, "the same seed must give the same predictions",
                  f"{changed} of {len(test)} predictions changed between two fits")
        if not np.allclose(proba, proba_again, atol=1e-6):
            _fail(name, "the same seed must give the same scores",
                  f"max difference {np.abs(proba - proba_again).max()}")
        passed.append("same seed, same predictions")

        if can_save(method):
            _check_reload(name, method, _build(name_or_factory, params),
                          features.prepare(test, method.input_spec, cache), proba)
            passed.append("saved and reloaded, same scores")
    return passed


def _check_reload(name: str, fitted: Method, fresh: Method, test: FaceSet,
                  proba: np.ndarray) -> None:
    with tempfile.TemporaryDirectory() as folder:
        fitted.save(Path(folder))
        fresh.classes_ = fitted.classes_
        fresh.load(Path(folder))
    reloaded = np.asarray(fresh.predict_proba(test))
    if reloaded.shape != proba.shape:
        _fail(name, "a saved model must reload with the same scores",
              f"got shape {reloaded.shape}, expected {proba.shape}")
    if not np.allclose(reloaded, proba, atol=1e-6):
        _fail(name, "a saved model must reload with the same scores",
              f"max difference {np.abs(reloaded - proba).max()}")
