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

import numpy as np

from ferbench import DataContext, Dataset, Splits, emotion_index, register_dataset
from ferbench.data import (
    FER2013_CODES,
    Problems,
    SampleList,
    Samples,
    class_folders,
    find_layout,
    list_files,
    load_cached,
    read_fer2013_csv,
    to_splits,
    unknown_code,
)

CODES = FER2013_CODES

FOLDER_CLASSES = {name: emotion_index(name)
                  for name in ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")}
USAGE_PARTS = {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}
LAYOUTS = {"csv": ["fer2013.csv"], "folder": ["train/", "test/"]}


@register_dataset(
    "fer2013",
    summary="FER2013: 35,887 gray 48x48 web faces, 7 classes (Kaggle CSV or image folders)",
    details={"obtain": "https://www.kaggle.com/c/challenges-in-representation-learning-"
                       "facial-expression-recognition-challenge/data (fer2013.csv) or "
                       "https://www.kaggle.com/datasets/msambare/fer2013 (image folders)"},
)
class Fer2013(Dataset):
    """FER2013 from Kaggle's CSV (official 3-way split) or its image-folder re-packaging."""

    name = "fer2013"

    def __init__(self, val_fraction: float = 0.1):
        if not 0.0 < val_fraction < 1.0:
            raise ValueError(f"fer2013: val_fraction must be in (0, 1), got {val_fraction}")
        self.val_fraction = val_fraction

    def locate(self, ctx: DataContext) -> str:
        return find_layout(self.name, ctx, LAYOUTS)

    def load(self, ctx: DataContext) -> Splits:
        variant = self.locate(ctx)
        folder = ctx.data_root / self.name
        provenance = {"variant": variant, "source": str(folder)}
        if variant == "csv":
            samples = load_cached(ctx.cache_dir, self.name, variant, [folder / "fer2013.csv"],
                                  {}, lambda: decode_csv(folder / "fer2013.csv", self.name))
            return to_splits(samples, ctx, self.name, provenance)
        samples = load_cached(ctx.cache_dir, self.name, variant,
                              [folder / "train", folder / "test"], {},
                              lambda: decode_folders(folder, self.name))
        return to_splits(samples, ctx, self.name, provenance, val_fraction=self.val_fraction)


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


def decode_folders(folder: Path, dataset: str) -> Samples:
    """Every image of ``train/<class>/`` and ``test/<class>/``, which must be 48x48."""
    samples = SampleList(dataset, (48, 48))
    for part in ("train", "test"):
        for class_folder, label in class_folders(folder / part, FOLDER_CLASSES, samples.problems):
            for path in list_files(class_folder):
                samples.read(path, str(path.relative_to(folder)), label, part)
    return samples.build()
