"""Faces in photos: dlib's frontal detector, its 68 landmarks, and eye-aligned crops.

A crop is rotated so the eyes are level and scaled so that they sit where they sit in the
training data: measured with dlib on 300 random training faces each, FER2013's and CK+48's
eye midpoint is at (0.49, 0.39) and (0.49, 0.40) of the image side and the eyes are 0.36 of
it apart in both. Every model therefore sees a photo's face framed as its training faces were.

:func:`find_faces` is the first try, shared with datasets prepared with ``crop = "detect"``.
``ferbench predict`` goes on where it finds nothing (:func:`locate_faces`): a photo that is
already a tight face crop gives the frontal detector no margin and often too few pixels, so
it retries on the photo upsampled and framed in a black margin, then with dlib's CNN face
detector (``mmod_human_face_detector``, shipped with the landmark model in
``face_recognition_models``), then less strictly, and last with MTCNN
(:mod:`ferbench.data.faces.mtcnn`), see :data:`RETRIES`. Each face says how it
was found (:data:`FOUND`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from ferbench.data.faces import mtcnn
from ferbench.features.landmarks import LEFT_EYE, RIGHT_EYE, dlib_models, model_path

EYES_AT = (0.49, 0.40)
"""Where the eye midpoint lies in a crop, as fractions of its width and height."""
EYE_DISTANCE = 0.36
"""Distance between the eye centres as a fraction of the crop side."""
UPSAMPLE_BELOW = 300
"""Photos whose shorter side is below this are upsampled once before detection, so faces of
about 40 px are found; larger photos are searched at their own size (about 4x faster),
where dlib finds faces from about 80 px."""
FOUND = ("detector", "retry", "image box", "whole image")
"""How a face was found: the frontal detector's first try, a retry, landmarks fitted in a
face crop's whole image (:func:`frame_faces`), or the whole image taken as the face
(``--faces whole``)."""
CROP_SIDE = 100
"""Images whose shorter side is at most this many pixels are face crops, as every published
dataset of that size is (FER2013, FER+, CK+48, RAF-DB aligned): see :func:`frame_faces`."""


@dataclass(frozen=True)
class Retry:
    """One retry of :func:`locate_faces`: a detector run on the photo scaled so its shorter
    side lies within [min_side, max_side] (max_side bounds the cost on large photos), padded
    on every edge by ``margin`` of that side (numpy's pad ``mode``, or ``"gray"``: mid-grey)."""

    detector: str
    min_side: int
    max_side: int
    margin: float
    mode: str
    threshold: float = 0.0
    """Added to the frontal detector's score threshold (dlib's ``adjust_threshold``), or the
    CNN detector's least confidence, or MTCNN's least face probability at each of its three
    stages; a lower one accepts less certain faces."""


RETRIES = (Retry("frontal", 150, 480, 0.5, "constant"), Retry("cnn", 120, 240, 0.1, "reflect"),
           Retry("frontal", 150, 480, 0.5, "constant", -0.3),
           Retry("cnn", 200, 200, 0.2, "reflect"), Retry("mtcnn", 120, 360, 0.3, "gray", 0.5),
           Retry("mtcnn", 120, 240, 0.0, "gray", 0.5))
"""The retries in order, each parameter chosen by ``benchmarks/predict_faces.py`` on FER2013,
CK+48 and RAF-DB test crops and on scenes made of them: a black margin lets the frontal
detector find faces that fill the frame; the CNN detector finds most of what it still
misses, at several times its cost, which only photos without a frontal face pay; the
frontal detector with a lowered threshold and the CNN detector on a larger, wider-framed
photo find about a third of what remains; MTCNN (:mod:`ferbench.data.faces.mtcnn`), trained
on faces in the wild, in a grey margin and then without one, finds most of the rest (tight,
tilted and half-profile faces). None of them finds a face in a blank image. Only the first
is used to align datasets' faces (:mod:`ferbench.data.faces.frame`)."""
CNN_MODEL = "mmod_human_face_detector.dat"


class UnreadableImage(ValueError):
    """A file Pillow cannot open or decode."""


@dataclass(frozen=True)
class DetectedFace:
    """One face in a photo: its box, 68 landmarks, aligned RGB crop and how it was found."""

    box: tuple[int, int, int, int]
    """left, top, right, bottom in the photo's pixels."""
    landmarks: np.ndarray | None
    """(68, 2) x, y in the photo's pixels; None for a whole image taken as the face."""
    crop: np.ndarray
    """uint8 (side, side, 3), eyes level and framed as in :data:`EYES_AT`; the photo itself
    for a whole image."""
    found: str = "detector"
    """One of :data:`FOUND`."""


def read_photo(path: Path) -> np.ndarray:
    """A photo as uint8 RGB (EXIF orientation applied); any format Pillow reads."""
    if not Path(path).is_file():
        raise UnreadableImage(f"{path}: no such file")
    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)
            return np.asarray(image.convert("RGB"))
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise UnreadableImage(f"{path}: not an image Pillow can read ({error})") from None


