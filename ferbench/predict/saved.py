"""Fitted models kept on disk, and loaded back without executing anything from the file.

A saved model is a folder: ``model.json`` (method, parameters, classes, the input view it
was trained on, the training data's fingerprint, and a SHA-256 of every other file) plus the
files the method wrote with :meth:`ferbench.Method.save` — safetensors, JSON, skops with an
explicit trusted-type list or xgboost's JSON, never pickle. Loading checks the whole manifest
first — every field's type, every file of the folder listed and its checksum matching, no name
leaving the folder — so a tampered, truncated or foreign folder is refused, with the field or
file named, before any of its bytes reach a parser.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ferbench import features
from ferbench.core.faceset import FaceSet
from ferbench.core.labels import EMOTIONS, emotion_index
from ferbench.core.method import InputSpec, Method
from ferbench.core.registry import METHODS, load_plugins
from ferbench.predict.crops import face_set
from ferbench.predict.views import mean_over_views, scores_frame

FORMAT = "ferbench-model"
VERSION = 1
MANIFEST = "model.json"
WEIGHT_SOURCE_PARAMS = ("pretrained", "weights")
"""Parameters that only say where a network's initial weights come from. A saved model
carries its own weights, so these are cleared when it is rebuilt: loading it must not need
the ImageNet file it was fine-tuned from."""


PRIORS = ("training", "uniform")
"""How often predict takes each class to occur among the faces it is given: as among the
model's training faces (``training``, the default: the probabilities the model gives, the
leaderboard's), or equally often (``uniform``: each probability divided by its class's share of
the training faces, then renormalised; post-hoc logit adjustment, Menon et al., ICLR 2021, at
tau 1). Photos with as many of each expression reward ``uniform`` when the training faces'
classes were far from even, as FER2013's are."""


class ModelFileError(ValueError):
    """A saved-model folder that is missing, tampered with, truncated or not ferbench's."""


def can_save(method: Method) -> bool:
    """Whether the method implements :meth:`Method.save` (optional for plugins)."""
    return type(method).save is not Method.save


def class_counts(train: FaceSet) -> dict[str, int]:
    """How many training faces each class has, by emotion name: the manifest's
    ``training.class_counts``, which ``prior="uniform"`` divides by."""
    return {EMOTIONS[label]: count for label, count in train.class_counts().items()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _input_view(spec: InputSpec) -> dict[str, Any]:
    return {
        "size": list(spec.size) if spec.size else None,
        "color": spec.color,
        "features": [{"name": f.name, "params": dict(f.params)} for f in spec.features],
    }


def save_model(method: Method, name: str, params: dict[str, Any], directory: Path,
               training: dict[str, Any]) -> Path:
    """Write the fitted ``method`` (registered as ``name``, built from ``params``) into
    ``directory``, replacing what was there only once the new folder is complete."""
    directory = Path(directory)
    staging = directory.with_name(f".{directory.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        method.save(staging)
        files = {p.name: _sha256(p) for p in sorted(staging.iterdir()) if p.is_file()}
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "method": name,
            "params": params,
            "classes": [EMOTIONS[c] for c in method.classes_],
            "input": _input_view(method.input_spec),
            "training": training,
            "files": files,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True,
                                                   default=str))
        shutil.rmtree(directory, ignore_errors=True)
        os.replace(staging, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory


def read_manifest(directory: Path) -> dict[str, Any]:
    """The checked manifest of a saved model; every listed file's checksum must match."""
    directory = Path(directory)
    path = directory / MANIFEST
    if not directory.is_dir():
        raise ModelFileError(f"{directory} is not a saved-model folder (expected a folder "
                             f"holding {MANIFEST})")
    if not path.is_file():
        raise ModelFileError(f"{directory} holds no {MANIFEST}: not a ferbench saved model")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{path} is not valid JSON ({error}): the file is damaged "
                             f"or not ferbench's") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a ferbench model manifest (no format "
                             f"{FORMAT!r})")
    if manifest.get("version") != VERSION:
        raise ModelFileError(f"{path} has format version {manifest.get('version')!r}; this "
                             f"ferbench reads version {VERSION}")
    _check_fields(manifest, path)
    _check_files(manifest["files"], directory)
    return manifest


SHA256 = re.compile(r"[0-9a-f]{64}")


