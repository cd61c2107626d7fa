"""Shapes in face units and where they land on the canvas: layers, pose, polygons, colours."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ferbench.data.synthetic.style import DomainStyle

Values = np.ndarray | float
"""A scalar, or one value per sample."""

ARC = np.linspace(0.0, 2.0 * np.pi, 40, endpoint=False)
"""Angles of a closed outline: the points of a whole ellipse."""


@dataclass(frozen=True)
class Layer:
    """One shape per sample: a filled polygon, or a polyline when ``width`` is given."""

    points: np.ndarray  # (N, P, 2) canvas pixels
    colour: np.ndarray  # (N, 3)
    visible: np.ndarray  # (N,) bool
    width: np.ndarray | None = None  # (N,) canvas pixels


@dataclass(frozen=True)
class Pose:
    """Where each face sits: a head pose warp in face units, then an affine onto the canvas."""

    yaw: np.ndarray
    pitch: np.ndarray
    matrix: np.ndarray  # (N, 2, 2): face units -> canvas pixels
    offset: np.ndarray  # (N, 2): face centre on the canvas
    unit: np.ndarray  # (N,) canvas pixels per face unit

    @classmethod
    def draw(cls, style: DomainStyle, n: int, side: int, rng: np.random.Generator) -> Pose:
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


def ellipse(
    cx: Values, cy: Values, rx: Values, ry: Values, angles: np.ndarray = ARC
) -> np.ndarray:
    """(N, P, 2) points of axis-aligned ellipses; arguments are scalars or (N,) arrays."""
    cx, cy, rx, ry = (np.asarray(v, dtype=float)[..., None] for v in (cx, cy, rx, ry))
    return polyline(cx + rx * np.cos(angles), cy + ry * np.sin(angles))


def rectangle(
    cx: np.ndarray, cy: np.ndarray, half_w: np.ndarray, half_h: np.ndarray, angle: np.ndarray
) -> np.ndarray:
    """(N, 4, 2) corners of rotated rectangles."""
    corners = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    local = corners * np.stack([half_w, half_h], -1)[:, None, :]
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    x = local[..., 0] * cos - local[..., 1] * sin + cx[:, None]
    y = local[..., 0] * sin + local[..., 1] * cos + cy[:, None]
    return np.stack([x, y], -1)


def polyline(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(N, P, 2) from x and y that broadcast to (N, P)."""
    return np.stack(np.broadcast_arrays(x, y), -1)


def mix(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """Colours ``a`` blended towards ``b`` by ``t`` (per sample)."""
    t = np.clip(np.asarray(t, dtype=float), 0, 1)
    return a + (b - a) * (t[..., None] if t.ndim else t)


def palette(
    rng: np.random.Generator, n: int, saturation: tuple[float, float], value: tuple[float, float]
) -> np.ndarray:
    """(N, 3) random colours with saturation and value drawn from the given ranges."""
    hue = rng.uniform(0, 1, size=(n, 1))
    wheel = 0.5 + 0.5 * np.cos(2 * np.pi * (hue + np.array([0.0, 1 / 3, 2 / 3])))
    s = rng.uniform(*saturation, size=(n, 1))
    v = rng.uniform(*value, size=(n, 1))
    return 255 * v * (1 - s + s * wheel)
