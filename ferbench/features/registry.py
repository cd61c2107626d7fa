"""The feature extractors by name, each with the version its cache key carries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

Extractor = Callable[..., np.ndarray]

EXTRACTORS: dict[str, Extractor] = {}
VERSIONS: dict[str, str] = {}
"""Each extractor's version, part of its cache key: bump it when the extractor's output changes."""
EXTRACTIONS: Counter[str] = Counter()
"""How many times each feature key was actually computed in this process (not cached)."""


def register_feature(name: str, version: str = "1") -> Callable[[Extractor], Extractor]:
    """Register ``fn(images, **params) -> (N, D) float32`` as feature ``name``."""

    def decorate(fn: Extractor) -> Extractor:
        if name in EXTRACTORS and EXTRACTORS[name] is not fn:
            raise ValueError(f"feature extractor {name!r} is already registered")
        EXTRACTORS[name] = fn
        VERSIONS[name] = version
        return fn

    return decorate


def check_images(feature: str, images: np.ndarray) -> None:
    """Every extractor's input contract: a uint8 (N, H, W) or (N, H, W, 3) array."""
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        kind = getattr(images, "dtype", type(images).__name__)
        raise TypeError(f"feature {feature!r} needs a uint8 image array, got {kind}")
    if not (images.ndim == 3 or (images.ndim == 4 and images.shape[-1] == 3)):
        raise ValueError(
            f"feature {feature!r} needs images (N, H, W) or (N, H, W, 3), "
            f"got shape {images.shape}"
        )
