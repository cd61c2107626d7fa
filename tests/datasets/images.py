"""Image files for the layout writers: random pixels, or a bright box on a dark photo.

Everything is generated under a test's ``tmp_path``; nothing is copied from the real data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_image(path: Path, shape: tuple[int, ...], seed: int = 0, fmt: str | None = None) -> Path:
    """A random uint8 image of ``shape`` ((H, W) gray or (H, W, 3) RGB)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)
    Image.fromarray(pixels).save(path, format=fmt)
    return path


def save(path: Path, pixels: np.ndarray) -> Path:
    """``pixels`` written losslessly enough (PNG, or JPEG at top quality) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, quality=100)
    return path


def bright_box(shape: tuple[int, ...], box: tuple[int, int, int, int]) -> np.ndarray:
    """A dark noisy image with ``box`` (left, top, right, bottom) filled bright white."""
    pixels = np.random.default_rng(1).integers(0, 40, size=shape, dtype=np.uint8)
    left, top, right, bottom = box
    pixels[top:bottom, left:right] = 250
    return pixels

