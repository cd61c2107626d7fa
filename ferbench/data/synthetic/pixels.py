"""From layers to pixels: rasterising, grey conversion and photometric nuisances."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from ferbench.data.synthetic.shapes import Layer
from ferbench.data.synthetic.style import DomainStyle


def render(layers: list[Layer], background: np.ndarray, side: int, factor: int) -> np.ndarray:
    """(N, side/factor, side/factor, 3) uint8: each sample's visible layers, box-reduced."""
    n = len(background)
    out = np.empty((n, side // factor, side // factor, 3), dtype=np.uint8)
    as_lists = [
        (
            layer.points.reshape(n, -1).tolist(),
            [tuple(c) for c in np.clip(np.rint(layer.colour), 0, 255).astype(int).tolist()],
            layer.visible.tolist(),
            None if layer.width is None else layer.width.astype(int).tolist(),
        )
        for layer in layers
    ]
    backgrounds = [tuple(c) for c in np.rint(background).astype(int).tolist()]
    for i in range(n):
        canvas = Image.new("RGB", (side, side), backgrounds[i])
        pen = ImageDraw.Draw(canvas)
        for points, colours, visible, widths in as_lists:
            if not visible[i]:
                continue
            if widths is None:
                pen.polygon(points[i], fill=colours[i])
            else:
                pen.line(points[i], fill=colours[i], width=widths[i], joint="curve")
        out[i] = np.asarray(canvas.reduce(factor))
    return out


def luma(images: np.ndarray) -> np.ndarray:
    """Grey (N, H, W) from RGB (N, H, W, 3), ITU-R 601 as PIL's ``convert('L')``."""
    weights = np.array([299, 587, 114], dtype=np.uint32)
    return ((images.astype(np.uint32) @ weights + 500) // 1000).astype(np.uint8)


def _binomial_blur(pixels: np.ndarray) -> np.ndarray:
    """Each image of (N, H, W, C) filtered by the 3x3 binomial kernel, edges replicated."""
    padding = [(0, 0), (1, 1), (1, 1), (0, 0)]
    padded = np.pad(pixels, padding, mode="edge")
    rows = padded[:, :-2] + 2 * padded[:, 1:-1] + padded[:, 2:]
    return (rows[:, :, :-2] + 2 * rows[:, :, 1:-1] + rows[:, :, 2:]) * (1 / 16)


_CHUNK_VALUES = 1 << 18
"""Pixel values per photometric batch: small enough to stay in cache, large enough for numpy."""


def photometric(images: np.ndarray, style: DomainStyle, rng: np.random.Generator) -> np.ndarray:
    """Blur, illumination gradient, colour cast, contrast, brightness and sensor noise."""
    n, height, width = images.shape[:3]
    channels = images.reshape(n, height, width, -1)  # grey gets a channel axis of length 1

    def per_image(values: np.ndarray) -> np.ndarray:  # (N[, C]) -> (N, 1, 1, C or 1)
        return values.astype(np.float32).reshape(n, 1, 1, -1)

    blur = per_image(rng.uniform(*style.blur, size=n))
    direction = rng.uniform(0, 2 * np.pi, size=n)
    strength = rng.uniform(0, style.light_gradient, size=n)
    cast = 1 + rng.normal(0, style.colour_cast_std, size=(n, channels.shape[-1]))
    contrast = rng.uniform(*style.contrast, size=n)
    scale = per_image(contrast[:, None] * cast)
    offset = per_image(128 * (1 - contrast) + rng.normal(0, style.brightness_std, size=n))
    noise = per_image(rng.uniform(*style.noise, size=n))
    slope_x = per_image(strength * np.cos(direction))
    slope_y = per_image(strength * np.sin(direction))
    across = np.linspace(-1, 1, width, dtype=np.float32)[:, None]
    down = np.linspace(-1, 1, height, dtype=np.float32)[:, None, None]
    out = np.empty_like(channels)
    chunk = max(1, _CHUNK_VALUES // images[0].size)
    for start in range(0, n, chunk):
        part = slice(start, start + chunk)
        pixels = channels[part].astype(np.float32)
        pixels += blur[part] * (_binomial_blur(pixels) - pixels)
        light = 1 + slope_x[part] * across + slope_y[part] * down  # (k, H, W, 1)
        grain = rng.standard_normal(light.shape, dtype=np.float32)  # luminance noise
        pixels *= light * scale[part]
        pixels += grain * noise[part] + offset[part]
        out[part] = np.rint(np.clip(pixels, 0, 255, out=pixels), out=pixels)
    return out.reshape(images.shape)
