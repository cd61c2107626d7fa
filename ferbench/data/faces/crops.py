"""Faces of one shape from image files: face crops as given, or found in whole photos.

``crop = "none"`` reads each file as a face crop and resizes it (bilinear; a non-square crop
is stretched). ``crop = "detect"`` runs the code of ``ferbench predict``
(:func:`~ferbench.data.faces.photos.find_faces`): dlib's frontal detector, the largest face,
eyes levelled and framed as in the training data, so a model is trained on faces prepared
exactly as the faces it will later be used on. ``crop = "box"`` cuts the face box a dataset
publishes with each photo (AffectNet, ExpW), so its faces are framed as its authors framed
them; ``crop = "align"`` fits dlib's 68 landmarks inside that published box and eye-aligns
the face exactly as ``ferbench predict`` does (:func:`~ferbench.data.faces.photos.face_in_box`),
so a model trained on those datasets meets photos' faces framed as its training faces were.
Every way the result is :data:`SHAPE`, like RAF-DB's aligned faces. Many files are spread
over worker processes (``FERBENCH_JOBS``, else every core), with a progress bar on stderr
when it is a terminal.

One vocabulary of face handling (datasets/README.md shows the same table): a run's
``--faces aligned`` (:mod:`ferbench.data.faces.frame`), ``crop = "detect"`` / ``"align"``
and ``ferbench predict --faces detect`` all place a face found by dlib in the one aligned
frame of :func:`~ferbench.data.faces.photos.aligned_crop`; ``--faces as-published``,
``crop = "none"`` / ``"box"`` and ``predict --faces whole`` take a face as it was framed.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from itertools import repeat
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ferbench.core.errors import PluginError
from ferbench.data.faces.photos import UnreadableImage, face_in_box, find_faces, read_photo
from ferbench.data.images import ImageProblem, read_image
from ferbench.data.samples import resized
from ferbench.features.landmarks import model_path
from ferbench.features.parallel import process_pool, worker_count

SHAPE = (100, 100, 3)
"""Every prepared face: 100x100 RGB."""
CROPS = ("none", "box", "align", "detect")
"""The one vocabulary of how a face is taken from an image file (see :func:`describe`)."""
FILE_CROPS = ("none", "detect")
"""The crops of a dataset whose files come without published face boxes (TOML datasets)."""
BOX_CROPS = ("align", "box")
"""How a dataset that publishes face boxes may prepare them; "align" is the default."""
PER_WORKER = {"none": 2000, "box": 300, "align": 200, "detect": 100}
"""The fewest files worth a worker process. Starting one costs about 2 s (importing ferbench,
loading dlib's models); reading a crop takes about a millisecond, decoding a whole photo to
cut a box from it several, finding and aligning the face of a photo 15 ms (350 px) to a few
hundred (large photos)."""
NO_FACE = "no face found by dlib's frontal detector (crop = \"detect\")"

FaceBox = tuple[int, int, int, int]
"""A published face box: left, top, right, bottom in the photo's pixels (right and bottom
exclusive), the order of :attr:`ferbench.data.faces.photos.DetectedFace.box`."""


def describe(crop: str) -> str:
    """How ``crop`` prepares faces, for provenance."""
    if crop == "none":
        return f"face crops as given, resized (bilinear) to {SHAPE[1]}x{SHAPE[0]} RGB"
    if crop == "box":
        return (f"the published face box, clipped to the photo, resized (bilinear) to "
                f"{SHAPE[1]}x{SHAPE[0]} RGB")
    if crop == "align":
        return (f"dlib's 68 landmarks fitted in the published face box, eye-aligned as "
                f"`ferbench predict` aligns a face, resized (bilinear) to "
                f"{SHAPE[1]}x{SHAPE[0]} RGB")
    return (f"largest face found by dlib's frontal detector, eye-aligned as `ferbench predict` "
            f"aligns it, resized (bilinear) to {SHAPE[1]}x{SHAPE[0]} RGB")


def check_box_crop(dataset: str, crop: str) -> str:
    """``crop`` when it is one of :data:`BOX_CROPS`, else a ValueError naming the choices."""
    if crop not in BOX_CROPS:
        raise ValueError(f"{dataset}: crop must be one of {', '.join(BOX_CROPS)}, got {crop!r}")
    return crop


def check_detector(crop: str) -> None:
    """Fail before decoding when ``crop`` needs dlib and its landmark model ("detect",
    "align") and they are missing; crops that need neither pass."""
    if crop not in ("detect", "align"):
        return
    if importlib.util.find_spec("dlib") is None:
        raise PluginError(f'crop = "{crop}" needs dlib: pip install dlib-bin')
    try:
        model_path()
    except (ModuleNotFoundError, FileNotFoundError) as error:
        raise PluginError(f'crop = "{crop}": {error}') from None


def prepare_face(path: Path, crop: str, box: FaceBox | None = None) -> np.ndarray | str:
    """The face in one file at :data:`SHAPE`, or the problem that prevents it.

    ``box``, given with ``crop = "box"`` or ``"align"``, is the published face box.
    """
    if crop in ("none", "box", "align"):
        try:
            image = read_image(path, "RGB")
        except ImageProblem as error:
            return str(error)
        if crop == "none" or box is None:
            return resized(image, *SHAPE[:2])
        return cut_box(image, box) if crop == "box" else align_in_box(image, box)
    try:
        photo = read_photo(path)
    except UnreadableImage as error:
        return str(error).removeprefix(f"{path}: ")
    faces = find_faces(photo)
    return resized(faces[0].crop, *SHAPE[:2]) if faces else NO_FACE


def cut_box(image: np.ndarray, box: FaceBox) -> np.ndarray | str:
    """``box`` of ``image`` at :data:`SHAPE`, or why it cannot be cut.

    A box reaching past the photo's edge is clipped to it (published boxes sometimes do);
    one with nothing inside the photo is a problem, not an empty face.
    """
    clipped = clip_box(image, box)
    if isinstance(clipped, str):
        return clipped
    left, top, right, bottom = clipped
    return resized(np.ascontiguousarray(image[top:bottom, left:right]), *SHAPE[:2])


def align_in_box(image: np.ndarray, box: FaceBox) -> np.ndarray | str:
    """The face in ``box`` eye-aligned as ``ferbench predict`` aligns it, at :data:`SHAPE`.

    The box is in the stored pixels (no EXIF rotation), as datasets publish boxes; one
    reaching past the edge is used as published (the landmark fit copes), one with nothing
    inside the photo is a problem.
    """
    clipped = clip_box(image, box)
    if isinstance(clipped, str):
        return clipped
    return resized(face_in_box(image, box).crop, *SHAPE[:2])


def clip_box(image: np.ndarray, box: FaceBox) -> FaceBox | str:
    """``box`` clipped to the image, or why nothing of it is inside."""
    height, width = image.shape[:2]
    left, top, right, bottom = box
    clipped = (max(left, 0), max(top, 0), min(right, width), min(bottom, height))
    if clipped[2] <= clipped[0] or clipped[3] <= clipped[1]:
        return (f"face box {tuple(box)} (left, top, right, bottom) holds no pixel of the "
                f"{width}x{height} image")
    return clipped


def prepare_faces(paths: list[Path], crop: str, title: str,
                  boxes: list[FaceBox] | None = None) -> Iterator[np.ndarray | str]:
    """:func:`prepare_face` of every path (with its box), in order; in worker processes when
    many."""
    jobs = min(worker_count(), len(paths) // PER_WORKER[crop])
    each_box = boxes if boxes is not None else repeat(None)
    bar = tqdm(total=len(paths), desc=title, unit="image", file=sys.stderr,
               disable=not sys.stderr.isatty())
    with bar:
        if jobs <= 1:
            for path, box in zip(paths, each_box):
                yield prepare_face(path, crop, box)
                bar.update()
            return
        with process_pool(jobs) as pool:
            chunk = max(1, min(64, len(paths) // (jobs * 8)))
            for face in pool.map(prepare_face, paths, repeat(crop), each_box, chunksize=chunk):
                yield face
                bar.update()