def _check_fields(manifest: dict[str, Any], path: Path) -> None:
    """Every field a loader reads, of the type it must have; the error names the field."""

    def bad(field: str, expected: str) -> ModelFileError:
        return ModelFileError(f"{path}: field {field!r} must be {expected}")

    def ints(value: Any) -> bool:
        return isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)

    if not isinstance(manifest.get("method"), str) or not manifest["method"]:
        raise bad("method", "a method name")
    if not isinstance(manifest.get("params"), dict):
        raise bad("params", "a table of parameters")
    classes = manifest.get("classes")
    if not isinstance(classes, list) or not classes or not all(
            isinstance(c, str) for c in classes):
        raise bad("classes", "a non-empty list of emotion names")
    view = manifest.get("input")
    if not isinstance(view, dict):
        raise bad("input", "a table (size, color, features)")
    if view.get("size") is not None and not (ints(view["size"]) and len(view["size"]) == 2):
        raise bad("input.size", "null or [height, width]")
    if not isinstance(view.get("color"), (str, type(None))):
        raise bad("input.color", "null or a colour name")
    features_ = view.get("features")
    if not isinstance(features_, list) or not all(
            isinstance(f, dict) and isinstance(f.get("name"), str)
            and isinstance(f.get("params"), dict) for f in features_):
        raise bad("input.features", "a list of {name, params} tables")
    training = manifest.get("training")
    if not isinstance(training, dict):
        raise bad("training", "a table describing the training data")
    shape = training.get("face_shape")
    if not (ints(shape) and len(shape) in (2, 3)):
        raise bad("training.face_shape", "the training faces' shape, [height, width] or "
                  "[height, width, 3] (models saved without it cannot be prepared as they "
                  "were trained: refit them)")
    counts = training.get("class_counts")
    if counts is not None and not (isinstance(counts, dict) and ints(list(counts.values()))):
        raise bad("training.class_counts", "a table of class name = its number of training "
                  "faces (a positive integer)")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and SHA256.fullmatch(v)
            for k, v in files.items()):
        raise bad("files", "a table of file name = SHA-256 hex digest")


def _check_files(files: dict[str, str], directory: Path) -> None:
    """The folder holds exactly the manifest and the files it lists, each unchanged, none
    outside the folder: so no unlisted or unchecked byte is ever read."""
    for file_name in files:
        if file_name in ("", ".", "..", MANIFEST) or Path(file_name).name != file_name \
                or "\\" in file_name:
            raise ModelFileError(f"{directory / MANIFEST}: field 'files' names {file_name!r}, "
                                 f"which is not a plain file name inside the model folder")
    present = {p.name for p in directory.iterdir()} - {MANIFEST}
    unlisted = sorted(present - set(files))
    if unlisted:
        raise ModelFileError(f"{directory}: {', '.join(unlisted)} not listed in {MANIFEST}; "
                             f"a saved model holds only the files its manifest checksums")
    for file_name, expected in files.items():
        file = directory / file_name
        if file.is_symlink() or not file.is_file():
            raise ModelFileError(f"{directory}: {file_name} is listed in {MANIFEST} but "
                                 f"missing (or not a plain file)")
        if _sha256(file) != expected:
            raise ModelFileError(f"{file} does not match the checksum in {MANIFEST}: it was "
                                 f"changed or truncated after saving; refit the model")


