"""SFEW 2.0 (Dhall et al., EmotiW 2015): aligned faces from film frames, 7 classes.

Layout under ``<data root>/sfew/`` (datasets/README.md): the aligned faces in
``Train/<Class>/*.png`` and ``Val/<Class>/*.png``, classes Angry Disgust Fear Happy Neutral
Sad Surprise. Each face is resized (bilinear) to 100x100 RGB.

The test labels are unreleased, so Val is the test split (as papers report it); val is
carved from Train (stratified, seeded with ``ctx.seed``). Sample ids are paths relative to
``sfew/``.
"""

from __future__ import annotations

from pathlib import Path

from ferbench import DataContext, Dataset, Splits, emotion_index, register_dataset
from ferbench.data import (
    SampleList,
    Samples,
    class_folders,
    crops,
    find_layout,
    list_files,
    load_cached,
    to_splits,
)

CLASSES = {name: emotion_index(name)
           for name in ("Angry", "Disgust", "Fear", "Happy", "Neutral", "Sad", "Surprise")}
PARTS = {"Train": "train", "Val": "test"}
LAYOUTS = {"aligned": [f"{folder}/" for folder in PARTS]}


@register_dataset(
    "sfew",
    summary="SFEW 2.0: aligned faces from film frames, 7 classes; Val as test",
    details={"obtain": "https://users.cecs.anu.edu.au/~few_group/AFEW.html (request access "
                       "from the EmotiW organisers; academic research use)",
             "licence": "academic research use only under the SFEW/AFEW end-user licence; "
                        "frames of commercial films; no redistribution"},
)
class Sfew(Dataset):
    """SFEW 2.0's aligned faces; Val is the test split, val carved from Train."""

    name = "sfew"

    def __init__(self, val_fraction: float = 0.1):
        if not 0.0 < val_fraction < 1.0:
            raise ValueError(f"sfew: val_fraction must be in (0, 1), got {val_fraction}")
        self.val_fraction = val_fraction

    def locate(self, ctx: DataContext) -> str:
        return find_layout(self.name, ctx, LAYOUTS)

    def load(self, ctx: DataContext) -> Splits:
        variant = self.locate(ctx)
        folder = ctx.data_root / self.name
        samples = load_cached(ctx.cache_dir, self.name, variant,
                              [folder / name for name in PARTS], {},
                              lambda: decode(folder, self.name))
        provenance = {"variant": variant, "source": str(folder)}
        return to_splits(samples, ctx, self.name, provenance, val_fraction=self.val_fraction)


def decode(folder: Path, dataset: str) -> Samples:
    """Every face of ``Train/<Class>/`` and ``Val/<Class>/``, resized to 100x100 RGB."""
    samples = SampleList(dataset, crops.SHAPE)
    for name, part in PARTS.items():
        for class_folder, label in class_folders(folder / name, CLASSES, samples.problems):
            for path in list_files(class_folder):
                samples.read(path, str(path.relative_to(folder)), label, part, resize=True)
    return samples.build({"crop": crops.describe("none")})
