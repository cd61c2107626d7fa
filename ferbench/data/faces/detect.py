"""Face crops for datasets published as whole frames (CK+): detect, crop, resize.

The detector is OpenCV's Haar frontal-face cascade (``haar``; OpenCV 4 ships it, OpenCV 5
moved it out of the main package) or dlib's HOG frontal-face detector (``dlib``); ``auto``
takes the first of them that is installed (:func:`resolve_detector`), and the description
of the one used goes into provenance. The largest face wins. A frame with no face falls
back to its central square, and :attr:`FaceCropper.centre_crops` counts those.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from ferbench.core.errors import PluginError

DETECTORS = ("auto", "haar", "dlib")

Box = tuple[int, int, int, int]
"""(x, y, width, height) in pixels."""


def resolve_detector(detector: str) -> str:
    """``haar`` or ``dlib``: ``detector`` itself, or for ``auto`` the first one installed."""
    if detector not in DETECTORS:
        raise ValueError(f"unknown face detector {detector!r}; choose one of "
                         f"{', '.join(DETECTORS)}")
    if detector != "auto":
        return detector
    try:
        _haar()
        return "haar"
    except PluginError:
        if importlib.util.find_spec("dlib") is not None:
            return "dlib"
    raise PluginError("no face detector available: install dlib-bin (a ferbench dependency) "
                      "or opencv-python-headless<5, whose Haar cascades OpenCV 5 dropped")


class FaceCropper:
    """Crops the largest frontal face of a gray image to a ``size`` x ``size`` square."""

    def __init__(self, detector: str, size: int):
        self.size = size
        self.centre_crops = 0
        chosen = resolve_detector(detector)
        self.description, self._detect = _haar() if chosen == "haar" else _dlib()

    def crop(self, gray: np.ndarray) -> np.ndarray:
        """The face of ``gray`` (uint8, H x W), resized with bilinear filtering."""
        boxes = self._detect(gray)
        if boxes:
            x, y, width, height = max(boxes, key=lambda box: box[2] * box[3])
        else:
            self.centre_crops += 1
            side = min(gray.shape)
            x, y = (gray.shape[1] - side) // 2, (gray.shape[0] - side) // 2
            width = height = side
        face = gray[y: y + height, x: x + width]
        resized = Image.fromarray(face).resize((self.size, self.size), Image.Resampling.BILINEAR)
        return np.asarray(resized)


# Building a detector takes about a second (dlib): every cropper of a process shares one.
@functools.cache
def _haar() -> tuple[str, Callable[[np.ndarray], list[Box]]]:
    try:
        import cv2
    except ImportError:
        raise PluginError(
            "detector='haar' needs OpenCV: pip install opencv-python-headless (the ferbench[bench] "
            "extra), or choose detector='dlib'"
        ) from None
    cascade_file = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
    if not hasattr(cv2, "CascadeClassifier") or not cascade_file.is_file():
        raise PluginError(
            f"detector='haar' needs OpenCV's Haar cascades, which OpenCV {cv2.__version__} "
            f"lacks (no {cascade_file}): install opencv-python-headless<5, or choose "
            "detector='dlib'"
        )
    cascade = cv2.CascadeClassifier(str(cascade_file))

    def detect(gray: np.ndarray) -> list[Box]:
        smallest = max(24, min(gray.shape) // 5)
        found = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5,
                                         minSize=(smallest, smallest))
        return [tuple(int(v) for v in box) for box in found]

    return f"opencv {cv2.__version__} haar {cascade_file.name}", detect


@functools.cache
def _dlib() -> tuple[str, Callable[[np.ndarray], list[Box]]]:
    try:
        import dlib
    except ImportError:
        raise PluginError(
            "detector='dlib' needs dlib: pip install dlib-bin (a ferbench dependency), "
            "or choose detector='haar'"
        ) from None
    detector = dlib.get_frontal_face_detector()

    def detect(gray: np.ndarray) -> list[Box]:
        boxes = []
        for rect in detector(np.ascontiguousarray(gray), 0):
            left, top = max(rect.left(), 0), max(rect.top(), 0)
            right, bottom = min(rect.right(), gray.shape[1]), min(rect.bottom(), gray.shape[0])
            if right > left and bottom > top:
                boxes.append((left, top, right - left, bottom - top))
        return boxes

    return f"dlib {dlib.__version__} frontal_face_detector (HOG)", detect
