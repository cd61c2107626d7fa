"""Who is drawn and what they express: emotions, expression parameters, identities, label noise.

An expression is a point in a small parameter space near its emotion's prototype; identities
are per-subject traits drawn once per (seed, domain), so a subject looks the same in every
split.
"""

from __future__ import annotations

import numpy as np

from ferbench.core.labels import emotion_index
from ferbench.data.synthetic.shapes import palette
from ferbench.data.synthetic.style import DomainStyle

LABEL_NOISE_RATE = 0.05
"""Share of samples whose stored label is replaced by a different emotion."""

BASIC_EMOTIONS = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")
BASIC_LABELS = np.array([emotion_index(name) for name in BASIC_EMOTIONS], dtype=np.int64)
"""Canonical label of each of :data:`BASIC_EMOTIONS`, in that order."""

EXPRESSION_PARAMS = (
    "mouth_curve",  # + corners up (smile), - corners down
    "mouth_open",  # 0 closed .. 1 wide open
    "mouth_width",  # 1 relaxed
    "brow_tilt",  # + inner ends lowered (frown), - inner ends raised (worry)
    "brow_raise",  # + brows up
    "eye_open",  # 1 relaxed
    "nose_wrinkle",  # 0 none .. 1 strong
    "teeth",  # > 0.5 shows teeth when the mouth is open
)
PROTOTYPES = np.array(
    [  # curve  open  width  tilt  raise  eyes  wrinkle  teeth
        [-0.35, 0.10, 0.90, 1.00, -0.60, 0.80, 0.35, 0.30],  # anger
        [-0.45, 0.20, 0.90, 0.50, -0.40, 0.60, 1.00, 0.60],  # disgust
        [-0.25, 0.55, 1.15, -0.70, 0.80, 1.40, 0.00, 0.40],  # fear
        [1.00, 0.35, 1.20, 0.00, 0.10, 0.70, 0.00, 1.00],  # happiness
        [-0.80, 0.00, 0.90, -1.00, 0.10, 0.75, 0.00, 0.00],  # sadness
        [0.00, 1.00, 0.70, 0.00, 1.00, 1.50, 0.00, 0.00],  # surprise
        [0.00, 0.00, 1.00, 0.00, 0.00, 1.00, 0.00, 0.00],  # neutral
    ]
)
"""Expression parameters of each of :data:`BASIC_EMOTIONS` at full intensity."""
NEUTRAL = PROTOTYPES[BASIC_EMOTIONS.index("neutral")]
JITTER = np.array([0.15, 0.07, 0.06, 0.16, 0.16, 0.1, 0.1, 0.25])
"""Per-sample standard deviation of each expression parameter around its prototype."""

Traits = dict[str, np.ndarray]
"""Named per-subject or per-sample arrays (identity traits, expression moves)."""

_IDENTITY_STREAM = 0
_LIGHT_SKIN = np.array([238.0, 205.0, 180.0])
_DARK_SKIN = np.array([95.0, 62.0, 45.0])


def draw_identities(style: DomainStyle, seed: int) -> Traits:
    """Per-subject traits: the same subject looks the same in every split."""
    rng = np.random.default_rng([seed, style.salt, _IDENTITY_STREAM])
    n = style.n_subjects

    def uniform(low: float, high: float) -> np.ndarray:
        return rng.uniform(low, high, size=n)

    tone = uniform(*style.skin_tones)[:, None]
    skin = (1 - tone) * _LIGHT_SKIN + tone * _DARK_SKIN + rng.normal(0, 6, size=(n, 3))
    hair_shade = uniform(0.05, 1.0)[:, None] ** 2
    hair = hair_shade * np.array([225.0, 190.0, 120.0]) + rng.normal(0, 8, size=(n, 3)) + 20
    nose_tip = uniform(0.22, 0.34)
    return {
        "face_width": uniform(0.68, 0.84),
        "chin": uniform(0.08, 0.25),
        "eye_sep": uniform(0.27, 0.35),
        "eye_y": uniform(-0.2, -0.08),
        "eye_size": uniform(0.12, 0.16),
        "brow_thick": uniform(0.035, 0.065),
        "nose_tip": nose_tip,
        "nose_width": uniform(0.07, 0.11),
        "mouth_y": nose_tip + uniform(0.2, 0.3),
        "mouth_size": uniform(0.85, 1.12),
        "lip_thick": uniform(0.025, 0.05),
        "skin": skin,
        "hair": hair,
        "iris": palette(rng, n, saturation=(0.3, 0.7), value=(0.15, 0.45)),
        "fringe": uniform(0.15, 0.5),
        "bald": rng.random(n) < 0.1,
        "long_hair": rng.random(n) < 0.5,
        "quirk": rng.normal(0, 1, size=(n, len(EXPRESSION_PARAMS))) * JITTER * 0.5,
        "expressiveness": uniform(0.75, 1.2),
    }


def draw_expressions(
    emotions: np.ndarray, face: Traits, style: DomainStyle, rng: np.random.Generator
) -> np.ndarray:
    """(N, len(EXPRESSION_PARAMS)): prototype at a random intensity, plus quirks and jitter.

    A share of each expression may come from a second emotion (``style.compound``), as in
    the compound expressions of in-the-wild data; the label stays the dominant emotion.
    """
    n = len(emotions)
    second = rng.integers(len(BASIC_EMOTIONS), size=n)
    share = rng.uniform(0, style.compound, size=n)[:, None]
    target = (1 - share) * PROTOTYPES[emotions] + share * PROTOTYPES[second]
    intensity = rng.uniform(0.6, 1.15, size=n) * face["expressiveness"]
    jitter = rng.normal(0, 1, size=(n, len(EXPRESSION_PARAMS))) * JITTER
    return NEUTRAL + intensity[:, None] * (target - NEUTRAL) + face["quirk"] + jitter


def with_label_noise(emotions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The emotions with :data:`LABEL_NOISE_RATE` of them replaced by another emotion."""
    flipped = rng.random(len(emotions)) < LABEL_NOISE_RATE
    shift = rng.integers(1, len(BASIC_EMOTIONS), size=len(emotions))
    return np.where(flipped, (emotions + shift) % len(BASIC_EMOTIONS), emotions)
