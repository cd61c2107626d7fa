"""Seeded corruptions of test faces, for robustness scores of models that are not retrained.

Each corruption works on the dataset's own images (before a method resizes them), at three
severities; sizes scale with the image side so a 48-px FER2013 face and a 100-px RAF-DB face
are hurt alike. The same (corruption, severity, seed) always gives the same images, and the
corrupted faces are derived on the fly, never written to the cache.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

from ferbench.core.faceset import FaceSet

SEVERITIES = (1, 2, 3)
Corruption = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]


def _as_images(batch: np.ndarray) -> list[Image.Image]:
    return [Image.fromarray(image) for image in batch]


def _stack(images: list[Image.Image], like: np.ndarray) -> np.ndarray:
    return np.stack([np.asarray(image, dtype=np.uint8) for image in images]).reshape(like.shape)


def gaussian_noise(batch: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Additive pixel noise, standard deviation 8 / 16 / 32 grey levels."""
    sigma = (8, 16, 32)[severity - 1]
    noisy = batch.astype(np.float32) + rng.normal(0, sigma, batch.shape)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def blur(batch: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian blur, radius 1 / 2 / 3 % of the side (about 0.5 / 1 / 1.5 px at 48 px)."""
    radius = (0.01, 0.02, 0.03)[severity - 1] * batch.shape[1]
    return _stack([i.filter(ImageFilter.GaussianBlur(radius)) for i in _as_images(batch)],
                  batch)


def jpeg(batch: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """JPEG compression at quality 30 / 15 / 7."""
    quality = (30, 15, 7)[severity - 1]
    out = []
    for image in _as_images(batch):
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality)
        out.append(Image.open(buffer).convert(image.mode))
    return _stack(out, batch)


def occlusion(batch: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """A mid-grey square of side 25 / 35 / 50 % of the face at a random place in each face."""
    side = round((0.25, 0.35, 0.5)[severity - 1] * batch.shape[1])
    out = batch.copy()
    height, width = batch.shape[1:3]
    tops = rng.integers(0, height - side + 1, len(batch))
    lefts = rng.integers(0, width - side + 1, len(batch))
    for image, top, left in zip(out, tops, lefts):
        image[top:top + side, left:left + side] = 128
    return out


def brightness(batch: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Over-exposure: every grey level raised by 40 / 80 / 120 (clipped at white)."""
    shift = (40, 80, 120)[severity - 1]
    return np.clip(batch.astype(np.int16) + shift, 0, 255).astype(np.uint8)


def downscale(batch: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Resolution loss: shrunk by 2 / 3 / 4 (box filter), then enlarged back (bilinear)."""
    factor = (2, 3, 4)[severity - 1]
    height, width = batch.shape[1:3]
    small = (max(1, width // factor), max(1, height // factor))
    return _stack([i.resize(small, Image.Resampling.BOX)
                   .resize((width, height), Image.Resampling.BILINEAR)
                   for i in _as_images(batch)], batch)


CORRUPTIONS: dict[str, Corruption] = {
    "gaussian_noise": gaussian_noise, "blur": blur, "jpeg": jpeg, "occlusion": occlusion,
    "brightness": brightness, "downscale": downscale,
}


def parse_corruptions(text: str) -> list[tuple[str, int]]:
    """``"blur,jpeg:2"`` → [(blur, 1), (blur, 2), (blur, 3), (jpeg, 2)]; ``all`` is every one."""
    chosen: list[tuple[str, int]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, level = part.partition(":")
        names = list(CORRUPTIONS) if name == "all" else [name]
        if name != "all" and name not in CORRUPTIONS:
            raise ValueError(f"--corruptions: unknown corruption {name!r}; choose from "
                             f"{', '.join(CORRUPTIONS)} (or all), each optionally :1, :2 or :3")
        if level and level not in {str(s) for s in SEVERITIES}:
            raise ValueError(f"--corruptions {part!r}: severity must be 1, 2 or 3")
        levels = [int(level)] if level else list(SEVERITIES)
        chosen += [(n, s) for n in names for s in levels if (n, s) not in chosen]
    return chosen


def corrupt(faces: FaceSet, name: str, severity: int, seed: int = 0) -> FaceSet:
    """A copy of ``faces`` with corrupted images (labels, subjects and ids kept)."""
    if name not in CORRUPTIONS or severity not in SEVERITIES:
        raise ValueError(f"no corruption {name!r} at severity {severity!r}")
    rng = np.random.default_rng([seed, zlib.crc32(name.encode()), severity])
    images = CORRUPTIONS[name](faces.images, severity, rng)
    return FaceSet(images, faces.labels, faces.subjects, faces.ids, dataset=faces.dataset,
                   split=f"{faces.split}+{name}{severity}",
                   provenance={**faces.provenance, "corruption": f"{name} {severity}"},
                   frame=faces.frame)
