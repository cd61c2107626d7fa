"""Histogram-of-oriented-gradients features, computed for a whole batch at once.

The vector of each image is the one ``skimage.feature.hog(image, orientations,
(pixels_per_cell,) * 2, (cells_per_block,) * 2, block_norm="L2-Hys")`` returns (with
``channel_axis=-1`` for RGB), but numpy does the work for many images per step instead of
one Python call per image, and each pixel's gradient magnitude and orientation bin are
looked up in tables made once for all 511 x 511 integer gradients of uint8 images instead
of calling hypot and arctan2 per pixel. The steps follow skimage exactly:

1. Gradients: central differences ``x[i+1] - x[i-1]`` (not halved) along rows and columns,
   zero on the border rows/columns. In RGB each pixel keeps the channel whose gradient is
   strongest.
2. Cell histograms: every pixel of a whole cell (pixels past the last whole cell are
   ignored) votes its gradient magnitude into the bin of its unsigned orientation
   (degrees mod 180, bin ``i`` holding ``[i*w, (i+1)*w)`` with ``w = 180/orientations``),
   without interpolation. skimage sums a cell in float32, rounding after each pixel in
   row-major order, then divides by the cell's area; that order is kept, so the
   histograms are bit-identical.
3. Blocks of ``cells_per_block`` x ``cells_per_block`` cells, one cell apart, are L2-Hys
   normalised (L2 norm, clip at 0.2, L2 norm again) and concatenated block by block.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ferbench.features.parallel import map_rows
from ferbench.features.registry import check_images, register_feature

BATCH = 512
"""Images per vectorised step: large enough to amortise numpy's per-call cost, small
enough that the temporaries (8 bytes per pixel each) stay in cache."""

MIN_IMAGES_PER_WORKER = 2 * BATCH
"""Below this many images per worker thread, splitting the batch gains nothing."""

_MAX_GRADIENT = 255  # central differences of uint8 pixels lie in [-255, 255]
_GRADIENT_VALUES = 2 * _MAX_GRADIENT + 1
_EPS = 1e-5  # skimage's block-normalisation epsilon
_HYS_CLIP = 0.2


@register_feature("hog")
def hog_features(
    images: np.ndarray,
    orientations: int = 9,
    pixels_per_cell: int = 8,
    cells_per_block: int = 2,
) -> np.ndarray:
    """HOG with L2-Hys block norm of each uint8 image, (N, H, W) or (N, H, W, 3)."""
    _check_arguments(images, orientations, pixels_per_cell, cells_per_block)
    return map_rows(
        hog_rows,
        images,
        MIN_IMAGES_PER_WORKER,
        processes=False,  # numpy releases the GIL in its loops
        orientations=orientations,
        pixels_per_cell=pixels_per_cell,
        cells_per_block=cells_per_block,
    )


def hog_width(
    image_shape: tuple[int, int], orientations: int, pixels_per_cell: int, cells_per_block: int
) -> int:
    """Length of the HOG vector of one (height, width) image."""
    cells = np.asarray(image_shape) // pixels_per_cell
    blocks = cells - cells_per_block + 1
    return int(blocks[0] * blocks[1] * cells_per_block**2 * orientations)


def hog_rows(
    images: np.ndarray, orientations: int, pixels_per_cell: int, cells_per_block: int
) -> np.ndarray:
    """HOG of every image in this process, BATCH images per step; float32 (N, D)."""
    width = hog_width(images.shape[1:3], orientations, pixels_per_cell, cells_per_block)
    rows = np.empty((len(images), width), dtype=np.float32)
    for start in range(0, len(images), BATCH):
        batch = images[start : start + BATCH]
        histograms = _cell_histograms(_gradient_codes(batch), orientations, pixels_per_cell)
        rows[start : start + BATCH] = _l2hys_blocks(histograms, cells_per_block)
    return rows


def _check_arguments(
    images: np.ndarray, orientations: int, pixels_per_cell: int, cells_per_block: int
) -> None:
    for name, value in (
        ("orientations", orientations),
        ("pixels_per_cell", pixels_per_cell),
        ("cells_per_block", cells_per_block),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"feature 'hog': {name} must be a positive integer, got {value!r}")
    check_images("hog", images)
    smallest = cells_per_block * pixels_per_cell
    if min(images.shape[1:3]) < smallest:
        raise ValueError(
            f"feature 'hog': images of {images.shape[1]}x{images.shape[2]} px are too small "
            f"for {cells_per_block}x{cells_per_block} blocks of {pixels_per_cell}-px cells; "
            f"they need at least {smallest}x{smallest} px"
        )


def _gradient_codes(images: np.ndarray) -> np.ndarray:
    """Each pixel's gradient as its index in :func:`_all_gradients`, hence in the tables.

    Gradients are skimage's ``_hog_channel_gradient``; in RGB the channel with the largest
    magnitude wins (the first on ties), as in skimage.
    """
    pixels = images.astype(np.int32)
    g_row = np.zeros_like(pixels)
    g_row[:, 1:-1] = pixels[:, 2:] - pixels[:, :-2]
    g_col = np.zeros_like(pixels)
    g_col[:, :, 1:-1] = pixels[:, :, 2:] - pixels[:, :, :-2]
    codes = (g_row + _MAX_GRADIENT) * _GRADIENT_VALUES + (g_col + _MAX_GRADIENT)
    if codes.ndim == 4:
        strongest = np.argmax(_magnitude_table()[codes], axis=-1)[..., None]
        codes = np.take_along_axis(codes, strongest, axis=-1)[..., 0]
    return codes


def _all_gradients() -> tuple[np.ndarray, np.ndarray]:
    """Every integer (row, column) gradient of uint8 images, float64, in code order.

    The tables below apply skimage's own expressions to these values, so looking a pixel
    up is bit-identical to computing it, at a fraction of the cost of hypot and arctan2.
    """
    values = np.arange(-_MAX_GRADIENT, _MAX_GRADIENT + 1, dtype=np.float64)
    g_row, g_col = np.meshgrid(values, values, indexing="ij")
    return g_row.reshape(-1), g_col.reshape(-1)


@functools.cache
def _magnitude_table() -> np.ndarray:
    g_row, g_col = _all_gradients()
    return np.hypot(g_col, g_row)


@functools.cache
def _bin_table(orientations: int) -> np.ndarray:
    """Orientation bin of each gradient; bin ``orientations`` holds angles skimage drops
    (at or above its last bin edge)."""
    g_row, g_col = _all_gradients()
    degrees = np.rad2deg(np.arctan2(g_row, g_col)) % 180
    upper_edges = (180.0 / orientations) * np.arange(1, orientations + 1)
    bins = np.searchsorted(upper_edges, degrees, side="right")
    return bins.astype(np.min_scalar_type(orientations))


def _cell_histograms(codes: np.ndarray, orientations: int, cell: int) -> np.ndarray:
    """Orientation histograms (float64, (n, cell rows, cell cols, orientations))."""
    n, height, width = codes.shape
    rows, cols = height // cell, width // cell
    inside = codes[:, : rows * cell, : cols * cell].reshape(n, rows, cell, cols, cell)
    # Row k holds the k-th pixel (row-major within its cell) of every cell.
    by_pixel_in_cell = inside.transpose(2, 4, 0, 1, 3).astype(np.intp)  # numpy's index type
    by_pixel_in_cell = by_pixel_in_cell.reshape(cell * cell, n * rows * cols)
    cells = n * rows * cols
    sums = np.zeros(cells * (orientations + 1), dtype=np.float32)
    slots = _bin_table(orientations)[by_pixel_in_cell] + np.arange(cells) * (orientations + 1)
    for votes, slot in zip(_magnitude_table()[by_pixel_in_cell], slots):
        sums[slot] = sums[slot] + votes  # float64 add, stored as float32: skimage's rounding
    means = sums.reshape(cells, orientations + 1)[:, :orientations] / np.float32(cell * cell)
    return means.astype(np.float64).reshape(n, rows, cols, orientations)


def _l2hys_blocks(histograms: np.ndarray, cells_per_block: int) -> np.ndarray:
    """L2-Hys normalised blocks, flattened per image in skimage's order; (n, D) float64."""
    n = len(histograms)
    windows = sliding_window_view(histograms, (cells_per_block, cells_per_block), axis=(1, 2))
    # (n, block rows, block cols, orientations, b, b) -> (n, block rows, block cols, b*b*o)
    blocks = np.ascontiguousarray(windows.transpose(0, 1, 2, 4, 5, 3))
    blocks = blocks.reshape(*blocks.shape[:3], -1)
    blocks = blocks / np.sqrt(np.sum(blocks**2, axis=-1, keepdims=True) + _EPS**2)
    blocks = np.minimum(blocks, _HYS_CLIP)
    blocks = blocks / np.sqrt(np.sum(blocks**2, axis=-1, keepdims=True) + _EPS**2)
    return blocks.reshape(n, -1)
