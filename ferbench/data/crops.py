"""Faces of one shape from image files: face crops as given, or found in whole photos.

``crop = "none"`` reads each file as a face crop and resizes it (bilinear; a non-square crop
is stretched). ``crop = "detect"`` runs the code of ``ferbench predict``
(:func:`ferbench.photos.find_faces`): dlib's frontal detector, the largest face, eyes levelled
and framed as in the training data, so a model is trained on faces prepared exactly as the
faces it will later be used on. Either way the result is :data:`SHAPE`, like RAF-DB's
aligned faces. Many files are spread over worker processes (``FERBENCH_JOBS``, else every
core), with a progress bar on stderr when it is a terminal.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from itertools import repeat
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ferbench.data.images import ImageProblem, read_image
from ferbench.data.samples import resized
from ferbench.features.parallel import process_pool, worker_count
from ferbench.registry import PluginError

SHAPE = (100, 100, 3)
"""Every prepared face: 100x100 RGB."""
PER_WORKER = {"none": 2000, "detect": 100}
"""The fewest files worth a worker process. Starting one costs about 2 s (importing ferbench,
loading dlib's models); reading a crop takes about a millisecond, finding and aligning the
face of a photo 15 ms (350 px) to a few hundred (large photos)."""
NO_FACE = "no face found by dlib's frontal detector (crop = \"detect\")"


def describe(crop: str) -> str:
    """How ``crop`` prepares faces, for provenance."""
    if crop == "none":
        return f"face crops as given, resized (bilinear) to {SHAPE[1]}x{SHAPE[0]} RGB"
    return (f"largest face found by dlib's frontal detector, eye-aligned as `ferbench predict` "
            f"aligns it, resized (bilinear) to {SHAPE[1]}x{SHAPE[0]} RGB")


def check_detector() -> None:
    """Fail before decoding when ``crop = "detect"`` cannot run: dlib and its landmark model."""
    from ferbench.features.landmarks import model_path

    if importlib.util.find_spec("dlib") is None:
        raise PluginError('crop = "detect" needs dlib: pip install "ferbench[landmarks]"')
    try:
        model_path()
    except (ModuleNotFoundError, FileNotFoundError) as error:
        raise PluginError(f'crop = "detect": {error}') from None


def prepare_face(path: Path, crop: str) -> np.ndarray | str:
    """The face in one file at :data:`SHAPE`, or the problem that prevents it."""
    if crop == "none":
        try:
            return resized(read_image(path, "RGB"), *SHAPE[:2])
        except ImageProblem as error:
            return str(error)
    from ferbench.photos import UnreadableImage, find_faces, read_photo

    try:
        photo = read_photo(path)
    except UnreadableImage as error:
        return str(error).removeprefix(f"{path}: ")
    faces = find_faces(photo)
    return resized(faces[0].crop, *SHAPE[:2]) if faces else NO_FACE


def prepare_faces(paths: list[Path], crop: str, title: str) -> Iterator[np.ndarray | str]:
    """:func:`prepare_face` of every path, in order; in worker processes when many."""
    jobs = min(worker_count(), len(paths) // PER_WORKER[crop])
    bar = tqdm(total=len(paths), desc=title, unit="image", file=sys.stderr,
               disable=not sys.stderr.isatty())
    with bar:
        if jobs <= 1:
            for path in paths:
                yield prepare_face(path, crop)
                bar.update()
            return
        with process_pool(jobs) as pool:
            chunk = max(1, min(64, len(paths) // (jobs * 8)))
            for face in pool.map(prepare_face, paths, repeat(crop), chunksize=chunk):
                yield face
                bar.update()
