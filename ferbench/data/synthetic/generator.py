"""Drawing one split: emotions and subjects sampled, faces drawn, pixels degraded, labels noised."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ferbench.data.synthetic.drawing import background_layers, face_layers, occluder_layer
from ferbench.data.synthetic.expression import (
    BASIC_EMOTIONS,
    BASIC_LABELS,
    draw_expressions,
    draw_identities,
    with_label_noise,
)
from ferbench.data.synthetic.pixels import luma, photometric, render
from ferbench.data.synthetic.shapes import Pose, palette
from ferbench.data.synthetic.style import domain_style

GENERATOR_VERSION = 1
"""Bumped whenever the drawing changes, so a stale cache is never read."""

SPLITS = ("train", "val", "test")


class SyntheticSplit(NamedTuple):
    """One generated split; ``labels`` carry the label noise, ``clean_labels`` do not."""

    images: np.ndarray
    labels: np.ndarray
    clean_labels: np.ndarray
    subjects: np.ndarray


def check_count(name: str, value: object, where: str = "synthetic data") -> int:
    """``value`` as a positive int, else a ValueError naming ``name`` and ``where``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where}: {name} must be a positive int, got {value!r}")
    return int(value)


def check_seed(value: object, where: str = "synthetic data") -> int:
    """``value`` as a non-negative int seed, else a ValueError naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{where}: seed must be a non-negative int, got {value!r}")
    return int(value)


def generate(domain: str, n: int, seed: int, split: str = "train") -> SyntheticSplit:
    """Draw ``n`` faces of ``domain`` for ``split``; identical arguments, identical arrays."""
    style = domain_style(domain)
    n = check_count("n", n)
    seed = check_seed(seed)
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    identities = draw_identities(style, seed)
    rng = np.random.default_rng([seed, style.salt, 1 + SPLITS.index(split)])
    weights = np.asarray(style.class_weights) / sum(style.class_weights)
    emotions = rng.choice(len(BASIC_EMOTIONS), size=n, p=weights)
    subjects = rng.integers(style.n_subjects, size=n)
    face = {trait: values[subjects] for trait, values in identities.items()}
    expression = draw_expressions(emotions, face, style, rng)
    side = style.size * style.supersample
    pose = Pose.draw(style, n, side, rng)
    layers = [
        *background_layers(style, n, side, rng),
        *face_layers(face, expression, pose, style, rng),
        occluder_layer(style, pose, n, rng),
    ]
    background = palette(rng, n, style.background_saturation, value=(0.25, 0.95))
    images = render(layers, background, side, style.supersample)
    if not style.rgb:
        images = luma(images)
    images = photometric(images, style, rng)
    noisy = with_label_noise(emotions, rng)
    return SyntheticSplit(
        images=images,
        labels=BASIC_LABELS[noisy],
        clean_labels=BASIC_LABELS[emotions],
        subjects=np.array([f"s{s:03d}" for s in subjects]),
    )