def find_faces(photo: np.ndarray) -> list[DetectedFace]:
    """Every face dlib's frontal detector finds, largest first."""
    _check_photo(photo, "find_faces")
    models = dlib_models()
    upsample = 1 if min(photo.shape[:2]) < UPSAMPLE_BELOW else 0
    boxes = sorted(models.detector(photo, upsample), key=lambda box: -box.area())
    return [face_in_box(photo, (box.left(), box.top(), box.right(), box.bottom()))
            for box in boxes]


def locate_faces(photo: np.ndarray, retries: tuple[Retry, ...] = RETRIES
                 ) -> list[DetectedFace]:
    """Every face :func:`find_faces` finds; where it finds none, those of the first of
    ``retries`` that finds any (by default the frontal detector on the photo upsampled in a
    black margin, then dlib's CNN detector, then MTCNN). Largest first; an empty list when
    every try fails."""
    return find_faces(photo) or _retried(photo, retries)


def _retried(photo: np.ndarray, retries: tuple[Retry, ...]) -> list[DetectedFace]:
    """The faces of the first of ``retries`` that finds any, largest first."""
    for retry in retries:
        framed, scale, pad = _framed(photo, retry)
        detect = DETECTORS[retry.detector]
        boxes = sorted(detect(framed, retry.threshold), key=lambda box: -box.area())
        if boxes:
            return [_retried_face(photo, framed, box, scale, pad) for box in boxes]
    return []


def frame_faces(photo: np.ndarray, retry_further: bool = True) -> list[DetectedFace]:
    """The faces of ``photo`` as ferbench frames them for aligned faces, in one rule for
    datasets' faces (``--faces aligned``) and for ``ferbench predict``: dlib's frontal
    detector, then its first retry; where both fail on an image no larger than
    :data:`CROP_SIDE`, the image is a face crop and the landmarks are fitted inside all of it
    as if it were the detector's box (``image box``: on crops the detector finds, the eyes
    land within about 1 % of the side of where its box puts them); on a larger image, with
    ``retry_further``, the later :data:`RETRIES`. Largest first; empty when nothing is found."""
    faces = locate_faces(photo, RETRIES[:1])
    if faces:
        return faces
    if min(photo.shape[:2]) <= CROP_SIDE:
        height, width = photo.shape[:2]
        return [replace(face_in_box(photo, (0, 0, width, height)), found="image box")]
    return _retried(photo, RETRIES[1:]) if retry_further else []


def whole_face(photo: np.ndarray) -> DetectedFace:
    """The whole photo as one face, as a dataset with ``crop = "none"`` takes its files."""
    _check_photo(photo, "whole_face")
    height, width = photo.shape[:2]
    return DetectedFace(box=(0, 0, width, height), landmarks=None, crop=photo,
                        found="whole image")


def face_in_box(photo: np.ndarray, box: tuple[int, int, int, int]) -> DetectedFace:
    """The face inside ``box`` (left, top, right, bottom; a detector's or a dataset's
    published one): its 68 landmarks and the crop :func:`find_faces` would make of it."""
    points = _landmarks(photo, box)
    return DetectedFace(box=box, landmarks=points, crop=aligned_crop(photo, points))


