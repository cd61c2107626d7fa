"""dlib's 68 facial landmarks and the expression geometry they carry (feature "landmarks").

Each image gives one row of :data:`LANDMARK_WIDTH` = 152 float32 columns
(names in :data:`COLUMN_NAMES`). Point numbers are the iBUG 300-W ones dlib uses: 36-41 and
17-21 are the subject's right eye and brow (on the image's left), 42-47 and 22-26 the left
ones, 48-67 the lips, 8 the chin, 33 the tip of the nose.

* Columns 0-135, ``x0, y0, ..., x67, y67``: the points in a face frame that removes
  position, scale and in-plane rotation. The origin is midway between the eye centres
  (means of 36-41 and 42-47), the x axis runs from the right eye centre to the left one,
  the y axis points down the face, and the unit is the distance between the eye centres.
* Columns 136-150, in the same unit (angles in radians), the geometry expressions move:
  ``mouth_width`` 48-54; ``mouth_inner_open`` 62-66; ``mouth_outer_open`` 51-57;
  ``right_corner_lift`` / ``left_corner_lift``, how far corner 48 / 54 sits above the
  midpoint of 51 and 57 (a smile lifts it); ``right_corner_angle`` / ``left_corner_angle``,
  the angle at corner 48 / 54 between the directions to 51 and 57 (parted lips widen it);
  ``right_brow_height`` / ``left_brow_height``, mean brow (17-21 / 22-26) height above the
  upper lid (37, 38 / 43, 44); ``inner_brow_gap`` 21-22 (a frown narrows it);
  ``inner_brow_height``, height of 21 and 22 above the eye line (raised in fear, sadness);
  ``right_eye_open`` / ``left_eye_open``, mean lid gap of 37-41, 38-40 / 43-47, 44-46;
  ``nose_to_upper_lip`` 33-51; ``nose_to_chin`` 33-8 (a dropped jaw lengthens it).
* The last column (:data:`DETECTOR_COLUMN`): 1.0 when dlib's frontal face detector found
  the face, 0.0 when it found none and the whole image served as the face box, as suits
  pre-cropped datasets (FER2013, RAF-DB aligned). :func:`split_detector_column` separates
  it from the features so a classifier never sees it and a report can count it.

Small images are upsampled (bilinear) until their shorter side is at least
:data:`DETECT_SIDE` px, since the detector misses faces below about 80 px, and padded by
:data:`PAD_FRACTION` of that side with replicated edges, so faces that fill the frame are
still found; of several detections the largest wins.
"""

from __future__ import annotations

import functools
import importlib.util
import math
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

from ferbench.features.parallel import map_rows
from ferbench.features.registry import check_images, register_feature

INSTALL_HINT = "pip install dlib-bin face-recognition-models (both are ferbench dependencies)"
MODEL_PACKAGE = "face_recognition_models"
MODEL_FILE = "models/shape_predictor_68_face_landmarks.dat"

DETECT_SIDE = 96
PAD_FRACTION = 0.25
MIN_IMAGES_PER_WORKER = 1000
"""Each worker process first loads the 100 MB predictor, which takes as long as a few hundred
faces (docs/decisions.md)."""

POINTS = 68
RIGHT_EYE, LEFT_EYE = list(range(36, 42)), list(range(42, 48))
RIGHT_BROW, LEFT_BROW = list(range(17, 22)), list(range(22, 27))
GEOMETRY_NAMES = (
    "mouth_width",
    "mouth_inner_open",
    "mouth_outer_open",
    "right_corner_lift",
    "left_corner_lift",
    "right_corner_angle",
    "left_corner_angle",
    "right_brow_height",
    "left_brow_height",
    "inner_brow_gap",
    "inner_brow_height",
    "right_eye_open",
    "left_eye_open",
    "nose_to_upper_lip",
    "nose_to_chin",
)
COLUMN_NAMES = (
    tuple(f"{axis}{point}" for point in range(POINTS) for axis in "xy")
    + GEOMETRY_NAMES
    + ("used_detector",)
)
LANDMARK_WIDTH = len(COLUMN_NAMES)
DETECTOR_COLUMN = -1
"""Column of the feature matrix that says whether the detector found the face (1.0)."""


@register_feature("landmarks")
def landmark_features(images: np.ndarray) -> np.ndarray:
    """The :data:`LANDMARK_WIDTH` columns described above for each uint8 image."""
    check_images("landmarks", images)
    _import_dlib()  # a missing dependency fails here, before any worker starts
    model_path()
    # Processes, not threads: dlib's detector and predictor are not safe to share.
    return map_rows(landmark_rows, images, MIN_IMAGES_PER_WORKER, processes=True)


def landmark_rows(images: np.ndarray) -> np.ndarray:
    """The feature rows of ``images``, computed in this process."""
    points, used_detector = detect_landmarks(images)
    frame = face_frame(points)
    return np.column_stack(
        [frame.reshape(len(images), 2 * POINTS), expression_geometry(frame), used_detector]
    ).astype(np.float32)


