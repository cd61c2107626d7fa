"""Builders of tiny AffectNet, ExpW, SFEW, JAFFE and KDEF trees in their published layouts.

Everything is generated under a test's ``tmp_path``; nothing is copied from the real data.
Images are a few dozen pixels so that a whole dataset decodes in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from tests.datasets.layouts import write_image

AFFECTNET_HEADER = ("subDirectory_filePath,face_x,face_y,face_width,face_height,"
                    "facial_landmarks,expression,valence,arousal")
LANDMARKS = ";".join(f"{v:.2f}" for v in np.linspace(10.0, 40.0, 136))
"""A landmarks cell as AffectNet writes it: 68 x;y pairs joined by semicolons."""
SFEW_CLASSES = ("Angry", "Disgust", "Fear", "Happy", "Neutral", "Sad", "Surprise")
JAFFE_CODES = ("AN", "DI", "FE", "HA", "NE", "SA", "SU")


def bright_box(shape: tuple[int, ...], box: tuple[int, int, int, int]) -> np.ndarray:
    """A dark noisy image with ``box`` (left, top, right, bottom) filled bright white."""
    pixels = np.random.default_rng(1).integers(0, 40, size=shape, dtype=np.uint8)
    left, top, right, bottom = box
    pixels[top:bottom, left:right] = 250
    return pixels


def save(path: Path, pixels: np.ndarray) -> Path:
    """``pixels`` written losslessly enough (PNG, or JPEG at top quality) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, quality=100)
    return path


def write_affectnet(root: Path, lists: dict[str, list[tuple[str, tuple[int, int, int, int], int]]],
                    shape: tuple[int, ...] = (48, 64, 3)) -> Path:
    """``affectnet/Manually_Annotated_file_lists/<list>`` and each listed image (if absent).

    ``lists`` maps ``training.csv`` / ``validation.csv`` to rows
    ``(subDirectory_filePath, (face_x, face_y, face_width, face_height), expression)``.
    """
    folder = root / "affectnet"
    for seed, (listing, rows) in enumerate(lists.items()):
        lines = [AFFECTNET_HEADER]
        for i, (name, (x, y, width, height), code) in enumerate(rows):
            image = folder / "Manually_Annotated_Images" / name
            if not image.exists():
                write_image(image, shape, seed=100 * seed + i)
            lines.append(f'{name},{x},{y},{width},{height},"{LANDMARKS}",{code},0.5,-0.25')
        path = folder / "Manually_Annotated_file_lists" / listing
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
    return folder


def write_expw(root: Path, faces: list[tuple[str, int, tuple[int, int, int, int], int]],
               shape: tuple[int, ...] = (60, 80, 3)) -> Path:
    """``expw/label/label.lst`` and each photo under ``image/origin/`` (if absent).

    ``faces``: ``(image_name, face_id, (top, left, right, bottom), expression_label)``, the
    order of the published lines.
    """
    folder = root / "expw"
    lines = []
    for i, (name, face_id, (top, left, right, bottom), label) in enumerate(faces):
        image = folder / "image" / "origin" / name
        if not image.exists():
            write_image(image, shape, seed=i)
        lines.append(f"{name} {face_id} {top} {left} {right} {bottom} 57.3 {label}")
    path = folder / "label" / "label.lst"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return folder


def write_sfew(root: Path, per_class: dict[str, int],
               shape: tuple[int, ...] = (36, 30, 3)) -> Path:
    """``sfew/{Train,Val}/<Class>/*.png``: ``per_class[part]`` faces in each of the 7 classes."""
    folder = root / "sfew"
    for offset, (part, count) in enumerate(per_class.items()):
        for k, name in enumerate(SFEW_CLASSES):
            for i in range(count):
                write_image(folder / part / name / f"Movie_{k:03d}{i:05d}_00000001.png", shape,
                            seed=1000 * offset + 10 * k + i)
    return folder


def jaffe_names(subjects: list[str], per_code: int = 1) -> list[str]:
    """JAFFE file names: each subject posing each expression ``per_code`` times."""
    names, index = [], 1
    for subject in subjects:
        for code in JAFFE_CODES:
            for take in range(1, per_code + 1):
                names.append(f"{subject}.{code}{take}.{index}.tiff")
                index += 1
    return names


def write_jaffe(root: Path, names: list[str], shape: tuple[int, ...] = (256, 256),
                inside: str = "jaffedbase") -> Path:
    """``jaffe/jaffedbase/<name>`` gray TIFFs, as the download unpacks (``inside = "."``:
    moved up into ``jaffe/``)."""
    folder = root / "jaffe" / inside
    for seed, name in enumerate(names):
        write_image(folder / name, shape, seed=seed, fmt="TIFF")
    return folder


def kdef_names(subjects: list[str], sessions: str = "AB", angles: tuple[str, ...] = ("S",),
               codes: tuple[str, ...] = ("AF", "AN", "DI", "HA", "NE", "SA", "SU")) -> list[str]:
    """KDEF picture names ``<session><gender><number><expression><angle>.JPG``."""
    return [f"{session}{subject}{code}{angle}.JPG" for subject in subjects
            for session in sessions for code in codes for angle in angles]


def write_kdef(root: Path, names: list[str], shape: tuple[int, ...] = (19, 14, 3)) -> Path:
    """``kdef/KDEF/<first 4 letters>/<name>`` JPEGs, one folder per session and subject."""
    folder = root / "kdef" / "KDEF"
    for seed, name in enumerate(names):
        write_image(folder / name[:4] / name, shape, seed=seed, fmt="JPEG")
    return folder
