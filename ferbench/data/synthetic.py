"""Procedurally drawn faces whose expression geometry follows the emotion.

The embedded datasets ``synth-fer`` and ``synth-raf`` (``datasets/synthetic.py``) come from
here, so that a fresh machine benchmarks something real without a download. Each face is a
vector drawing: an identity (face shape, feature sizes, skin, hair) wears an expression (a
point in a small parameter space near its emotion's prototype, jittered so classes overlap)
under nuisance variation (pose, rotation, scale, lighting, blur, noise, occlusion, clutter).
A :class:`DomainStyle` fixes how one domain looks; two styles make a real domain gap.

Every random draw comes from a numpy generator seeded by (seed, domain, split), so the same
arguments give bit-identical arrays. :func:`load_splits` caches generated splits as ``.npz``.
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw

from ferbench.core.labels import emotion_index

GENERATOR_VERSION = 1
"""Bumped whenever the drawing changes, so a stale cache is never read."""

LABEL_NOISE_RATE = 0.05
"""Share of samples whose stored label is replaced by a different emotion."""

SPLITS = ("train", "val", "test")
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
_ARC = np.linspace(0.0, 2.0 * np.pi, 40, endpoint=False)
_UPPER_ARC = np.linspace(np.pi, 2.0 * np.pi, 11)
_U = np.linspace(-1.0, 1.0, 13)


@dataclass(frozen=True)
class DomainStyle:
    """How one domain looks: image format, crop, drawing style and nuisance ranges.

    Lengths in "face units" are relative to the face's half-height; ranges are (low, high)
    of a uniform draw; "std" values are standard deviations of a normal draw.
    """

    size: int  # output side in pixels
    rgb: bool
    supersample: int  # drawn at size * supersample, then box-downsampled
    salt: int  # keeps this domain's random streams apart from every other domain's
    n_subjects: int
    class_weights: tuple[float, ...]  # prior of each of BASIC_EMOTIONS
    compound: float  # largest share of a second emotion blended into an expression
    face_scale: float  # face half-height / image side: small = loose crop
    face_centre_y: float  # face centre height / image side
    scale_std: float  # std of the log face scale
    shift_std: float  # std of the face centre offset, fraction of the side
    rotation_std: float  # degrees
    yaw_std: float  # pose: sideways shift of the features, face units
    line_width: float  # multiplier of every stroke width
    skin_tones: tuple[float, float]  # darkness range, 0 light .. 1 dark
    background_saturation: tuple[float, float]
    clutter: float  # probability of each of four background shapes
    occlusion: float  # probability of an occluding bar or patch
    light_gradient: float  # maximum strength of the illumination gradient
    colour_cast_std: float  # per-channel white-balance error (colour domains)
    contrast: tuple[float, float]
    brightness_std: float  # grey levels
    blur: tuple[float, float]  # weight range of a 3x3 binomial blur, output pixels
    noise: tuple[float, float]  # gaussian noise std range, grey levels


STYLES: dict[str, DomainStyle] = {
    "fer": DomainStyle(
        size=48,
        rgb=False,
        supersample=4,
        salt=4817,
        n_subjects=150,
        class_weights=(3.0, 1.0, 3.0, 6.0, 3.5, 2.5, 4.0),
        compound=0.0,
        face_scale=0.39,
        face_centre_y=0.52,
        scale_std=0.06,
        shift_std=0.025,
        rotation_std=5.0,
        yaw_std=0.3,
        line_width=1.25,
        skin_tones=(0.0, 0.9),
        background_saturation=(0.0, 0.3),
        clutter=0.4,
        occlusion=0.08,
        light_gradient=0.3,
        colour_cast_std=0.0,
        contrast=(0.65, 1.0),
        brightness_std=15.0,
        blur=(0.0, 0.8),
        noise=(2.0, 5.0),
    ),
    "raf": DomainStyle(
        size=100,
        rgb=True,
        supersample=2,
        salt=7236,
        n_subjects=240,
        class_weights=(2.0, 1.2, 1.4, 7.2, 3.0, 2.2, 4.2),
        compound=0.4,
        face_scale=0.56,
        face_centre_y=0.42,
        scale_std=0.04,
        shift_std=0.02,
        rotation_std=4.0,
        yaw_std=0.25,
        line_width=0.7,
        skin_tones=(0.0, 0.85),
        background_saturation=(0.2, 0.8),
        clutter=0.35,
        occlusion=0.10,
        light_gradient=0.3,
        colour_cast_std=0.06,
        contrast=(0.8, 1.2),
        brightness_std=10.0,
        blur=(0.0, 0.6),
        noise=(1.0, 5.0),
    ),
}
"""Drawing styles by domain: ``fer`` is FER2013-like, ``raf`` RAF-DB-like."""


class SyntheticSplit(NamedTuple):
    """One generated split; ``labels`` carry the label noise, ``clean_labels`` do not."""

    images: np.ndarray
    labels: np.ndarray
    clean_labels: np.ndarray
    subjects: np.ndarray


def domain_style(domain: str) -> DomainStyle:
    """The style of ``domain``; an unknown name lists the known ones."""
    try:
        return STYLES[domain]
    except KeyError:
        raise ValueError(
            f"unknown synthetic domain {domain!r}; known domains: {', '.join(STYLES)}"
        ) from None


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
    identities = _identities(style, seed)
    rng = np.random.default_rng([seed, style.salt, 1 + SPLITS.index(split)])
    weights = np.asarray(style.class_weights) / sum(style.class_weights)
    emotions = rng.choice(len(BASIC_EMOTIONS), size=n, p=weights)
    subjects = rng.integers(style.n_subjects, size=n)
    face = {trait: values[subjects] for trait, values in identities.items()}
    expression = _expressions(emotions, face, style, rng)
    side = style.size * style.supersample
    pose = _Pose.draw(style, n, side, rng)
    layers = [
        *_background_layers(style, n, side, rng),
        *_face_layers(face, expression, pose, style, rng),
        _occluder_layer(style, pose, n, rng),
    ]
    background = _palette(rng, n, style.background_saturation, value=(0.25, 0.95))
    images = _render(layers, background, side, style.supersample)
    if not style.rgb:
        images = _luma(images)
    images = _photometric(images, style, rng)
    noisy = _with_label_noise(emotions, rng)
    return SyntheticSplit(
        images=images,
        labels=BASIC_LABELS[noisy],
        clean_labels=BASIC_LABELS[emotions],
        subjects=np.array([f"s{s:03d}" for s in subjects]),
    )


def load_splits(
    domain: str, sizes: Mapping[str, int], seed: int, cache_dir: Path | None = None
) -> dict[str, SyntheticSplit]:
    """Train, val and test of ``domain`` with ``sizes[split]`` faces each, cached on disk.

    The cache file is keyed by (generator version, domain, sizes, seed); one that is
    unreadable or does not match is regenerated, never trusted.
    """
    domain_style(domain)
    counts = {split: check_count(f"n_{split}", sizes.get(split)) for split in SPLITS}
    seed = check_seed(seed)
    path = None if cache_dir is None else Path(cache_dir) / cache_file_name(domain, counts, seed)
    if path is not None:
        cached = _read_cache(path, domain, counts, seed)
        if cached is not None:
            return cached
    splits = {split: generate(domain, counts[split], seed, split) for split in SPLITS}
    if path is not None:
        _write_cache(path, splits, _cache_meta(domain, counts, seed))
    return splits


def cache_file_name(domain: str, sizes: Mapping[str, int], seed: int) -> str:
    """The cache file of one (generator version, domain, sizes, seed)."""
    counts = "-".join(str(sizes[split]) for split in SPLITS)
    return f"{domain}-v{GENERATOR_VERSION}-seed{seed}-{counts}.npz"


# --- identities and expressions ------------------------------------------------------------


def _identities(style: DomainStyle, seed: int) -> Traits:
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
        "iris": _palette(rng, n, saturation=(0.3, 0.7), value=(0.15, 0.45)),
        "fringe": uniform(0.15, 0.5),
        "bald": rng.random(n) < 0.1,
        "long_hair": rng.random(n) < 0.5,
        "quirk": rng.normal(0, 1, size=(n, len(EXPRESSION_PARAMS))) * JITTER * 0.5,
        "expressiveness": uniform(0.75, 1.2),
    }


def _expressions(
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


def _with_label_noise(emotions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The emotions with :data:`LABEL_NOISE_RATE` of them replaced by another emotion."""
    flipped = rng.random(len(emotions)) < LABEL_NOISE_RATE
    shift = rng.integers(1, len(BASIC_EMOTIONS), size=len(emotions))
    return np.where(flipped, (emotions + shift) % len(BASIC_EMOTIONS), emotions)


