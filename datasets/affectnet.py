"""AffectNet (Mollahosseini et al., 2017): in-the-wild web photos, 8 manually labelled emotions.

Layout under ``<data root>/affectnet/`` (datasets/README.md): ``Manually_Annotated_Images/
<subdir>/<file>.jpg`` with ``Manually_Annotated_file_lists/training.csv`` and
``validation.csv`` (header ``subDirectory_filePath,face_x,face_y,face_width,face_height,
facial_landmarks,expression,valence,arousal``). Each face is prepared from its published box
at 100x100 RGB: ``crop = "align"`` (default) fits dlib's landmarks in the box and eye-aligns
the face as ``ferbench predict`` does; ``crop = "box"`` cuts the box as published.

Codes: 0 Neutral, 1 Happy, 2 Sad, 3 Surprise, 4 Fear, 5 Disgust, 6 Anger, 7 Contempt are
kept; 8 None, 9 Uncertain and 10 No-Face are not emotions and are dropped, counted in
provenance as ``dropped``. The test set is unreleased, so validation.csv is the test split
(as papers report it); val is carved from training (stratified, seeded with ``ctx.seed``).
Sample ids are paths relative to ``affectnet/``.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ferbench import LabelMap, register_dataset
from ferbench.data import (
    BoxedFacesDataset,
    ListedFace,
    Problems,
    image_key,
    outside_message,
    unknown_code,
)

CODES = LabelMap("affectnet", {0: "neutral", 1: "happy", 2: "sad", 3: "surprise", 4: "fear",
                               5: "disgust", 6: "anger", 7: "contempt"})
DROPPED = {8: "none", 9: "uncertain", 10: "no-face"}
"""Codes that are not an emotion of the face: left out, and counted."""
IMAGES = "Manually_Annotated_Images"
LISTS = "Manually_Annotated_file_lists"
PARTS = {"training.csv": "train", "validation.csv": "test"}
HEADER = ("subDirectory_filePath", "face_x", "face_y", "face_width", "face_height",
          "facial_landmarks", "expression", "valence", "arousal")


@register_dataset(
    "affectnet",
    summary="AffectNet: ~291k manually labelled in-the-wild faces, 8 classes (aligned in "
            "their boxes)",
    details={"obtain": "http://mohammadmahoor.com/affectnet/ (request access; academic "
                       "research use)",
             "licence": "research use only under the AffectNet licence agreement; no "
                        "redistribution"},
)
class AffectNet(BoxedFacesDataset):
    """AffectNet's manually annotated images, prepared from their published face boxes."""

    name = "affectnet"
    layouts = {"manual": [f"{IMAGES}/", *(f"{LISTS}/{name}" for name in PARTS)]}

    def __init__(self, val_fraction: float = 0.1, crop: str = "align"):
        super().__init__(val_fraction, crop)

    def list_faces(self, folder: Path,
                   problems: Problems) -> tuple[list[ListedFace], dict[str, Any]]:
        """The faces of both file lists with an emotion code; the others counted as
        ``dropped``."""
        dropped: Counter[str] = Counter()
        faces: list[ListedFace] = []
        seen: dict[str, str] = {}
        for name, part in PARTS.items():
            for where, fields in _rows(folder / LISTS / name, problems):
                problem = _row_problem(fields, seen)
                if problem:
                    problems.add(where, problem)
                    continue
                code = int(fields[6])
                if code in DROPPED:
                    dropped[DROPPED[code]] += 1
                    continue
                if image_key(fields[0]) is None:
                    problems.add(where, outside_message(fields[0], folder / IMAGES))
                    continue
                path = folder / IMAGES / fields[0]
                if not path.is_file():
                    problems.add(where, f"label without its image: {path} not found")
                    continue
                seen[fields[0]] = where
                x, y, width, height = (int(value) for value in fields[1:5])
                faces.append(ListedFace(path, (x, y, x + width, y + height), CODES.codes[code],
                                        str(path.relative_to(folder)), where, part=part))
        return faces, {"dropped": dict(sorted(dropped.items()))}


def _rows(listing: Path, problems: Problems) -> Iterator[tuple[str, list[str]]]:
    """``(where, fields)`` of every data row of a file list, once its header is checked.

    Streamed: training.csv holds some 415,000 rows, each with 136 landmark coordinates.
    """
    with open(listing, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = tuple(cell.strip() for cell in next(reader, []))
        if header != HEADER:
            problems.add(f"{listing} line 1", f"expected the header {','.join(HEADER)!r}, "
                                              f"found {','.join(header)!r}",
                         samples=sum(1 for _ in reader))
            return
        for row in reader:
            if row:
                yield f"{listing} line {reader.line_num}", [cell.strip() for cell in row]


def _row_problem(fields: list[str], seen: dict[str, str]) -> str | None:
    """What is wrong with one file-list row, or None."""
    if len(fields) != len(HEADER):
        return f"expected {len(HEADER)} columns ({','.join(HEADER)}), found {len(fields)}"
    if fields[0] in seen:
        return f"image {fields[0]!r} is listed twice (also at {seen[fields[0]]})"
    box = fields[1:5]
    if not all(_is_int(value) for value in box):
        return f"face box {','.join(box)!r} is not 4 integers (face_x,face_y,width,height)"
    if int(box[2]) <= 0 or int(box[3]) <= 0:
        return f"face box {','.join(box)!r} has no area"
    code = fields[6]
    if not _is_int(code) or (int(code) not in CODES.codes and int(code) not in DROPPED):
        dropped = ", ".join(f"{c} {name}" for c, name in DROPPED.items())
        return f"{unknown_code(CODES.codes, code)} (dropped as no emotion: {dropped})"
    return None


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()
