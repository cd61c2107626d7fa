"""The layers of a batch of pictures, back to front: background clutter, the face, occluders."""

from __future__ import annotations

import numpy as np

from ferbench.data.synthetic.expression import EXPRESSION_PARAMS, Traits
from ferbench.data.synthetic.shapes import (
    ARC,
    Layer,
    Pose,
    Values,
    ellipse,
    mix,
    palette,
    polyline,
    rectangle,
)
from ferbench.data.synthetic.style import DomainStyle

_UPPER_ARC = np.linspace(np.pi, 2.0 * np.pi, 11)
_U = np.linspace(-1.0, 1.0, 13)


def background_layers(
    style: DomainStyle, n: int, side: int, rng: np.random.Generator
) -> list[Layer]:
    """Clutter behind the face: two bars and two blobs, each present with some chance."""
    layers = []
    for kind in ("bar", "bar", "blob", "blob"):
        cx, cy = rng.uniform(0, side, size=(2, n))
        colour = palette(rng, n, style.background_saturation, value=(0.1, 1.0))
        visible = rng.random(n) < style.clutter
        if kind == "bar":
            half_w = rng.uniform(0.1, 0.6, size=n) * side
            half_h = rng.uniform(0.01, 0.08, size=n) * side
            points = rectangle(cx, cy, half_w, half_h, rng.uniform(0, np.pi, size=n))
        else:
            radius = rng.uniform(0.05, 0.3, size=(2, n)) * side
            points = ellipse(cx, cy, radius[0], radius[1])
        layers.append(Layer(points, colour, visible))
    return layers


class Sketch:
    """Layers of one batch of faces, added back to front in face units."""

    def __init__(self, pose: Pose, style: DomainStyle):
        self.pose, self.style = pose, style
        self.n = len(pose.unit)
        self.layers: list[Layer] = []

    def add(
        self,
        points: np.ndarray,
        colour: np.ndarray,
        visible: np.ndarray | None = None,
        width: Values | None = None,
        depth: float = 1.0,
    ) -> None:
        """A filled polygon, or a polyline ``width`` face units wide; ``depth`` as in pose."""
        points = np.broadcast_to(points, (self.n, *np.shape(points)[-2:]))
        visible = np.ones(self.n, dtype=bool) if visible is None else visible
        stroke = None if width is None else self.pose.stroke(width, self.style)
        self.layers.append(Layer(self.pose.place(points, depth), colour, visible, stroke))


def face_layers(
    face: Traits, expression: np.ndarray, pose: Pose, style: DomainStyle, rng: np.random.Generator
) -> list[Layer]:
    """Body, head, hair and features, back to front, shaped by identity and expression."""
    sketch = Sketch(pose, style)
    moves = dict(zip(EXPRESSION_PARAMS, expression.T, strict=True))
    ink = face["skin"] * 0.4
    _draw_head(sketch, face, rng)
    _draw_eyes(sketch, face, moves, ink, rng)
    _draw_nose(sketch, face, moves, ink)
    _draw_mouth(sketch, face, moves, ink)
    return sketch.layers


def _draw_head(sketch: Sketch, face: Traits, rng: np.random.Generator) -> None:
    """Long hair behind, shoulders, neck, ears, the head itself and the hairline."""
    n, skin, hair = sketch.n, face["skin"], face["hair"]
    shade = skin * 0.8
    face_w = face["face_width"]
    long_hair = face["long_hair"] & ~face["bald"]
    sketch.add(ellipse(0, 0.05, face_w * 1.25, 1.2), hair, long_hair, depth=-0.2)
    clothes = palette(rng, n, saturation=(0.1, 0.8), value=(0.15, 0.9))
    body_x = np.array([-1.8, -1.5, -0.45, 0.45, 1.5, 1.8])
    body_y = np.array([2.8, 1.5, 1.15, 1.15, 1.5, 2.8])
    sketch.add(polyline(body_x, body_y), clothes, depth=0)
    neck_x, neck_y = np.array([-0.32, 0.32, 0.36, -0.36]), np.array([0.5, 0.5, 1.35, 1.35])
    sketch.add(polyline(neck_x, neck_y), shade, depth=0)
    for side in (-1, 1):
        ear = ellipse(side * face_w * 0.97, face["eye_y"] + 0.15, 0.1, 0.19)
        sketch.add(ear, shade, depth=-0.3)
    head = ellipse(0, 0, face_w, 1.0)
    head[..., 0] *= 1 - face["chin"][:, None] * np.clip(np.sin(ARC), 0, 1)
    sketch.add(head, skin, depth=0.2)
    reach = np.arcsin((1 - face["fringe"]) / 1.05)[:, None]  # where the hairline meets the head
    hairline = np.pi + reach + (np.pi - 2 * reach) * np.linspace(0, 1, 20)
    sketch.add(ellipse(0, 0, face_w * 1.05, 1.05, angles=hairline), hair, ~face["bald"], depth=0.3)


