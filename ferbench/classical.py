"""The base of the classical methods: hand-crafted features (HOG, dlib landmarks) + a classifier.

A :class:`FeatureClassifier` asks the harness for 48×48 grayscale faces (``image_size``) with
the chosen feature matrices attached, so one extraction per (dataset, split) serves every
classical method, and is cached on disk for later runs. A subclass only builds its
scikit-learn-style estimator; fitting (with mirrored training faces on small sets), scoring,
saving and loading are shared. The built-in svm, knn, rf and xgboost plugins use exactly this
API, as a user's classical plugin can.

``features`` selects ``hog``, ``landmarks`` or ``hog+landmarks`` (concatenated). ``hog`` is
two-scale: 8-px and 4-px cells at 48 px (image_size / 6 and / 12), 9 orientations, 2x2
blocks, 5,256 values; the two scales together beat either alone on FER2013's validation split.
Every default's validation figures, and the script or commit behind each: docs/decisions.md.
Landmark features carry a last column saying whether dlib's detector found the
face or the whole image was used; it is counted in ``describe()`` and not fed to the classifier.
"""

from __future__ import annotations

import json
import warnings
from abc import abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from joblib import cpu_count, parallel_config
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.model_selection import StratifiedKFold
from sklearn.multiclass import OneVsOneClassifier
from sklearn.utils.multiclass import _ovr_decision_function
from threadpoolctl import threadpool_limits

from ferbench.core.faceset import FaceSet
from ferbench.core.method import FeatureSpec, InputSpec, Method
from ferbench.features import MIRRORED, with_mirrored
from ferbench.features.landmarks import split_detector_column

FEATURE_CHOICES = ("hog", "landmarks", "hog+landmarks")
MIRROR_LIMIT = 10_000
"""``mirror="auto"`` adds mirrored training faces up to this many faces: on small sets (CK+)
they add pose and lighting variety cheaply; on FER2013-sized sets they would double the
exact SVM's data and quadruple its fit time."""

ESTIMATOR_FILE = "estimator.skops"
STATE_FILE = "state.json"
TRUSTED_TYPES = (
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.tree._tree.Tree",
    "ferbench.classical.ChunkAverage",
)
"""Types a saved k-NN, forest or chunked SVM holds beyond skops's default trusted
scikit-learn types (skops rebuilds each from plain arrays and attributes); a file with any
other type is refused before skops instantiates anything."""

NUMERIC_THREADS = 2
"""Threads of the BLAS and OpenMP libraries while a classifier fits or scores, whatever the
machine: their reductions split over another number of threads round differently (PCA's SVD
flips a face's prediction between 1 and 2 threads), so a fixed number gives the same numbers
under ``taskset`` or on a larger machine. Two: the reference machine's cores, as for the
networks' ``threads``."""

PREDICT_CHUNK = 500
"""Rows per thread when scoring: libsvm releases the GIL, so chunks run on every core."""


