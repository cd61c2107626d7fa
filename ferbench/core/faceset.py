"""FaceSet: the one container that flows from a dataset to a method.

A FaceSet holds uint8 face images, their canonical labels, subject ids and sample ids,
plus provenance (which dataset, split and source produced it). It is immutable: views such
as :meth:`FaceSet.resized` or :meth:`FaceSet.subset` return new FaceSets and never touch the
original arrays, so the harness can share one decoded dataset between many methods.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
from PIL import Image

from ferbench.core.labels import EMOTIONS, NUM_EMOTIONS


@dataclass(frozen=True, eq=False)
class FaceSet:
    """Face images with canonical labels.

    images:     uint8, (N, H, W) grayscale or (N, H, W, 3) RGB.
    labels:     int64 (N,), indices into :data:`ferbench.core.labels.EMOTIONS`.
    subjects:   str (N,), who is in the picture ("" when the dataset does not say).
    ids:        str (N,), a stable id per sample (file name, CSV row, …).
    dataset:    the registered dataset name; ``split`` the split name.
    provenance: free-form facts about the source (variant, files, counts skipped, …).
    features:   precomputed feature matrices by feature key, row-aligned with images;
                filled by :func:`ferbench.features.prepare`, never by a dataset.
    frame:      how the faces were framed when the run re-framed them ("aligned"), else ""
                (as the dataset published them); part of :attr:`fingerprint` when set, so
                re-framed faces never share caches or stored cells with the published ones.
    """

    images: np.ndarray
    labels: np.ndarray
    subjects: np.ndarray | None = None
    ids: np.ndarray | None = None
    dataset: str = "unnamed"
    split: str = "all"
    provenance: Mapping[str, Any] = field(default_factory=dict)
    features: Mapping[str, np.ndarray] = field(default_factory=dict)
    frame: str = ""

    def __post_init__(self) -> None:
        images = np.asarray(self.images)
        where = f"FaceSet {self.dataset}/{self.split}"
        if images.dtype != np.uint8:
            raise TypeError(f"{where}: images must be uint8, got {images.dtype}")
        if not (images.ndim == 3 or (images.ndim == 4 and images.shape[-1] == 3)):
            raise ValueError(
                f"{where}: images must be (N, H, W) or (N, H, W, 3), got shape {images.shape}"
            )
        n = len(images)
        labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        if len(labels) != n:
            raise ValueError(f"{where}: {n} images but {len(labels)} labels")
        if n and (labels.min() < 0 or labels.max() >= NUM_EMOTIONS):
            raise ValueError(
                f"{where}: labels must be canonical indices 0..{NUM_EMOTIONS - 1}, "
                f"got range {labels.min()}..{labels.max()}"
            )
        subjects = self._column(self.subjects, n, "subjects", default="")
        ids = self._column(self.ids, n, "ids", default=None)
        for key, matrix in self.features.items():
            if len(matrix) != n:
                raise ValueError(f"{where}: feature {key!r} has {len(matrix)} rows, not {n}")
        object.__setattr__(self, "images", images)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "subjects", subjects)
        object.__setattr__(self, "ids", ids)

    def _column(self, values: Any, n: int, name: str, default: str | None) -> np.ndarray:
        if values is None:
            if default is None:
                return np.array([f"{self.split}_{i:06d}" for i in range(n)], dtype=str)
            return np.full(n, default, dtype=object).astype(str)
        column = np.asarray(values).astype(str)
        if column.shape != (n,):
            raise ValueError(
                f"FaceSet {self.dataset}/{self.split}: {name} must have shape ({n},), "
                f"got {column.shape}"
            )
        return column

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        counts = ", ".join(f"{EMOTIONS[c]}={n}" for c, n in self.class_counts().items())
        return (
            f"FaceSet({self.dataset}/{self.split}: {len(self)} x {self.image_shape} "
            f"{'rgb' if self.is_rgb else 'gray'}; {counts})"
        )

    @property
    def is_rgb(self) -> bool:
        return self.images.ndim == 4

    @property
    def image_shape(self) -> tuple[int, int]:
        """(height, width) of every image."""
        return tuple(self.images.shape[1:3])

    @property
    def classes(self) -> np.ndarray:
        """The canonical labels present, sorted."""
        return np.unique(self.labels)

    def class_counts(self) -> dict[int, int]:
        """Samples per canonical label present."""
        values, counts = np.unique(self.labels, return_counts=True)
        return {int(v): int(c) for v, c in zip(values, counts)}

    @cached_property
    def fingerprint(self) -> str:
        """A content hash of images and labels: the key of every on-disk cache."""
        digest = hashlib.blake2b(digest_size=16)
        digest.update(str(self.images.shape).encode())
        digest.update(np.ascontiguousarray(self.images).data)
        digest.update(self.labels.tobytes())
        if self.frame:
            digest.update(f"frame={self.frame}".encode())
        return digest.hexdigest()

    def subset(self, index: np.ndarray, split: str | None = None) -> FaceSet:
        """The samples at ``index`` (an integer array or a boolean mask)."""
        index = np.asarray(index)
        return replace(
            self,
            images=self.images[index],
            labels=self.labels[index],
            subjects=self.subjects[index],
            ids=self.ids[index],
            split=split or self.split,
            features={key: matrix[index] for key, matrix in self.features.items()},
        )

    def with_classes(self, classes: np.ndarray) -> FaceSet:
        """Only the samples whose label is in ``classes``."""
        return self.subset(np.isin(self.labels, classes))

    def with_features(self, **features: np.ndarray) -> FaceSet:
        """The same faces with extra precomputed feature matrices attached."""
        return replace(self, features={**self.features, **features})

    def gray(self) -> FaceSet:
        """A grayscale view (ITU-R 601 luma, as PIL's ``convert('L')``)."""
        if not self.is_rgb:
            return self
        weights = np.array([299, 587, 114], dtype=np.uint32)
        luma = (self.images.astype(np.uint32) @ weights + 500) // 1000
        return replace(self, images=luma.astype(np.uint8), features={})

    def rgb(self) -> FaceSet:
        """An RGB view; grayscale is replicated to three channels."""
        if self.is_rgb:
            return self
        return replace(self, images=np.repeat(self.images[..., None], 3, axis=-1), features={})

    def stored_as(self, shape: tuple[int, ...]) -> FaceSet:
        """The faces as a dataset whose faces have ``shape`` ((H, W) gray or (H, W, 3) RGB)
        stores them: RGB, resized (bilinear), then gray when that shape is gray. A model sees
        another dataset's faces, and a photo's, prepared as its own training faces were."""
        if self.images.shape[1:] == tuple(shape):
            return self
        faces = self.rgb().resized((shape[0], shape[1]))
        return faces if len(shape) == 3 else faces.gray()

    def resized(self, size: tuple[int, int]) -> FaceSet:
        """Every image resized to ``size`` = (height, width) with bilinear filtering."""
        height, width = size
        if self.image_shape == (height, width):
            return self
        resized = np.empty((len(self), height, width, *self.images.shape[3:]), dtype=np.uint8)
        for i, image in enumerate(self.images):
            resized[i] = np.asarray(
                Image.fromarray(image).resize((width, height), Image.Resampling.BILINEAR)
            )
        return replace(self, images=resized, features={})


def concatenate(parts: list[FaceSet], split: str) -> FaceSet:
    """One FaceSet from several of the same dataset and image shape (e.g. train + val)."""
    if not parts:
        raise ValueError("concatenate needs at least one FaceSet")
    shapes = {part.images.shape[1:] for part in parts}
    if len(shapes) > 1:
        raise ValueError(f"cannot concatenate FaceSets of different image shapes: {shapes}")
    first = parts[0]
    return FaceSet(
        images=np.concatenate([p.images for p in parts]),
        labels=np.concatenate([p.labels for p in parts]),
        subjects=np.concatenate([p.subjects for p in parts]),
        ids=np.concatenate([p.ids for p in parts]),
        dataset=first.dataset,
        split=split,
        provenance=first.provenance,
        frame=first.frame,
    )
