"""Histogram-of-oriented-gradients features."""

from __future__ import annotations

import numpy as np
from skimage.feature import hog as skimage_hog

from ferbench.features import register_feature


@register_feature("hog")
def hog_features(
    images: np.ndarray,
    orientations: int = 9,
    pixels_per_cell: int = 8,
    cells_per_block: int = 2,
) -> np.ndarray:
    """HOG of each grayscale image, as ``skimage.feature.hog`` with L2-Hys block norm."""
    if images.ndim != 3:
        raise ValueError(f"hog needs grayscale images (N, H, W), got shape {images.shape}")
    return np.stack(
        [
            skimage_hog(
                image,
                orientations=orientations,
                pixels_per_cell=(pixels_per_cell, pixels_per_cell),
                cells_per_block=(cells_per_block, cells_per_block),
                block_norm="L2-Hys",
            )
            for image in images
        ]
    ).astype(np.float32)
