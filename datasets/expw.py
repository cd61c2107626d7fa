"""ExpW (Zhang et al., 2018): 91,793 faces in 7 classes, boxed in web photos.

Layout under ``<data root>/expw/`` (datasets/README.md): ``image/origin/<name>.jpg`` photos
and ``label/label.lst``, one line per face: ``image_name face_id_in_image face_box_top
face_box_left face_box_right face_box_bottom face_box_cofidence expression_label``. Each
face is prepared from its box at 100x100 RGB: ``crop = "align"`` (default) fits dlib's
landmarks in the box and eye-aligns the face as ``ferbench predict`` does; ``crop = "box"``
cuts the box as published.

Codes: 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral. ExpW publishes no
split: after the cache, whole photos making up about ``test_fraction`` of each class go to
test (a photo's faces share a scene, lighting and often a person's pictures, so they never
straddle train and test), then ``val_fraction`` of each remaining class to val, seeded with
``ctx.seed``. The photo name is each face's subject. Sample ids are
``image/origin/<name>#<face id>``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from ferbench import DataContext, LabelMap, Splits, register_dataset
from ferbench.data import (
    BoxedFacesDataset,
    ListedFace,
    Problems,
    Samples,
    check_fraction,
    grouped_holdout,
    image_key,
    outside_message,
    unknown_code,
)

CODES = LabelMap("expw", {0: "angry", 1: "disgust", 2: "fear", 3: "happy", 4: "sad",
                          5: "surprise", 6: "neutral"})
LABELS = "label/label.lst"
PHOTOS = "image/origin"
FIELDS = ("image_name", "face_id_in_image", "face_box_top", "face_box_left", "face_box_right",
          "face_box_bottom", "face_box_cofidence", "expression_label")


@register_dataset(
    "expw",
    summary="ExpW: 91,793 in-the-wild web faces, 7 classes (aligned in their boxes); "
            "seeded split",
    details={"obtain": "http://mmlab.ie.cuhk.edu.hk/projects/socialrelation/index.html "
                       "(Expression in-the-Wild download)",
             "licence": "non-commercial research use only; the photos stay their owners'; "
                        "no redistribution"},
)
class ExpW(BoxedFacesDataset):
    """ExpW's labelled faces, prepared from their published boxes, split by photo and seed."""

    name = "expw"
    layouts = {"origin": [LABELS, f"{PHOTOS}/"]}

    def __init__(self, test_fraction: float = 0.2, val_fraction: float = 0.1,
                 crop: str = "align"):
        self.test_fraction = check_fraction(self.name, "test_fraction", test_fraction)
        super().__init__(val_fraction, crop)

    def list_faces(self, folder: Path,
                   problems: Problems) -> tuple[list[ListedFace], dict[str, Any]]:
        """Every well-formed face of ``label/label.lst`` whose photo is there."""
        listing = folder / LABELS
        faces: list[ListedFace] = []
        seen: dict[str, str] = {}
        for number, line in enumerate(listing.read_text(encoding="utf-8").splitlines(),
                                      start=1):
            fields, where = line.split(), f"{listing} line {number}"
            if not fields:
                continue
            problem = _line_problem(fields)
            if problem is None:
                sample_id, path = f"{PHOTOS}/{fields[0]}#{fields[1]}", folder / PHOTOS / fields[0]
                if image_key(fields[0]) is None:
                    problem = outside_message(fields[0], folder / PHOTOS)
                elif sample_id in seen:
                    problem = (f"face {fields[1]} of {fields[0]} is listed twice (also at "
                               f"{seen[sample_id]})")
                elif not path.is_file():
                    problem = f"label without its image: {path} not found"
            if problem is not None:
                problems.add(where, problem)
                continue
            seen[sample_id] = where
            top, left, right, bottom = (int(value) for value in fields[2:6])
            faces.append(ListedFace(path, (left, top, right, bottom), CODES.codes[int(fields[7])],
                                    sample_id, where, subject=path.name))
        return faces, {}

    def split(self, samples: Samples, ctx: DataContext, provenance: dict[str, Any],
              variant: str) -> Splits:
        """Whole photos to test (about ``test_fraction`` of each class), then val carved."""
        _, test = grouped_holdout(samples.labels, samples.subjects, self.test_fraction,
                                  ctx.seed)
        parts = np.full(len(samples), "train")
        parts[test] = "test"
        provenance["split"] = (f"test: whole photos, about {self.test_fraction:.0%} of each "
                               f"class, seed {ctx.seed}")
        return super().split(dataclasses.replace(samples, parts=parts), ctx, provenance,
                             variant)


def _line_problem(fields: list[str]) -> str | None:
    """What is wrong with the fields of one label.lst line, or None."""
    if len(fields) != len(FIELDS):
        return f"expected {len(FIELDS)} fields ({' '.join(FIELDS)}), found {len(fields)}"
    if not all(value.lstrip("-").isdigit() for value in fields[1:6]):
        return f"face id and box {' '.join(fields[1:6])!r} are not 5 integers"
    top, left, right, bottom = (int(value) for value in fields[2:6])
    if right <= left or bottom <= top:
        return f"face box top={top} left={left} right={right} bottom={bottom} has no area"
    try:
        float(fields[6])
    except ValueError:
        return f"face box confidence {fields[6]!r} is not a number"
    if not fields[7].isdigit() or int(fields[7]) not in CODES.codes:
        return unknown_code(CODES.codes, fields[7])
    return None
