"""Samples: a dataset decoded but not yet split, with the problems met decoding it.

Decoders produce :class:`Samples`; the cache stores them; :func:`ferbench.data.splits.to_splits`
turns them into FaceSets. Keeping the split step after the cache means a new seed for the
validation carve never re-decodes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ferbench.data.images import ImageProblem, read_image
from ferbench.data.problems import Problems

PARTS = ("train", "val", "test")
"""The values of :attr:`Samples.parts`: the split each sample belongs to, as published."""


@dataclass
class Samples:
    """Decoded samples in canonical labels; ``parts`` says which published split each is in."""

    images: np.ndarray
    labels: np.ndarray
    subjects: np.ndarray
    ids: np.ndarray
    parts: np.ndarray
    problems: Problems
    facts: dict[str, Any] = field(default_factory=dict)
    """Provenance facts of the decoding (face detector used, centre crops, …); JSON-able."""

    def __len__(self) -> int:
        return len(self.images)


def resized(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` resized (bilinear) to ``width`` x ``height``; as is when it already has it."""
    if image.shape[:2] == (height, width):
        return image
    return np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.BILINEAR))


class SampleList:
    """Samples appended one at a time by an image decoder, then frozen into :class:`Samples`."""

    def __init__(self, dataset: str, shape: tuple[int, ...]):
        self.shape = tuple(shape)
        self.problems = Problems(dataset)
        self._images: list[np.ndarray] = []
        self._rows: list[tuple[int, str, str, str]] = []

    def add(self, image: np.ndarray, label: int, subject: str, sample_id: str, part: str) -> None:
        if image.shape != self.shape:
            raise ValueError(f"sample {sample_id}: image shape {image.shape} is not {self.shape}")
        self._images.append(image)
        self._rows.append((label, subject, sample_id, part))

    def read(self, path: Path, sample_id: str, label: int, part: str, subject: str = "",
             resize: bool = False) -> bool:
        """Decode one image file and add it; a bad file becomes a problem and returns False.

        The image must already have the list's shape unless ``resize`` (bilinear) is set.
        """
        color = "RGB" if len(self.shape) == 3 else "L"
        try:
            image = read_image(path, color)
        except ImageProblem as error:
            self.problems.add(path, str(error))
            return False
        height, width = self.shape[:2]
        if image.shape[:2] != (height, width):
            if not resize:
                self.problems.add(path, f"expected a {width}x{height} image, found "
                                        f"{image.shape[1]}x{image.shape[0]}")
                return False
            image = resized(image, height, width)
        self.add(image, label, subject, sample_id, part)
        return True

    def build(self, facts: dict[str, Any] | None = None) -> Samples:
        images = (np.stack(self._images) if self._images
                  else np.zeros((0, *self.shape), dtype=np.uint8))
        labels, subjects, ids, parts = zip(*self._rows) if self._rows else ((),) * 4
        return Samples(
            images=images.astype(np.uint8, copy=False),
            labels=np.asarray(labels, dtype=np.int64),
            subjects=np.asarray(subjects, dtype=str),
            ids=np.asarray(ids, dtype=str),
            parts=np.asarray(parts, dtype=str),
            problems=self.problems,
            facts=dict(facts or {}),
        )