# --- geometry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layer:
    """One shape per sample: a filled polygon, or a polyline when ``width`` is given."""

    points: np.ndarray  # (N, P, 2) canvas pixels
    colour: np.ndarray  # (N, 3)
    visible: np.ndarray  # (N,) bool
    width: np.ndarray | None = None  # (N,) canvas pixels


@dataclass(frozen=True)
class _Pose:
    """Where each face sits: a head pose warp in face units, then an affine onto the canvas."""

    yaw: np.ndarray
    pitch: np.ndarray
    matrix: np.ndarray  # (N, 2, 2): face units -> canvas pixels
    offset: np.ndarray  # (N, 2): face centre on the canvas
    unit: np.ndarray  # (N,) canvas pixels per face unit

    @classmethod
    def draw(cls, style: DomainStyle, n: int, side: int, rng: np.random.Generator) -> _Pose:
        unit = side * style.face_scale * np.exp(rng.normal(0, style.scale_std, size=n))
        angle = np.radians(rng.normal(0, style.rotation_std, size=n))
        cos, sin = np.cos(angle), np.sin(angle)
        rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], 1)
        matrix = unit[:, None, None] * rotation
        centre = np.array([0.5, style.face_centre_y])
        offset = side * (centre + rng.normal(0, style.shift_std, size=(n, 2)))
        yaw = np.clip(rng.normal(0, style.yaw_std, size=n), -0.8, 0.8)
        pitch = np.clip(rng.normal(0, style.yaw_std * 0.7, size=n), -0.6, 0.6)
        return cls(yaw, pitch, matrix, offset, unit)

    def place(self, points: np.ndarray, depth: float) -> np.ndarray:
        """Face-unit points onto the canvas; ``depth`` scales how far pose moves them."""
        x, y = points[..., 0], points[..., 1]
        yaw, pitch = self.yaw[:, None], self.pitch[:, None]
        x = x * (1 - 0.15 * np.abs(yaw)) + 0.35 * yaw * depth
        y = y + 0.15 * pitch * depth
        warped = np.stack([x, y], axis=-1)
        return np.einsum("nij,npj->npi", self.matrix, warped) + self.offset[:, None, :]

    def stroke(self, width: np.ndarray | float, style: DomainStyle) -> np.ndarray:
        """A stroke width in face units as whole canvas pixels (at least one)."""
        return np.maximum(1, np.rint(np.asarray(width) * self.unit * style.line_width))


