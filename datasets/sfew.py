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

from ferbench import emotion_index, register_dataset
from ferbench.data import ClassFolderLayout, Samples, ValFromTrainDataset, crops

CLASSES = {name: emotion_index(name)
           for name in ("Angry", "Disgust", "Fear", "Happy", "Neutral", "Sad", "Surprise")}
FACES = ClassFolderLayout({"Train": "train", "Val": "test"}, CLASSES, crops.SHAPE, resize=True,
                          facts={"crop": crops.describe("none")})


@register_dataset(
    "sfew",
    summary="SFEW 2.0: aligned faces from film frames, 7 classes; Val as test",
    details={"obtain": "https://users.cecs.anu.edu.au/~few_group/AFEW.html (request access "
                       "from the EmotiW organisers; academic research use)",
             "licence": "academic research use only under the SFEW/AFEW end-user licence; "
                        "frames of commercial films; no redistribution"},
)
class Sfew(ValFromTrainDataset):
    """SFEW 2.0's aligned faces; Val is the test split, val carved from Train."""

    name = "sfew"
    layouts = {"aligned": FACES.paths}

    def __init__(self, val_fraction: float = 0.1):
        super().__init__(val_fraction)

    def decode(self, folder: Path, variant: str) -> Samples:
        """Every face of ``Train/<Class>/`` and ``Val/<Class>/``, resized to 100x100 RGB."""
        return FACES.decode(folder, self.name)