def _draw_eyes(
    sketch: Sketch, face: Traits, moves: Traits, ink: np.ndarray, rng: np.random.Generator
) -> None:
    """Eye whites, irises and lids (opening), and brows (raise and tilt)."""
    eye_w, eye_y = face["eye_size"], face["eye_y"]
    eye_h = eye_w * 0.5 * np.clip(moves["eye_open"], 0.1, 1.8)
    iris = np.minimum(0.5 * eye_w, 0.95 * eye_h)
    gaze = rng.normal(0, 0.2, size=(2, sketch.n)) * eye_w
    white = np.full((sketch.n, 3), 238.0)
    brow_colour = mix(face["hair"], ink, 0.4)
    brow_y = (eye_y - eye_w * 0.5 - 0.12 - 0.1 * moves["brow_raise"])[:, None]
    tilt = moves["brow_tilt"][:, None]
    along = np.linspace(0, 1, 7)[None]  # inner end 0 .. outer end 1
    for side in (-1, 1):
        eye_x = side * face["eye_sep"]
        sketch.add(ellipse(eye_x, eye_y, eye_w, eye_h), white)
        sketch.add(ellipse(eye_x + gaze[0], eye_y + gaze[1] * 0.3, iris, iris), face["iris"])
        sketch.add(ellipse(eye_x, eye_y, eye_w, eye_h, angles=_UPPER_ARC), ink, width=0.022)
        x = side * (0.09 + along * (face["eye_sep"] + 1.15 * eye_w - 0.09)[:, None])
        y = brow_y + 0.09 * tilt * (1 - along) - 0.02 * tilt * along - 0.16 * along * (1 - along)
        sketch.add(polyline(x, y), brow_colour, width=face["brow_thick"])


def _draw_nose(sketch: Sketch, face: Traits, moves: Traits, ink: np.ndarray) -> None:
    """Bridge, base, and the creases of a wrinkled nose."""
    skin = face["skin"]
    tip, half_w = face["nose_tip"][:, None], face["nose_width"][:, None]
    bridge_y = np.concatenate([face["eye_y"][:, None] + 0.06, tip - 0.07], axis=1)
    sketch.add(polyline(np.full((1, 2), -0.05), bridge_y), skin * 0.8, width=0.02)
    sketch.add(polyline(_U * half_w, tip + 0.04 - 0.06 * _U**2), ink, width=0.022)
    crease = np.clip(moves["nose_wrinkle"], 0, 1)
    for row in (0.03, 0.09):
        y = face["eye_y"][:, None] + row + 0.015 * _U**2
        sketch.add(polyline(0.06 * _U, y), mix(skin, ink, crease), crease > 0.3, width=0.018)


def _draw_mouth(sketch: Sketch, face: Traits, moves: Traits, ink: np.ndarray) -> None:
    """Cheek folds, the open mouth with its teeth, and the lips (curve, opening, width)."""
    n, skin = sketch.n, face["skin"]
    curve, wrinkle = moves["mouth_curve"], moves["nose_wrinkle"]
    half_w = (0.3 * face["mouth_size"] * np.clip(moves["mouth_width"], 0.4, 1.6))[:, None]
    opening = np.clip(moves["mouth_open"], 0, 1.2)
    lift = 0.12 * curve[:, None]  # corners above the centre for a smile
    centre = face["mouth_y"][:, None] - lift * _U**2
    gap = 0.3 * opening[:, None] * np.sqrt(1 - _U**2)
    upper = polyline(half_w * _U, centre - 0.3 * gap)
    lower = polyline(half_w * _U, centre + 0.7 * gap)
    fold = np.clip(np.maximum(0.9 * curve, wrinkle) - 0.2, 0, 1)
    for side in (-1, 1):
        x = side * np.stack([face["nose_width"] + 0.03, half_w[:, 0] + 0.05], -1)
        y = np.stack([face["nose_tip"] - 0.02, face["mouth_y"] - lift[:, 0] + 0.04], -1)
        sketch.add(polyline(x, y), mix(skin, ink, fold), fold > 0.05, width=0.02)
    inside = np.concatenate([upper, lower[:, ::-1]], 1)
    sketch.add(inside, np.full((n, 3), [70.0, 25, 30]), opening > 0.06)
    teeth_edge = polyline(upper[..., 0], upper[..., 1] + 0.45 * (lower[..., 1] - upper[..., 1]))
    teeth = np.concatenate([upper, teeth_edge[:, ::-1]], 1)
    bared = (moves["teeth"] > 0.5) & (opening > 0.12)
    sketch.add(teeth, np.full((n, 3), [235.0, 230, 215]), bared)
    lips = skin * np.array([0.8, 0.55, 0.55])
    sketch.add(upper, lips, width=0.8 * face["lip_thick"])
    sketch.add(lower, lips, width=1.2 * face["lip_thick"])


def occluder_layer(style: DomainStyle, pose: Pose, n: int, rng: np.random.Generator) -> Layer:
    """A bar (glasses, scarf) or a patch (hand, microphone) over part of some faces."""
    is_bar = rng.random(n) < 0.5
    half_w = np.where(is_bar, rng.uniform(0.7, 1.0, size=n), rng.uniform(0.15, 0.35, size=n))
    half_h = np.where(is_bar, rng.uniform(0.06, 0.12, size=n), rng.uniform(0.15, 0.35, size=n))
    cx = np.where(is_bar, 0, rng.uniform(-0.6, 0.6, size=n))
    cy = rng.uniform(-0.3, 0.8, size=n)
    points = rectangle(cx, cy, half_w, half_h, rng.normal(0, 0.2, size=n))
    colour = palette(rng, n, saturation=(0.0, 0.6), value=(0.05, 0.9))
    return Layer(pose.place(points, 0.5), colour, rng.random(n) < style.occlusion)