def split_detector_column(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(features without the detector column, bool array: did the detector find the face)."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[1] != LANDMARK_WIDTH:
        raise ValueError(
            f"split_detector_column needs a 'landmarks' feature matrix (N, {LANDMARK_WIDTH}), "
            f"got shape {matrix.shape}"
        )
    flags = matrix[:, DETECTOR_COLUMN]
    if not np.isin(flags, (0.0, 1.0)).all():
        raise ValueError(
            "split_detector_column: the last column of a 'landmarks' matrix must be 0 or 1, "
            f"got values {np.unique(flags[~np.isin(flags, (0.0, 1.0))])[:5]}"
        )
    return np.delete(matrix, DETECTOR_COLUMN, axis=1), flags == 1.0


def detect_landmarks(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Landmarks (N, 68, 2) as (x, y) pixel coordinates, and (N,) bool: detector box used."""
    check_images("landmarks", images)
    models = dlib_models()
    points = np.empty((len(images), POINTS, 2))
    used_detector = np.empty(len(images), dtype=bool)
    for i, image in enumerate(images):
        points[i], used_detector[i] = _locate(image, models)
    return points, used_detector


def _locate(image: np.ndarray, models: FaceModels) -> tuple[np.ndarray, bool]:
    height, width = image.shape[:2]
    scale = max(1, math.ceil(DETECT_SIDE / min(height, width)))
    if scale > 1:
        size = (width * scale, height * scale)
        image = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))
    pad = round(PAD_FRACTION * min(image.shape[:2]))
    padding = ((pad, pad), (pad, pad)) + ((0, 0),) * (image.ndim - 2)
    padded = np.ascontiguousarray(np.pad(image, padding, mode="edge"))
    faces = list(models.detector(padded, 0))
    if faces:
        box = max(faces, key=lambda face: face.area())
    else:
        box = models.rectangle(pad, pad, pad + image.shape[1] - 1, pad + image.shape[0] - 1)
    shape = models.predictor(padded, box)
    points = np.array([(part.x, part.y) for part in shape.parts()], dtype=np.float64)
    return (points - pad) / scale, bool(faces)


def face_frame(points: np.ndarray) -> np.ndarray:
    """Points (N, 68, 2) moved, scaled and rotated into the eye-centred face frame."""
    right_eye = points[:, RIGHT_EYE].mean(axis=1)
    left_eye = points[:, LEFT_EYE].mean(axis=1)
    axis = left_eye - right_eye
    distance = np.linalg.norm(axis, axis=1)
    # Coinciding eye centres (a degenerate fit) would divide by zero: keep the image axes.
    usable = distance > 0
    unit = np.where(usable, distance, 1.0)
    cos = np.where(usable, axis[:, 0] / unit, 1.0)[:, None]
    sin = np.where(usable, axis[:, 1] / unit, 0.0)[:, None]
    offset = points - ((right_eye + left_eye) / 2)[:, None]
    x = offset[..., 0] * cos + offset[..., 1] * sin
    y = offset[..., 1] * cos - offset[..., 0] * sin
    return np.stack([x, y], axis=-1) / unit[:, None, None]


def expression_geometry(frame: np.ndarray) -> np.ndarray:
    """The :data:`GEOMETRY_NAMES` columns (N, 15) from points in the face frame."""
    y = frame[..., 1]

    def gap(a: int, b: int) -> np.ndarray:
        return np.linalg.norm(frame[:, a] - frame[:, b], axis=1)

    def angle_at(corner: int, a: int, b: int) -> np.ndarray:
        to_a, to_b = frame[:, a] - frame[:, corner], frame[:, b] - frame[:, corner]
        cross = to_a[:, 0] * to_b[:, 1] - to_a[:, 1] * to_b[:, 0]
        return np.arctan2(np.abs(cross), np.sum(to_a * to_b, axis=1))

    lip_middle_y = (y[:, 51] + y[:, 57]) / 2
    columns = {
        "mouth_width": gap(48, 54),
        "mouth_inner_open": gap(62, 66),
        "mouth_outer_open": gap(51, 57),
        "right_corner_lift": lip_middle_y - y[:, 48],
        "left_corner_lift": lip_middle_y - y[:, 54],
        "right_corner_angle": angle_at(48, 51, 57),
        "left_corner_angle": angle_at(54, 51, 57),
        "right_brow_height": y[:, [37, 38]].mean(axis=1) - y[:, RIGHT_BROW].mean(axis=1),
        "left_brow_height": y[:, [43, 44]].mean(axis=1) - y[:, LEFT_BROW].mean(axis=1),
        "inner_brow_gap": gap(21, 22),
        "inner_brow_height": -(y[:, 21] + y[:, 22]) / 2,
        "right_eye_open": (gap(37, 41) + gap(38, 40)) / 2,
        "left_eye_open": (gap(43, 47) + gap(44, 46)) / 2,
        "nose_to_upper_lip": gap(33, 51),
        "nose_to_chin": gap(33, 8),
    }
    return np.column_stack([columns[name] for name in GEOMETRY_NAMES])


class FaceModels(NamedTuple):
    """dlib's face detector, 68-point shape predictor and box type."""

    detector: Any
    predictor: Any
    rectangle: Any


@functools.cache
def dlib_models() -> FaceModels:
    """dlib's models, loaded once per process (workers load their own)."""
    dlib = _import_dlib()
    predictor = dlib.shape_predictor(str(model_path()))
    return FaceModels(dlib.get_frontal_face_detector(), predictor, dlib.rectangle)


def _import_dlib() -> ModuleType:
    try:
        import dlib
    except ImportError as error:
        raise ModuleNotFoundError(
            f"feature 'landmarks' needs dlib, which is not installed: {INSTALL_HINT}"
        ) from error
    return dlib


def model_path() -> Path:
    """The 68-point shape predictor shipped by the ``face_recognition_models`` package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"feature 'landmarks' needs dlib's 68-point shape predictor from the "
            f"{MODEL_PACKAGE} package, which is not installed: {INSTALL_HINT}"
        )
    path = Path(spec.submodule_search_locations[0]) / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"feature 'landmarks': the shape predictor {path} is missing; "
            f"reinstall it: {INSTALL_HINT}"
        )
    return path
