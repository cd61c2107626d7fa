"""FER2013 (Goodfellow et al., 2013): 35,887 gray 48x48 web faces in 7 classes.

Layouts under ``<data root>/fer2013/`` (datasets/README.md):

* ``csv``: Kaggle's ``fer2013.csv`` (``emotion,pixels,Usage``). train = Training,
  val = PublicTest, test = PrivateTest. Sample ids ``row<N>``, N the 0-based data row
  (file line N + 2), the numbering FER+ relabels.
* ``folder``: the image-folder re-packaging, ``train/<class>/*.jpg`` and ``test/<class>/*.jpg``.
  val is carved from train (stratified, seeded with ``ctx.seed``). Sample ids are paths
  relative to ``fer2013/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ferbench import DataContext, Splits, emotion_index, register_dataset
from ferbench.data import (
    FER2013_CODES,
    ClassFolderLayout,
    Problems,
    Samples,
    ValFromTrainDataset,
    read_fer2013_csv,
    to_splits,
    unknown_code,
)

CODES = FER2013_CODES

FOLDER_CLASSES = {name: emotion_index(name)
                  for name in ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")}
FOLDERS = ClassFolderLayout({"train": "train", "test": "test"}, FOLDER_CLASSES, (48, 48))
USAGE_PARTS = {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}


@register_dataset(
    "fer2013",
    summary="FER2013: 35,887 gray 48x48 web faces, 7 classes (Kaggle CSV or image folders)",
    details={"obtain": "https://www.kaggle.com/c/challenges-in-representation-learning-"
                       "facial-expression-recognition-challenge/data (fer2013.csv) or "
                       "https://www.kaggle.com/datasets/msambare/fer2013 (image folders)"},
)
class Fer2013(ValFromTrainDataset):
    """FER2013 from Kaggle's CSV (official 3-way split) or its image-folder re-packaging."""

    name = "fer2013"
    layouts = {"csv": ["fer2013.csv"], "folder": FOLDERS.paths}

    def __init__(self, val_fraction: float = 0.1):
        super().__init__(val_fraction)

    def decode(self, folder: Path, variant: str) -> Samples:
        if variant == "csv":
            return decode_csv(folder / "fer2013.csv", self.name)
        return FOLDERS.decode(folder, self.name)

    def split(self, samples: Samples, ctx: DataContext, provenance: dict[str, Any],
              variant: str) -> Splits:
        if variant == "csv":  # the CSV publishes its val split (PublicTest)
            return to_splits(samples, ctx, self.name, provenance)
        return super().split(samples, ctx, provenance, variant)


def decode_csv(path: Path, dataset: str) -> Samples:
    """The CSV's well-formed rows with a known emotion code, in canonical labels."""
    problems = Problems(dataset)
    table = read_fer2013_csv(path, problems)
    known = np.isin(table.codes, list(CODES.codes))
    for row, code in zip(table.rows[~known], table.codes[~known]):
        problems.add(f"{path} line {row + 2}", unknown_code(CODES.codes, int(code)))
    parts = np.empty(int(known.sum()), dtype="<U5")
    for usage, part in USAGE_PARTS.items():
        parts[table.usage[known] == usage] = part
    return Samples(
        images=table.images[known],
        labels=CODES.to_canonical_array(table.codes[known]),
        subjects=np.full(len(parts), "", dtype=str),
        ids=np.char.add("row", table.rows[known].astype(str)),
        parts=parts,
        problems=problems,
    )