def feature_specs(features: str, image_size: int) -> tuple[FeatureSpec, ...]:
    """The feature matrices ``features`` names, sized for ``image_size``-px faces."""
    if features not in FEATURE_CHOICES:
        raise ValueError(f"features={features!r} is not one of {', '.join(FEATURE_CHOICES)}")
    if not isinstance(image_size, int) or image_size < 16:
        raise ValueError(f"image_size must be an int >= 16, got {image_size!r}")
    hog = tuple(FeatureSpec.of("hog", orientations=9, pixels_per_cell=cell, cells_per_block=2)
                for cell in (max(4, image_size // 6), max(2, image_size // 12)))
    specs = {"hog": hog, "landmarks": (FeatureSpec.of("landmarks"),)}
    return tuple(spec for name in features.split("+") for spec in specs[name])


def feature_rows(faces: FaceSet, specs: tuple[FeatureSpec, ...], who: str
                 ) -> tuple[np.ndarray, np.ndarray | None]:
    """The faces' feature matrices ``specs`` side by side, without the landmarks' detector
    column, and that column (whether dlib's detector found the face) when landmarks are in."""
    blocks, used_detector = [], None
    for spec in specs:
        if spec.key not in faces.features:
            raise ValueError(
                f"{who}: faces carry no {spec.key} features; pass them through "
                f"ferbench.features.prepare(faces, method.input_spec) first"
            )
        matrix = faces.features[spec.key]
        if spec.name == "landmarks":
            matrix, used_detector = split_detector_column(matrix)
        blocks.append(matrix)
    return (np.hstack(blocks) if len(blocks) > 1 else blocks[0]), used_detector


def pca_size(requested: int | float, n_samples: int, n_features: int) -> int | float:
    """A PCA size that fits the matrix: an int is capped by its rows and columns."""
    if isinstance(requested, float) and 0 < requested < 1:
        return requested
    if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
        raise ValueError(f"pca_components must be an int >= 1 or a fraction in (0, 1), "
                         f"got {requested!r}")
    return min(requested, n_samples, n_features)


def _in_threads(function: Callable[[np.ndarray], np.ndarray], rows: np.ndarray) -> np.ndarray:
    """``function(rows)``, computed over row chunks in one thread per core."""
    if len(rows) <= PREDICT_CHUNK:
        return function(rows)
    chunks = np.array_split(rows, -(-len(rows) // PREDICT_CHUNK))
    with ThreadPoolExecutor(cpu_count()) as pool:
        return np.concatenate(list(pool.map(function, chunks)))


def one_vs_one_decision(classifier: OneVsOneClassifier, rows: np.ndarray) -> np.ndarray:
    """``classifier.decision_function(rows)``, the same numbers at about a quarter of the cost:
    scikit-learn evaluates each pair's kernel twice, once for its vote and once for its
    confidence, and one pair after another. Here each pair's decision value is computed once,
    its vote is that value's sign (as libsvm's own prediction is), and the pairs run in one
    thread per core (libsvm releases the GIL)."""
    with ThreadPoolExecutor(cpu_count()) as pool:
        confidences = np.column_stack(list(pool.map(
            lambda pair: np.ravel(pair.decision_function(rows)), classifier.estimators_)))
    votes = (confidences > 0).astype(int)
    scores = _ovr_decision_function(votes, confidences, len(classifier.classes_))
    return scores[:, 1] if len(classifier.classes_) == 2 else scores


class ChunkAverage(ClassifierMixin, BaseEstimator):
    """One copy of ``estimator`` fitted on each of ``chunks`` disjoint, class-stratified,
    seeded chunks of the training rows; the decision values are the copies' mean. A kernel
    SVM's fit grows about quadratically with its rows, so k chunks cost about 1/k of one fit
    on all of them, and the cost grows linearly with the data at a fixed chunk size."""

    def __init__(self, estimator: Any = None, chunks: int = 2, random_state: int = 0):
        self.estimator, self.chunks, self.random_state = estimator, chunks, random_state

    def fit(self, x: np.ndarray, y: np.ndarray) -> ChunkAverage:
        if not isinstance(self.chunks, int) or self.chunks < 2:
            raise ValueError(f"ChunkAverage: chunks must be an int of at least 2, "
                             f"got {self.chunks!r}")
        self.classes_ = np.unique(y)
        splitter = StratifiedKFold(self.chunks, shuffle=True, random_state=self.random_state)
        self.estimators_ = [clone(self.estimator).fit(x[rows], y[rows])
                            for _, rows in splitter.split(x, y)]
        if any(len(e.classes_) != len(self.classes_) for e in self.estimators_):
            raise ValueError("ChunkAverage: a chunk lacks a class; use fewer chunks")
        self.n_features_in_ = x.shape[1]
        return self

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        return np.mean([_decision(member, x) for member in self.estimators_], axis=0)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self.decision_function(x), axis=1)]


def _decision(classifier: Any, rows: np.ndarray) -> np.ndarray:
    """The decision values of a fitted classifier, by the fastest exact way it offers."""
    if isinstance(classifier, OneVsOneClassifier) and classifier.pairwise_indices_ is None:
        return one_vs_one_decision(classifier, rows)
    if isinstance(classifier, ChunkAverage):
        return classifier.decision_function(rows)
    return _in_threads(classifier.decision_function, rows)


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class SoftmaxDecision:
    """Wraps a classifier with ``decision_function`` so it offers softmax scores."""

    def __init__(self, pipeline: Any):
        self.pipeline = pipeline

    def fit(self, x: np.ndarray, y: np.ndarray) -> SoftmaxDecision:
        # libsvm releases the GIL: parallel one-vs-one pairs train in threads, without the
        # start-up, copies and fork hazards (runner workers are forked) of worker processes.
        with parallel_config(backend="threading"):
            self.pipeline.fit(x, y)
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        *transforms, last = [step for _, step in self.pipeline.steps]
        if isinstance(last, (OneVsOneClassifier, ChunkAverage)):
            for transform in transforms:
                x = transform.transform(x)
            scores = _decision(last, x)
        else:
            scores = _in_threads(self.pipeline.decision_function, x)
        if scores.ndim == 1:
            scores = np.column_stack([-scores, scores])
        return _softmax(scores)


ONNX_OPSETS = {"": 17, "ai.onnx.ml": 3}
"""The ONNX operator sets a classical export targets: old enough for onnxruntime 1.17."""


def to_onnx(estimator: Any, width: int, who: str) -> Any:
    """``estimator`` (taking ``width`` features) as an ONNX graph with input ``features`` and
    outputs ``label`` and ``probabilities`` (a plain (N, K) tensor); a clear error when
    skl2onnx is missing or cannot convert one of its steps."""
    try:
        from skl2onnx import convert_sklearn
        from skl2onnx.common.data_types import FloatTensorType
    except ImportError:
        raise ValueError(f"{who}: exporting to ONNX needs skl2onnx; install the extra: "
                         f"pip install 'ferbench[onnx]'") from None
    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # skl2onnx reads deprecated fields
            return convert_sklearn(estimator, target_opset=ONNX_OPSETS,
                                   initial_types=[("features", FloatTensorType([None, width]))],
                                   options={id(final): {"zipmap": False}})
    except Exception as error:  # skl2onnx raises several types for what it cannot convert
        reason = str(error).strip().splitlines()[0]
        raise ValueError(f"{who}: skl2onnx cannot convert this pipeline "
                         f"({type(error).__name__}: {reason}); it cannot be exported") from None


class FeatureClassifier(Method):
    """Shared fit/predict for classifiers on feature matrices; subclasses build the estimator."""

    family = "classical"

    def __init__(self, features: str, image_size: int, seed: int, mirror: bool | str = "auto",
                 **hyperparameters: Any):
        if mirror not in ("auto", True, False):
            raise ValueError(f"mirror must be auto, true or false, got {mirror!r}")
        super().__init__(features=features, image_size=image_size, seed=seed, mirror=mirror,
                         **hyperparameters)
        self.features = features
        self.seed = seed
        self.mirror = mirror
        self.input_spec = InputSpec(
            size=(image_size, image_size),
            color="gray",
            features=feature_specs(features, image_size),
        )
        self._detector_counts: dict[str, int] = {}

    @abstractmethod
    def _estimator(self, n_samples: int, n_features: int) -> Any:
        """A fresh scikit-learn-style estimator for an ``(n_samples, n_features)`` matrix."""

    def feature_matrix(self, faces: FaceSet, count_detector: bool = False) -> np.ndarray:
        """The classifier's input: the faces' feature matrices side by side, without the
        landmarks' detector column (counted for ``describe()`` when ``count_detector``)."""
        matrix, used_detector = feature_rows(faces, self.input_spec.features, self.name)
        if count_detector and used_detector is not None:
            self._detector_counts = {
                "detector_box": int(used_detector.sum()),
                "whole_image": int((~used_detector).sum()),
            }
        return matrix

    def fit(self, train: FaceSet, val: FaceSet | None = None) -> FeatureClassifier:
        with threadpool_limits(NUMERIC_THREADS):
            self._fit(train)
        return self

    def _fit(self, train: FaceSet) -> None:
        """Fit the estimator on the training faces (a subclass may choose it first)."""
        matrix, targets = self._training_rows(train)
        self.estimator_ = self._estimator(*matrix.shape)
        self.estimator_.fit(matrix, targets)

    def _training_rows(self, train: FaceSet) -> tuple[np.ndarray, np.ndarray]:
        """Feature rows and class indices of the training faces; with ``mirrored_``, row
        ``i + len(train)`` is face ``i`` mirrored."""
        self.classes_ = train.classes
        if len(self.classes_) < 2:
            raise ValueError(f"{self.name}: training needs at least 2 classes, got {self.classes_}")
        targets = np.searchsorted(self.classes_, train.labels)
        self.training_faces_ = len(train)
        matrix = self.feature_matrix(train, count_detector=True)
        self.mirrored_ = self.mirrors(len(train))
        if self.mirrored_:
            matrix = np.vstack([matrix, self.feature_matrix(self.mirrored_faces(train))])
            targets = np.concatenate([targets, targets])
        return matrix, targets

    def mirrors(self, train_faces: int) -> bool:
        return self.mirror is True or (self.mirror == "auto" and train_faces <= MIRROR_LIMIT)

    def mirrored_faces(self, faces: FaceSet) -> FaceSet:
        """The faces with their mirror images' features in place of their own: those the
        harness prepared (:func:`~ferbench.features.with_mirrored`), else extracted here."""
        specs = self.input_spec.features
        if not all(MIRRORED + spec.key in faces.features for spec in specs):
            faces = with_mirrored(faces, self.input_spec)
        return faces.with_features(**{spec.key: faces.features[MIRRORED + spec.key]
                                      for spec in specs})

    def predict_proba(self, faces: FaceSet) -> np.ndarray:
        matrix = self.feature_matrix(faces)
        with threadpool_limits(NUMERIC_THREADS):
            return np.asarray(self.estimator_.predict_proba(matrix), dtype=np.float64)

    def save(self, directory: Path) -> None:
        wrapped = isinstance(self.estimator_, SoftmaxDecision)
        state = {"softmax_decision": wrapped, "mirrored_training_faces": self.mirrored_}
        (directory / STATE_FILE).write_text(json.dumps(state))
        self._dump_estimator(self.estimator_.pipeline if wrapped else self.estimator_,
                             directory)

    def load(self, directory: Path) -> None:
        state = json.loads((directory / STATE_FILE).read_text())
        self.mirrored_ = bool(state["mirrored_training_faces"])
        estimator = self._load_estimator(directory)
        self.estimator_ = SoftmaxDecision(estimator) if state["softmax_decision"] else estimator

    def _dump_estimator(self, estimator: Any, directory: Path) -> None:
        """Write the fitted estimator into ``directory`` (skops; override for another format)."""
        import skops.io

        skops.io.dump(estimator, directory / ESTIMATOR_FILE)

    def _load_estimator(self, directory: Path) -> Any:
        """The estimator :meth:`_dump_estimator` wrote, refused if it holds untrusted types."""
        import skops.io

        path = directory / ESTIMATOR_FILE
        untrusted = sorted(set(skops.io.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
        if untrusted:
            raise ValueError(f"{path} holds types outside ferbench's trusted list "
                             f"({', '.join(untrusted)}); refusing to load it")
        return skops.io.load(path, trusted=list(TRUSTED_TYPES))

    def export_onnx(self, path: Path) -> dict[str, Any]:
        """The fitted estimator converted by skl2onnx. Its input is not pixels but the
        feature matrix ferbench computes (``features`` of ``image_size``-px gray faces,
        without the landmarks' detector column), so only ferbench can feed it."""
        wrapped = isinstance(self.estimator_, SoftmaxDecision)
        estimator = self.estimator_.pipeline if wrapped else self.estimator_
        graph = to_onnx(estimator, int(estimator.n_features_in_), self.name)
        path.write_bytes(graph.SerializeToString())
        return {"size": self.input_spec.size[0], "color": "gray", "features": self.features,
                "outputs": "logits" if wrapped else "probabilities", "output": "probabilities"}

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"features": self.features,
                                "mirrored_training_faces": bool(getattr(self, "mirrored_", False))}
        if self._detector_counts:
            info["landmark_boxes"] = self._detector_counts
        return info