class SavedModel:
    """A fitted method loaded from disk, with the input view it was trained on, giving its
    probabilities under ``prior`` (one of :data:`PRIORS`)."""

    def __init__(self, method: Method, manifest: dict[str, Any], directory: Path,
                 prior: str = "training"):
        self.method = method
        self.manifest = manifest
        self.directory = directory
        if prior not in PRIORS:
            raise ValueError(f"prior must be one of {', '.join(PRIORS)}, not {prior!r}")
        self.prior = prior
        self.adapted_to = 0
        """Views of faces the model was adapted to (:meth:`adapted`); 0: as trained."""
        self._divisors = self._training_shares() if prior == "uniform" else None

    def _training_shares(self) -> np.ndarray:
        """Each class's share of the training faces, in the order of :attr:`classes`."""
        counts = self.manifest["training"].get("class_counts")
        if counts is None:
            raise ModelFileError(
                f"{self.directory}: the uniform prior divides by the training faces' class "
                f"counts, which this model does not record (training.class_counts; a run's "
                f"models record them from this version on): refit it, or use the training "
                f"prior")
        missing = [c for c in self.classes if c not in counts]
        if missing:
            raise ModelFileError(f"{self.directory}: training.class_counts has no count for "
                                 f"{', '.join(missing)}, so the uniform prior cannot divide "
                                 f"by its share")
        shares = np.array([counts[c] for c in self.classes], dtype=np.float64)
        return shares / shares.sum()

    @property
    def name(self) -> str:
        return str(self.manifest["method"])

    @property
    def classes(self) -> list[str]:
        """Canonical emotion names, in the order of the probability columns."""
        return list(self.manifest["classes"])

    @property
    def input_spec(self) -> InputSpec:
        return self.method.input_spec

    @property
    def face_shape(self) -> list[int]:
        """Shape of the training dataset's faces, before the method's view."""
        return list(self.manifest["training"]["face_shape"])

    @property
    def aligned(self) -> bool:
        """Whether the training faces were re-framed by ``ferbench run --faces aligned``
        (models saved before that option say nothing and were not)."""
        return self.manifest["training"].get("faces") == "aligned"

    @property
    def averages_views(self) -> bool:
        """Whether every view of a face (:func:`~ferbench.predict.views.face_views`) is
        classified and averaged: for a network; a classical method takes the first."""
        return self.method.family == "deep"

    def predict_views(self, views: list[list[np.ndarray]]) -> pd.DataFrame:
        """Like :meth:`predict_faces`, one row per face: the mean over its views, or its
        first view alone (:attr:`averages_views`); every face in one call."""
        used = self._used(views)
        proba = self.predict_faces([view for face in used for view in face])
        return scores_frame(mean_over_views(proba[self.classes].to_numpy(), used), self.classes)

    def adapted(self, views: list[list[np.ndarray]]) -> SavedModel:
        """A copy adapted, without labels, to every view it classifies of the faces of
        ``views`` (:meth:`Method.adapted`; ``adapted_to`` then counts those views); itself when
        its method does not adapt."""
        images = [view for face in self._used(views) for view in face]
        method = self.method.adapted(self._prepared(images))
        if method is None:
            return self
        twin = copy.copy(self)
        twin.method, twin.adapted_to = method, len(images)
        return twin

    def predict_faces(self, images: Sequence[np.ndarray] | np.ndarray) -> Any:
        """Class probabilities of face crops (uint8, gray or RGB, any size) under the
        model's prior, as a pandas DataFrame: a ``label`` column and one probability column
        per class."""
        proba = np.asarray(self.method.predict_proba(self._prepared(images)), dtype=np.float64)
        if self._divisors is not None:
            proba = proba / self._divisors
            proba /= proba.sum(axis=1, keepdims=True)
        return scores_frame(proba, self.classes)

    def _used(self, views: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
        """The views of each face the model classifies (:attr:`averages_views`)."""
        return views if self.averages_views else [face[:1] for face in views]

    def _prepared(self, images: Sequence[np.ndarray] | np.ndarray) -> FaceSet:
        """Face crops as the method's input, prepared as its training faces were."""
        return features.prepare(face_set(images, self.input_spec, self.face_shape),
                                self.input_spec)

    def __repr__(self) -> str:
        return f"SavedModel({self.name}, classes={self.classes}, from {self.directory})"


def load_model(directory: str | Path, device: str | None = None, prior: str = "training"
               ) -> SavedModel:
    """A saved model, rebuilt from its manifest and its method's safe files; ``device``: run
    a method that takes one there instead of where it was trained; ``prior``: one of
    :data:`PRIORS`."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    load_plugins()
    name = manifest["method"]
    if name not in METHODS:
        raise ModelFileError(f"{directory} holds a {name!r} model, but no method {name!r} is "
                             f"registered here (load its plugin first)")
    params = dict(manifest["params"])
    factory_params = inspect.signature(METHODS.get(name).factory).parameters
    params.update({key: None for key in WEIGHT_SOURCE_PARAMS if key in factory_params})
    if device is not None and "device" in factory_params:
        params["device"] = device
    method = METHODS.create(name, **params)
    try:
        method.classes_ = np.array([emotion_index(c) for c in manifest["classes"]],
                                   dtype=np.int64)
    except (KeyError, ValueError) as error:
        raise ModelFileError(f"{directory / MANIFEST}: bad classes ({error})") from None
    expected = _input_view(method.input_spec)
    if expected != manifest["input"]:
        raise ModelFileError(f"{directory}: the model was trained on input {manifest['input']} "
                             f"but {name} with these parameters now asks for {expected}")
    try:
        method.load(directory)
    except ModelFileError:
        raise
    except Exception as error:
        raise ModelFileError(f"{directory}: {name} could not read its files: "
                             f"{type(error).__name__}: {error}") from error
    return SavedModel(method, manifest, directory, prior)

