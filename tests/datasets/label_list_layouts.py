"""Writers of the layouts with a label list beside the images: RAF-DB (its partition list,
or Kaggle's CSVs with code folders), AffectNet and ExpW (each face's box in its photo).

Everything is generated under a test's ``tmp_path``; nothing is copied from the real data.
Images are a few dozen pixels so that a whole dataset decodes in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.datasets.images import write_image

AFFECTNET_HEADER = ("subDirectory_filePath,face_x,face_y,face_width,face_height,"
                    "facial_landmarks,expression,valence,arousal")
LANDMARKS = ";".join(f"{v:.2f}" for v in np.linspace(10.0, 40.0, 136))
"""A landmarks cell as AffectNet writes it: 68 x;y pairs joined by semicolons."""


def write_rafdb_basic(root: Path, entries: list[tuple[str, int]], variant: str = "aligned",
                      listed: list[str] | None = None) -> Path:
    """``rafdb/EmoLabel/list_patition_label.txt`` and its images (aligned 100x100 or original).

    ``listed`` replaces the label file's lines (to inject malformed ones).
    """
    folder = root / "rafdb"
    for seed, (name, _) in enumerate(entries):
        if variant == "aligned":
            write_image(folder / "Image" / "aligned" / name.replace(".jpg", "_aligned.jpg"),
                        (100, 100, 3), seed)
        else:
            write_image(folder / "Image" / "original" / name, (90 + seed, 120, 3), seed)
    lines = listed if listed is not None else [f"{name} {code}" for name, code in entries]
    label_file = folder / "EmoLabel" / "list_patition_label.txt"
    label_file.parent.mkdir(parents=True, exist_ok=True)
    label_file.write_text("\n".join(lines) + "\n")
    return folder


def write_rafdb_kaggle(root: Path, entries: dict[str, list[tuple[str, int]]]) -> Path:
    """``rafdb/DATASET/<split>/<code>/*.jpg`` with ``<split>_labels.csv`` listing them."""
    folder = root / "rafdb"
    for offset, (part, rows) in enumerate(entries.items()):
        for seed, (name, code) in enumerate(rows, start=1000 * offset):
            write_image(folder / "DATASET" / part / str(code) / name, (100, 100, 3), seed)
        lines = ["image,label", *(f"{name},{code}" for name, code in rows)]
        (folder / f"{part}_labels.csv").write_text("\n".join(lines) + "\n")
    return folder


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
