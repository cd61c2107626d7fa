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

from ferbench import DataContext, Dataset, LabelMap, Splits, register_dataset
from ferbench.data import (
    Problems,
    SampleList,
    Samples,
    crops,
    find_layout,
    load_cached,
    to_splits,
    unknown_code,
)

CODES = LabelMap("affectnet", {0: "neutral", 1: "happy", 2: "sad", 3: "surprise", 4: "fear",
                               5: "disgust", 6: "anger", 7: "contempt"})
DROPPED = {8: "none", 9: "uncertain", 10: "no-face"}
"""Codes that are not an emotion of the face: left out, and counted."""
IMAGES = "Manually_Annotated_Images"
LISTS = "Manually_Annotated_file_lists"
PARTS = {"training.csv": "train", "validation.csv": "test"}
LAYOUTS = {"manual": [f"{IMAGES}/", *(f"{LISTS}/{name}" for name in PARTS)]}
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
class AffectNet(Dataset):
    """AffectNet's manually annotated images, prepared from their published face boxes."""

    name = "affectnet"

    def __init__(self, val_fraction: float = 0.1, crop: str = "align"):
        if not 0.0 < val_fraction < 1.0:
            raise ValueError(f"affectnet: val_fraction must be in (0, 1), got {val_fraction}")
        self.val_fraction = val_fraction
        self.crop = crops.check_box_crop(self.name, crop)

    def locate(self, ctx: DataContext) -> str:
        return find_layout(self.name, ctx, LAYOUTS)

    def load(self, ctx: DataContext) -> Splits:
        variant = self.locate(ctx)
        crops.check_detector(self.crop)
        folder = ctx.data_root / self.name
        sources = [folder / IMAGES, *(folder / LISTS / name for name in PARTS)]
        samples = load_cached(ctx.cache_dir, self.name, variant, sources, {"crop": self.crop},
                              lambda: decode(folder, self.name, self.crop))
        provenance = {"variant": variant, "source": str(folder)}
        return to_splits(samples, ctx, self.name, provenance, val_fraction=self.val_fraction)


def decode(folder: Path, dataset: str, crop: str) -> Samples:
    """The faces of both file lists with an emotion code, prepared from their boxes."""
    samples = SampleList(dataset, crops.SHAPE)
    dropped: Counter[str] = Counter()
    rows: list[tuple[Path, crops.FaceBox, int, str, str]] = []
    seen: dict[str, str] = {}
    for name, part in PARTS.items():
        listing = folder / LISTS / name
        for where, fields in _rows(listing, samples.problems):
            problem = _row_problem(fields, seen)
            if problem:
                samples.problems.add(where, problem)
                continue
            code = int(fields[6])
            if code in DROPPED:
                dropped[DROPPED[code]] += 1
                continue
            path = folder / IMAGES / fields[0]
            if not path.is_file():
                samples.problems.add(where, f"label without its image: {path} not found")
                continue
            seen[fields[0]] = where
            x, y, width, height = (int(value) for value in fields[1:5])
            rows.append((path, (x, y, x + width, y + height), CODES.codes[code], part, where))
    faces = crops.prepare_faces([row[0] for row in rows], crop, f"{dataset}: {crop} crops",
                                [row[1] for row in rows])
    for (path, _, label, part, where), face in zip(rows, faces):
        if isinstance(face, str):
            samples.problems.add(f"{path} ({where})", face)
        else:
            samples.add(face, label, "", str(path.relative_to(folder)), part)
    return samples.build({"crop": crops.describe(crop), "dropped": dict(sorted(dropped.items()))})


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