def _ellipse(cx, cy, rx, ry, angles: np.ndarray = _ARC) -> np.ndarray:
    """(N, P, 2) points of axis-aligned ellipses; arguments are scalars or (N,) arrays."""
    cx, cy, rx, ry = (np.asarray(v, dtype=float)[..., None] for v in (cx, cy, rx, ry))
    return _polyline(cx + rx * np.cos(angles), cy + ry * np.sin(angles))


def _rectangle(cx, cy, half_w, half_h, angle) -> np.ndarray:
    """(N, 4, 2) corners of rotated rectangles."""
    corners = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    local = corners * np.stack([half_w, half_h], -1)[:, None, :]
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    x = local[..., 0] * cos - local[..., 1] * sin + cx[:, None]
    y = local[..., 0] * sin + local[..., 1] * cos + cy[:, None]
    return np.stack([x, y], -1)


def _polyline(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(N, P, 2) from x and y that broadcast to (N, P)."""
    return np.stack(np.broadcast_arrays(x, y), -1)


def _mix(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """Colours ``a`` blended towards ``b`` by ``t`` (per sample)."""
    t = np.clip(np.asarray(t, dtype=float), 0, 1)
    return a + (b - a) * (t[..., None] if t.ndim else t)


def _palette(rng: np.random.Generator, n: int, saturation, value) -> np.ndarray:
    """(N, 3) random colours with saturation and value drawn from the given ranges."""
    hue = rng.uniform(0, 1, size=(n, 1))
    wheel = 0.5 + 0.5 * np.cos(2 * np.pi * (hue + np.array([0.0, 1 / 3, 2 / 3])))
    s = rng.uniform(*saturation, size=(n, 1))
    v = rng.uniform(*value, size=(n, 1))
    return 255 * v * (1 - s + s * wheel)


def _background_layers(
    style: DomainStyle, n: int, side: int, rng: np.random.Generator
) -> list[_Layer]:
    """Clutter behind the face: two bars and two blobs, each present with some chance."""
    layers = []
    for kind in ("bar", "bar", "blob", "blob"):
        cx, cy = rng.uniform(0, side, size=(2, n))
        colour = _palette(rng, n, style.background_saturation, value=(0.1, 1.0))
        visible = rng.random(n) < style.clutter
        if kind == "bar":
            half_w = rng.uniform(0.1, 0.6, size=n) * side
            half_h = rng.uniform(0.01, 0.08, size=n) * side
            points = _rectangle(cx, cy, half_w, half_h, rng.uniform(0, np.pi, size=n))
        else:
            radius = rng.uniform(0.05, 0.3, size=(2, n)) * side
            points = _ellipse(cx, cy, radius[0], radius[1])
        layers.append(_Layer(points, colour, visible))
    return layers


class _Sketch:
    """Layers of one batch of faces, added back to front in face units."""

    def __init__(self, pose: _Pose, style: DomainStyle):
        self.pose, self.style = pose, style
        self.n = len(pose.unit)
        self.layers: list[_Layer] = []

    def add(self, points, colour, visible=None, width=None, depth: float = 1.0) -> None:
        """A filled polygon, or a polyline ``width`` face units wide; ``depth`` as in pose."""
        points = np.broadcast_to(points, (self.n, *np.shape(points)[-2:]))
        visible = np.ones(self.n, dtype=bool) if visible is None else visible
        stroke = None if width is None else self.pose.stroke(width, self.style)
        self.layers.append(_Layer(self.pose.place(points, depth), colour, visible, stroke))


def _face_layers(
    face: Traits, expression: np.ndarray, pose: _Pose, style: DomainStyle, rng: np.random.Generator
) -> list[_Layer]:
    """Body, head, hair and features, back to front, shaped by identity and expression."""
    sketch = _Sketch(pose, style)
    moves = dict(zip(EXPRESSION_PARAMS, expression.T, strict=True))
    ink = face["skin"] * 0.4
    _draw_head(sketch, face, rng)
    _draw_eyes(sketch, face, moves, ink, rng)
    _draw_nose(sketch, face, moves, ink)
    _draw_mouth(sketch, face, moves, ink)
    return sketch.layers


def _draw_head(sketch: _Sketch, face: Traits, rng: np.random.Generator) -> None:
    """Long hair behind, shoulders, neck, ears, the head itself and the hairline."""
    n, skin, hair = sketch.n, face["skin"], face["hair"]
    shade = skin * 0.8
    face_w = face["face_width"]
    long_hair = face["long_hair"] & ~face["bald"]
    sketch.add(_ellipse(0, 0.05, face_w * 1.25, 1.2), hair, long_hair, depth=-0.2)
    clothes = _palette(rng, n, saturation=(0.1, 0.8), value=(0.15, 0.9))
    body_x = np.array([-1.8, -1.5, -0.45, 0.45, 1.5, 1.8])
    body_y = np.array([2.8, 1.5, 1.15, 1.15, 1.5, 2.8])
    sketch.add(_polyline(body_x, body_y), clothes, depth=0)
    neck_x, neck_y = np.array([-0.32, 0.32, 0.36, -0.36]), np.array([0.5, 0.5, 1.35, 1.35])
    sketch.add(_polyline(neck_x, neck_y), shade, depth=0)
    for side in (-1, 1):
        ear = _ellipse(side * face_w * 0.97, face["eye_y"] + 0.15, 0.1, 0.19)
        sketch.add(ear, shade, depth=-0.3)
    head = _ellipse(0, 0, face_w, 1.0)
    head[..., 0] *= 1 - face["chin"][:, None] * np.clip(np.sin(_ARC), 0, 1)
    sketch.add(head, skin, depth=0.2)
    reach = np.arcsin((1 - face["fringe"]) / 1.05)[:, None]  # where the hairline meets the head
    hairline = np.pi + reach + (np.pi - 2 * reach) * np.linspace(0, 1, 20)
    sketch.add(_ellipse(0, 0, face_w * 1.05, 1.05, angles=hairline), hair, ~face["bald"], depth=0.3)


def _draw_eyes(
    sketch: _Sketch, face: Traits, moves: Traits, ink: np.ndarray, rng: np.random.Generator
) -> None:
    """Eye whites, irises and lids (opening), and brows (raise and tilt)."""
    eye_w, eye_y = face["eye_size"], face["eye_y"]
    eye_h = eye_w * 0.5 * np.clip(moves["eye_open"], 0.1, 1.8)
    iris = np.minimum(0.5 * eye_w, 0.95 * eye_h)
    gaze = rng.normal(0, 0.2, size=(2, sketch.n)) * eye_w
    white = np.full((sketch.n, 3), 238.0)
    brow_colour = _mix(face["hair"], ink, 0.4)
    brow_y = (eye_y - eye_w * 0.5 - 0.12 - 0.1 * moves["brow_raise"])[:, None]
    tilt = moves["brow_tilt"][:, None]
    along = np.linspace(0, 1, 7)[None]  # inner end 0 .. outer end 1
    for side in (-1, 1):
        eye_x = side * face["eye_sep"]
        sketch.add(_ellipse(eye_x, eye_y, eye_w, eye_h), white)
        sketch.add(_ellipse(eye_x + gaze[0], eye_y + gaze[1] * 0.3, iris, iris), face["iris"])
        sketch.add(_ellipse(eye_x, eye_y, eye_w, eye_h, angles=_UPPER_ARC), ink, width=0.022)
        x = side * (0.09 + along * (face["eye_sep"] + 1.15 * eye_w - 0.09)[:, None])
        y = brow_y + 0.09 * tilt * (1 - along) - 0.02 * tilt * along - 0.16 * along * (1 - along)
        sketch.add(_polyline(x, y), brow_colour, width=face["brow_thick"])


def _draw_nose(sketch: _Sketch, face: Traits, moves: Traits, ink: np.ndarray) -> None:
    """Bridge, base, and the creases of a wrinkled nose."""
    skin = face["skin"]
    tip, half_w = face["nose_tip"][:, None], face["nose_width"][:, None]
    bridge_y = np.concatenate([face["eye_y"][:, None] + 0.06, tip - 0.07], axis=1)
    sketch.add(_polyline(np.full((1, 2), -0.05), bridge_y), skin * 0.8, width=0.02)
    sketch.add(_polyline(_U * half_w, tip + 0.04 - 0.06 * _U**2), ink, width=0.022)
    crease = np.clip(moves["nose_wrinkle"], 0, 1)
    for row in (0.03, 0.09):
        y = face["eye_y"][:, None] + row + 0.015 * _U**2
        sketch.add(_polyline(0.06 * _U, y), _mix(skin, ink, crease), crease > 0.3, width=0.018)


def _draw_mouth(sketch: _Sketch, face: Traits, moves: Traits, ink: np.ndarray) -> None:
    """Cheek folds, the open mouth with its teeth, and the lips (curve, opening, width)."""
    n, skin = sketch.n, face["skin"]
    curve, wrinkle = moves["mouth_curve"], moves["nose_wrinkle"]
    half_w = (0.3 * face["mouth_size"] * np.clip(moves["mouth_width"], 0.4, 1.6))[:, None]
    opening = np.clip(moves["mouth_open"], 0, 1.2)
    lift = 0.12 * curve[:, None]  # corners above the centre for a smile
    centre = face["mouth_y"][:, None] - lift * _U**2
    gap = 0.3 * opening[:, None] * np.sqrt(1 - _U**2)
    upper = _polyline(half_w * _U, centre - 0.3 * gap)
    lower = _polyline(half_w * _U, centre + 0.7 * gap)
    fold = np.clip(np.maximum(0.9 * curve, wrinkle) - 0.2, 0, 1)
    for side in (-1, 1):
        x = side * np.stack([face["nose_width"] + 0.03, half_w[:, 0] + 0.05], -1)
        y = np.stack([face["nose_tip"] - 0.02, face["mouth_y"] - lift[:, 0] + 0.04], -1)
        sketch.add(_polyline(x, y), _mix(skin, ink, fold), fold > 0.05, width=0.02)
    inside = np.concatenate([upper, lower[:, ::-1]], 1)
    sketch.add(inside, np.full((n, 3), [70.0, 25, 30]), opening > 0.06)
    teeth_edge = _polyline(upper[..., 0], upper[..., 1] + 0.45 * (lower[..., 1] - upper[..., 1]))
    teeth = np.concatenate([upper, teeth_edge[:, ::-1]], 1)
    bared = (moves["teeth"] > 0.5) & (opening > 0.12)
    sketch.add(teeth, np.full((n, 3), [235.0, 230, 215]), bared)
    lips = skin * np.array([0.8, 0.55, 0.55])
    sketch.add(upper, lips, width=0.8 * face["lip_thick"])
    sketch.add(lower, lips, width=1.2 * face["lip_thick"])


def _occluder_layer(style: DomainStyle, pose: _Pose, n: int, rng: np.random.Generator) -> _Layer:
    """A bar (glasses, scarf) or a patch (hand, microphone) over part of some faces."""
    is_bar = rng.random(n) < 0.5
    half_w = np.where(is_bar, rng.uniform(0.7, 1.0, size=n), rng.uniform(0.15, 0.35, size=n))
    half_h = np.where(is_bar, rng.uniform(0.06, 0.12, size=n), rng.uniform(0.15, 0.35, size=n))
    cx = np.where(is_bar, 0, rng.uniform(-0.6, 0.6, size=n))
    cy = rng.uniform(-0.3, 0.8, size=n)
    points = _rectangle(cx, cy, half_w, half_h, rng.normal(0, 0.2, size=n))
    colour = _palette(rng, n, saturation=(0.0, 0.6), value=(0.05, 0.9))
    return _Layer(pose.place(points, 0.5), colour, rng.random(n) < style.occlusion)


# --- pixels --------------------------------------------------------------------------------


def _render(layers: list[_Layer], background: np.ndarray, side: int, factor: int) -> np.ndarray:
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


def _luma(images: np.ndarray) -> np.ndarray:
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


def _photometric(images: np.ndarray, style: DomainStyle, rng: np.random.Generator) -> np.ndarray:
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


# --- cache ---------------------------------------------------------------------------------

_UNREADABLE = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)


def _cache_meta(domain: str, sizes: Mapping[str, int], seed: int) -> str:
    """What a cache file must say it holds to be read back."""
    meta = {"version": GENERATOR_VERSION, "domain": domain, "sizes": dict(sizes), "seed": seed}
    return json.dumps(meta, sort_keys=True)


def _read_cache(
    path: Path, domain: str, sizes: Mapping[str, int], seed: int
) -> dict[str, SyntheticSplit] | None:
    """The cached splits, or None when the file is absent, unreadable or does not match."""
    style = domain_style(domain)
    image_shape = (style.size, style.size, 3) if style.rgb else (style.size, style.size)
    try:
        with np.load(path, allow_pickle=False) as archive:
            if str(archive["meta"]) != _cache_meta(domain, sizes, seed):
                return None
            splits = {
                split: SyntheticSplit(*(archive[f"{split}_{f}"] for f in SyntheticSplit._fields))
                for split in SPLITS
            }
    except _UNREADABLE:
        return None
    for split, part in splits.items():
        n = sizes[split]
        sound = (
            part.images.dtype == np.uint8
            and part.images.shape == (n, *image_shape)
            and all(column.shape == (n,) for column in part[1:])
            and part.subjects.dtype.kind == "U"
            and np.isin(part.labels, BASIC_LABELS).all()
            and np.isin(part.clean_labels, BASIC_LABELS).all()
        )
        if not sound:
            return None
    return splits


def _write_cache(path: Path, splits: Mapping[str, SyntheticSplit], meta: str) -> None:
    """Write atomically (temp file, then rename); a cache that cannot be written only warns."""
    arrays = {
        f"{split}_{field}": value
        for split, part in splits.items()
        for field, value in zip(SyntheticSplit._fields, part, strict=True)
    }
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            np.savez(handle, meta=np.array(meta), **arrays)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        warnings.warn(f"could not cache synthetic data at {path}: {error}", stacklevel=3)
