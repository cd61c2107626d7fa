"""Feature extractors and the on-disk feature cache.

A feature extractor turns a batch of uint8 images into a float32 matrix, one row per image.
:func:`prepare` builds the view a method asked for (size, colour) and attaches its feature
matrices, computing each one once per (faces, view, feature parameters) and caching it on
disk, so that every classifier of a run — and every later run — shares one extraction.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from ferbench.core.faceset import FaceSet
from ferbench.core.method import FeatureSpec, InputSpec
from ferbench.features import hog, landmarks  # noqa: F401  (they register themselves)
from ferbench.features.registry import (
    EXTRACTIONS,
    EXTRACTORS,
    VERSIONS,
    Extractor,
    check_images,
    register_feature,
)

__all__ = [
    "EXTRACTIONS", "EXTRACTORS", "VERSIONS", "Extractor", "FeatureCache", "check_images",
    "MIRRORED", "extract", "prepare", "register_feature", "view", "with_mirrored",
]

MIRRORED = "mirrored:"
"""Prefix of the keys of the mirror images' features (:func:`with_mirrored`)."""


def extract(images: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """Compute one feature matrix, uncached."""
    if spec.name not in EXTRACTORS:
        known = ", ".join(sorted(EXTRACTORS))
        raise ValueError(f"unknown feature {spec.name!r}; known features: {known}")
    EXTRACTIONS[spec.key] += 1
    matrix = np.asarray(EXTRACTORS[spec.name](images, **dict(spec.params)), dtype=np.float32)
    if matrix.ndim != 2 or len(matrix) != len(images):
        raise ValueError(
            f"feature {spec.key} returned shape {matrix.shape} for {len(images)} images"
        )
    return matrix


class FeatureCache:
    """Feature matrices on disk, one ``.npy`` per key, written atomically."""

    def __init__(self, root: Path):
        self.root = Path(root) / "features"

    def _path(self, key: str) -> Path:
        return self.root / f"{hashlib.blake2b(key.encode(), digest_size=16).hexdigest()}.npy"

    def load(self, key: str, rows: int) -> np.ndarray | None:
        """The cached matrix, or None when absent, unreadable or of the wrong length."""
        path = self._path(key)
        try:
            matrix = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        return matrix if matrix.ndim == 2 and len(matrix) == rows else None

    def save(self, key: str, matrix: np.ndarray) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        with open(temporary, "wb") as handle:
            np.save(handle, matrix, allow_pickle=False)
        os.replace(temporary, path)


def view(faces: FaceSet, spec: InputSpec) -> FaceSet:
    """The faces in the colour and size a method asked for."""
    if spec.color == "gray":
        faces = faces.gray()
    elif spec.color == "rgb":
        faces = faces.rgb()
    if spec.size is not None:
        faces = faces.resized(spec.size)
    return faces


def prepare(faces: FaceSet, spec: InputSpec, cache: FeatureCache | None = None) -> FaceSet:
    """The view a method asked for, with its feature matrices attached (cached on disk)."""
    prepared = view(faces, spec)
    features = {}
    for feature in spec.features:
        version = VERSIONS.get(feature.name, "?")
        key = f"{faces.fingerprint}|{spec.size}|{spec.color}|{feature.key}|v{version}"
        matrix = cache.load(key, len(faces)) if cache else None
        if matrix is None:
            matrix = extract(prepared.images, feature)
            if cache:
                cache.save(key, matrix)
        features[feature.key] = matrix
    return prepared.with_features(**features) if features else prepared


def with_mirrored(prepared: FaceSet, spec: InputSpec, cache: FeatureCache | None = None
                  ) -> FaceSet:
    """``prepared`` (a :func:`prepare` result) with the features of its faces' mirror images
    attached as ``MIRRORED + key``, cached on disk as the originals are: a classifier that
    trains on mirrored faces too then spends its fit on the classifier, not on extraction."""
    if not spec.features:
        return prepared
    flipped = replace(prepared, images=np.ascontiguousarray(prepared.images[:, :, ::-1]),
                      features={})
    mirrored = prepare(flipped, spec, cache)
    return prepared.with_features(**{MIRRORED + key: matrix
                                     for key, matrix in mirrored.features.items()})
