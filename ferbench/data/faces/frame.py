"""One canonical face frame for every dataset (``ferbench run --faces``).

Datasets publish faces framed their own way (whole photos, tight or loose crops, aligned
with a margin), so a cross-dataset score would partly measure framing. ``aligned`` re-frames
every face of a dataset the way ``ferbench predict`` and ``crop = "detect"`` do
(:func:`~ferbench.data.faces.photos.frame_faces`,
:func:`~ferbench.data.faces.photos.aligned_crop`): eyes level, their midpoint at
:data:`~ferbench.data.faces.photos.EYES_AT`, the eyes
:data:`~ferbench.data.faces.photos.EYE_DISTANCE` of the side apart.

The rule for each image is :func:`~ferbench.data.faces.photos.frame_faces`, the one
``ferbench predict`` uses: dlib's frontal detector, then the same detector on the image
upsampled in a black margin (a pre-cropped 48x48 face gives it no margin), then, on an image
no larger than :data:`~ferbench.data.faces.photos.CROP_SIDE`, landmarks fitted inside the whole
image (``image box``); the largest face wins. ``predict``'s later retries on larger photos
(dlib's CNN detector, a lowered threshold) are left out here: several times the cost. Where
nothing is found, the image itself is the face (``fallback``): resized, stretched if not
square, to the frame. Each way is counted per dataset in provenance. The result is square,
:func:`frame_side` pixels, in the dataset's own colour mode (gray stays gray): methods resize
it as they resize any face.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from itertools import repeat

import numpy as np
from tqdm import tqdm

from ferbench.data.faces.crops import SHAPE
from ferbench.data.faces.photos import CROP_SIDE, frame_faces
from ferbench.data.faces.photos import FOUND as PHOTO_FOUND
from ferbench.data.samples import resized
from ferbench.features.parallel import process_pool, worker_count

FACES = ("aligned", "as-published")
"""How a run frames a dataset's faces: re-aligned to the canonical frame, or as published."""
ALIGNED, AS_PUBLISHED = FACES
FOUND = (*PHOTO_FOUND[:3], "fallback")
"""How an aligned face was found: the detector's first try, the retry in a margin, landmarks
fitted in a face crop's whole image, or not at all (the image itself, resized)."""
VERSION = 2
"""Bumped whenever the aligned pixels change, so cached aligned faces are never reused."""
PER_WORKER = 150
"""The fewest faces worth a worker process (start-up about 2 s; a face takes 5-15 ms)."""


def check_faces(value: str, where: str = "--faces") -> str:
    """``value`` if it is one of :data:`FACES`, else a ValueError naming ``where``."""
    if value not in FACES:
        raise ValueError(f"{where}: expected one of {', '.join(FACES)}, got {value!r}")
    return value


def frame_side(shape: tuple[int, ...]) -> int:
    """The side of aligned faces made from images of ``shape``: :data:`SHAPE`'s, or the
    images' shorter side when smaller (upsampling a 48x48 face adds no information)."""
    return min(SHAPE[0], *shape[:2])


def describe(faces: str) -> str:
    """How ``faces`` frames a dataset, for provenance."""
    if faces == AS_PUBLISHED:
        return "as published"
    return ("aligned: dlib's frontal detector, then the same in a black margin, then (face "
            f"crops up to {CROP_SIDE} px) landmarks in the whole image; eyes levelled and "
            "placed as `ferbench predict` places them; no face found: the image itself, "
            "resized")


def align_face(image: np.ndarray, side: int) -> tuple[np.ndarray, str]:
    """``image`` (uint8 gray or RGB) re-framed as a ``side`` x ``side`` aligned face in its
    own colour mode, and how its face was found (one of :data:`FOUND`)."""
    rgb = image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
    rgb = np.ascontiguousarray(rgb)
    faces = frame_faces(rgb, retry_further=False)
    crop, found = (faces[0].crop, faces[0].found) if faces else (rgb, "fallback")
    framed = resized(crop, side, side)
    # A gray image's crop has three equal channels: the first is the gray face exactly.
    return (framed if image.ndim == 3 else np.ascontiguousarray(framed[..., 0])), found


def align_images(images: np.ndarray, title: str) -> tuple[np.ndarray, np.ndarray]:
    """(aligned faces, how each was found) of every image, in order; in worker processes
    (``FERBENCH_JOBS``, else every core) when many, with a progress bar on a terminal."""
    side = frame_side(images.shape[1:])
    aligned = np.empty((len(images), side, side, *images.shape[3:]), dtype=np.uint8)
    found = np.empty(len(images), dtype=f"U{max(map(len, FOUND))}")
    jobs = min(worker_count(), len(images) // PER_WORKER)
    bar = tqdm(total=len(images), desc=title, unit="face", file=sys.stderr,
               disable=not sys.stderr.isatty())
    with bar, (process_pool(jobs) if jobs > 1 else nullcontext()) as pool:
        chunk = max(1, min(64, len(images) // (max(jobs, 1) * 8)))
        results = (pool.map(align_face, images, repeat(side), chunksize=chunk) if pool
                   else map(align_face, images, repeat(side)))
        for i, (face, how) in enumerate(results):
            aligned[i], found[i] = face, how
            bar.update()
    return aligned, found