def _landmarks(photo: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    import dlib

    shape = dlib_models().predictor(photo, dlib.rectangle(*box))
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def aligned_crop(photo: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The square crop with level eyes at :data:`EYES_AT`, at the face's own resolution.

    Where the crop reaches past the photo (a dataset's tight face crop), the photo is
    mirrored outwards: a black border would be an edge that only such datasets' faces have,
    and that features and networks learn as if it were part of the face."""
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
    region, left, top = _mirrored_region(photo, a, b, c, d, e, f, side)
    crop = Image.fromarray(region).transform((side, side), Image.Transform.AFFINE,
                                             (a, b, c - left, d, e, f - top),
                                             Image.Resampling.BILINEAR)
    return np.asarray(crop)


def _mirrored_region(photo: np.ndarray, a: float, b: float, c: float, d: float, e: float,
                     f: float, side: int) -> tuple[np.ndarray, int, int]:
    """The part of ``photo`` the crop samples, mirrored outwards where it leaves the photo,
    and the photo coordinates of its top-left pixel."""
    corners = np.array([(0, 0), (side, 0), (0, side), (side, side)], dtype=np.float64)
    xs = a * corners[:, 0] + b * corners[:, 1] + c
    ys = d * corners[:, 0] + e * corners[:, 1] + f
    left, top = int(np.floor(xs.min())) - 2, int(np.floor(ys.min())) - 2
    right, bottom = int(np.ceil(xs.max())) + 2, int(np.ceil(ys.max())) + 2
    height, width = photo.shape[:2]
    inside = photo[max(0, top):min(height, bottom), max(0, left):min(width, right)]
    if inside.size == 0:  # landmarks far outside the photo: nothing to mirror
        return photo, 0, 0
    pads = ((max(0, -top), max(0, bottom - height)), (max(0, -left), max(0, right - width)))
    pads += ((0, 0),) * (photo.ndim - 2)
    return np.ascontiguousarray(np.pad(inside, pads, mode="symmetric")), left, top


def _check_photo(photo: np.ndarray, caller: str) -> None:
    if photo.dtype != np.uint8 or photo.ndim != 3 or photo.shape[2] != 3:
        raise ValueError(f"{caller} needs a uint8 (H, W, 3) photo, got {photo.dtype} "
                         f"{photo.shape}")


def _framed(photo: np.ndarray, retry: Retry) -> tuple[np.ndarray, float, int]:
    """(the photo scaled and padded as ``retry`` says, the scale, the pad in pixels)."""
    short = min(photo.shape[:2])
    scale = min(max(short, retry.min_side), retry.max_side) / short
    image = photo
    if scale != 1:
        size = (round(photo.shape[1] * scale), round(photo.shape[0] * scale))
        image = np.asarray(Image.fromarray(photo).resize(size, Image.Resampling.BILINEAR))
    pad = round(retry.margin * min(image.shape[:2]))
    if retry.mode == "gray":
        padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), constant_values=128)
    else:
        padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode=retry.mode)
    return np.ascontiguousarray(padded), scale, pad


def _retried_face(photo: np.ndarray, framed: np.ndarray, box: Any, scale: float, pad: int
                  ) -> DetectedFace:
    """A retry's face: landmarks fitted in the framed image, then mapped to the photo and
    cropped from it exactly as a first-try face is."""
    framed_box = (box.left(), box.top(), box.right(), box.bottom())
    # A pixel centre at x in the framed image lies at (x - pad + 0.5) / scale - 0.5 in the photo.
    points = (_landmarks(framed, framed_box) - pad + 0.5) / scale - 0.5
    height, width = photo.shape[:2]
    corners = (np.array(framed_box, dtype=np.float64) - pad) / scale
    left, top = (max(0, round(v)) for v in corners[:2])
    right, bottom = min(width, round(corners[2])), min(height, round(corners[3]))
    return DetectedFace(box=(left, top, right, bottom), landmarks=points,
                        crop=aligned_crop(photo, points), found="retry")


def _frontal(image: np.ndarray, threshold: float) -> list[Any]:
    return list(dlib_models().detector.run(image, 0, threshold)[0])


def _cnn(image: np.ndarray, threshold: float) -> list[Any]:
    return [found.rect for found in _cnn_detector()(image, 0) if found.confidence >= threshold]


def _mtcnn(image: np.ndarray, threshold: float) -> list[Any]:
    import dlib

    boxes = mtcnn.detect(image, (threshold,) * 3)
    return [dlib.rectangle(*(int(round(v)) for v in box[:4])) for box in boxes]


DETECTORS = {"frontal": _frontal, "cnn": _cnn, "mtcnn": _mtcnn}


@functools.cache
def _cnn_detector() -> Any:
    """dlib's CNN face detector, loaded once per process."""
    import dlib

    return dlib.cnn_face_detection_model_v1(str(model_path().parent / CNN_MODEL))
