"""Faces in photos: dlib's frontal detector, its 68 landmarks, and eye-aligned crops.

A crop is rotated so the eyes are level and scaled so that they sit where they sit in the
training data: measured with dlib on 300 random training faces each, FER2013's and CK+48's
eye midpoint is at (0.49, 0.39) and (0.49, 0.40) of the image side and the eyes are 0.36 of
it apart in both. Every model therefore sees a photo's face framed as its training faces were.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ferbench.features.landmarks import LEFT_EYE, RIGHT_EYE, dlib_models

EYES_AT = (0.49, 0.40)
"""Where the eye midpoint lies in a crop, as fractions of its width and height."""
EYE_DISTANCE = 0.36
"""Distance between the eye centres as a fraction of the crop side."""
UPSAMPLE_BELOW = 300
"""Photos whose shorter side is below this are upsampled once before detection, so faces of
about 40 px are found; larger photos are searched at their own size (about 4x faster),
where dlib finds faces from about 80 px."""


class UnreadableImage(ValueError):
    """A file Pillow cannot open or decode."""


@dataclass(frozen=True)
class DetectedFace:
    """One face in a photo: its detector box, 68 landmarks and aligned RGB crop."""

    box: tuple[int, int, int, int]
    """left, top, right, bottom in the photo's pixels."""
    landmarks: np.ndarray
    """(68, 2) x, y in the photo's pixels."""
    crop: np.ndarray
    """uint8 (side, side, 3), eyes level and framed as in :data:`EYES_AT`."""


def read_photo(path: Path) -> np.ndarray:
    """A photo as uint8 RGB (EXIF orientation applied); any format Pillow reads."""
    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)
            return np.asarray(image.convert("RGB"))
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise UnreadableImage(f"{path}: not an image Pillow can read ({error})") from None


def find_faces(photo: np.ndarray) -> list[DetectedFace]:
    """Every face dlib's frontal detector finds, largest first."""
    if photo.dtype != np.uint8 or photo.ndim != 3 or photo.shape[2] != 3:
        raise ValueError(f"find_faces needs a uint8 (H, W, 3) photo, got {photo.dtype} "
                         f"{photo.shape}")
    models = dlib_models()
    upsample = 1 if min(photo.shape[:2]) < UPSAMPLE_BELOW else 0
    boxes = sorted(models.detector(photo, upsample), key=lambda box: -box.area())
    return [face_in_box(photo, (box.left(), box.top(), box.right(), box.bottom()))
            for box in boxes]


def face_in_box(photo: np.ndarray, box: tuple[int, int, int, int]) -> DetectedFace:
    """The face inside ``box`` (left, top, right, bottom; a detector's or a dataset's
    published one): its 68 landmarks and the crop :func:`find_faces` would make of it."""
    import dlib

    shape = dlib_models().predictor(photo, dlib.rectangle(*box))
    points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
    return DetectedFace(box=box, landmarks=points, crop=aligned_crop(photo, points))


def aligned_crop(photo: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The square crop with level eyes at :data:`EYES_AT`, at the face's own resolution."""
    right_eye = landmarks[RIGHT_EYE].mean(axis=0)
    left_eye = landmarks[LEFT_EYE].mean(axis=0)
    axis = left_eye - right_eye
    distance = max(float(np.hypot(*axis)), 1.0)
    side = max(48, round(distance / EYE_DISTANCE))
    scale = distance / (EYE_DISTANCE * side)
    cos, sin = axis / distance
    middle = (right_eye + left_eye) / 2
    target_x, target_y = EYES_AT[0] * side, EYES_AT[1] * side
    # PIL maps each crop pixel (u, v) back to the photo: x = a u + b v + c, y = d u + e v + f.
    a, b = scale * cos, -scale * sin
    d, e = scale * sin, scale * cos
    c = middle[0] - a * target_x - b * target_y
    f = middle[1] - d * target_x - e * target_y
    crop = Image.fromarray(photo).transform((side, side), Image.Transform.AFFINE,
                                            (a, b, c, d, e, f), Image.Resampling.BILINEAR)
    return np.asarray(crop)
