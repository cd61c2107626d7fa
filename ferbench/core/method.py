"""The method plugin contract (scikit-learn's estimator contract, adapted to faces).

A method is built by a factory registered with :func:`ferbench.register_method` from
keyword parameters. It declares the input it wants in :attr:`Method.input_spec`; the
harness prepares that input once (resize, colour, features — cached on disk) and hands the
method FaceSets. A method never opens files and never knows which dataset it sees.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ferbench.core.faceset import FaceSet


@dataclass(frozen=True)
class FeatureSpec:
    """A feature extractor by registered name with its parameters, e.g. HOG with 8-px cells."""

    name: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, name: str, **params: Any) -> FeatureSpec:
        return cls(name, tuple(sorted(params.items())))

    @property
    def key(self) -> str:
        """The feature's name in ``FaceSet.features`` and in the on-disk cache."""
        args = ",".join(f"{k}={v}" for k, v in self.params)
        return f"{self.name}({args})"


@dataclass(frozen=True)
class InputSpec:
    """What a method wants to receive.

    size:     (height, width) every image is resized to; None keeps the dataset's size.
    color:    "gray", "rgb", or "any" (as the dataset stores it).
    features: feature matrices the harness computes (and caches) before ``fit``.
    """

    size: tuple[int, int] | None = None
    color: Literal["gray", "rgb", "any"] = "gray"
    features: tuple[FeatureSpec, ...] = field(default_factory=tuple)


STOPPED_BY_TIME = "time_budget"
"""What ``describe()["stopped_by"]`` says when a time cap ended training before its schedule:
such a fit is no finished result, and its cells are stored as ``incomplete``."""


class Method(ABC):
    """Base class of every method. Subclasses implement ``fit`` and ``predict_proba``.

    After ``fit``, ``classes_`` holds the canonical labels seen in training (sorted), and
    ``predict_proba`` returns an (N, len(classes_)) float array whose rows sum to 1.
    """

    name: str = ""
    input_spec: InputSpec = InputSpec()
    classes_: np.ndarray
    family: str = "other"
    """"classical" (hand-crafted features + a classifier) or "deep" (a network); the report's
    learning curves compare the best of each."""
    needs_training_faces: bool = True
    """False for a model that is not trained here (a pretrained one): ``fit`` reads only the
    training labels, so the harness hands it the training and validation faces as the dataset
    stores them, without preparing its input view (a 224-px RGB view of a large training set
    would fill memory for nothing)."""
    score_kind: str = "class scores from predict_proba"
    """What ``predict_proba``'s numbers are (a calibrated probability or not), shown beside
    its calibration error in the report."""

    def __init__(self, **params: Any):
        self.params = params

    @abstractmethod
    def fit(self, train: FaceSet, val: FaceSet | None = None) -> Method:
        """Learn from ``train``; ``val`` may steer early stopping or model selection."""

    @abstractmethod
    def predict_proba(self, faces: FaceSet) -> np.ndarray:
        """Class scores over ``classes_``, one row per face, each row summing to 1."""

    def predict(self, faces: FaceSet) -> np.ndarray:
        """Canonical labels: the most probable of ``classes_`` for each face."""
        return self.classes_[np.argmax(self.predict_proba(faces), axis=1)]

    def save(self, directory: Path) -> None:
        """Write the fitted state into the existing, empty ``directory``, in formats that load
        without running code from the file (safetensors, JSON, skops with trusted types).

        Optional: a plugin without it benchmarks as usual, only its fitted model is not
        kept. The harness adds the manifest (parameters, classes, checksums) itself.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement save()")

    def load(self, directory: Path) -> None:
        """Restore what :meth:`save` wrote, into a method built with the same parameters
        (``classes_`` is already set from the manifest)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement load()")

    def export_onnx(self, path: Path) -> dict[str, Any]:
        """Write the fitted model to ``path`` as an ONNX graph, for ``ferbench export``.

        Optional, like :meth:`save`. Returns the keys of a pretrained-model description
        (docs/pretrained.md) that say what the graph takes and gives (``size``, ``color``,
        ``layout``, ``scale``, ``mean``, ``std``, ``outputs``, ``output``, ``features``);
        its classes are ``classes_`` in their order.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement export_onnx()")

    def adapted(self, faces: FaceSet) -> Method | None:
        """A copy of the fitted method adapted, without labels, to ``faces`` (prepared as
        ``predict_proba`` takes them) before it classifies them, or None for a method that
        does not adapt (the default). ``ferbench predict --adapt`` uses it."""
        return None

    def mirrors(self, train_faces: int) -> bool:
        """Whether ``fit`` on this many training faces also trains on their mirror images; the
        harness then prepares those images' features beforehand, cached as the originals'."""
        return False

    def describe(self) -> dict[str, Any]:
        """Facts about the fitted method worth storing with its results (features, budget…)."""
        return {}

    def identity(self) -> dict[str, Any]:
        """What this method's results depend on beyond the parameters it was built with:
        settings it resolves or passes through itself (a training configuration, the device
        that "auto" picked). It enters every cell key, so a change recomputes the cells.
        JSON-able; the seed stays out (the key holds it apart)."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(self.params.items()))
        return f"{type(self).__name__}({args})"
