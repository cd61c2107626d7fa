"""Two tiny datasets for fast harness tests: 'toy-a' (official split) and 'toy-b' (k-fold)."""

import numpy as np

from ferbench import DataContext, Dataset, FaceSet, Splits, register_dataset
from ferbench.testing import toy_faces


@register_dataset("toy-a", summary="toy stripes, official train/val/test split")
class ToyA(Dataset):
    faces = "as-published"

    def locate(self, ctx: DataContext) -> str:
        return "generated"

    def load(self, ctx: DataContext) -> Splits:
        classes = (0, 3, 4, 6)
        return Splits(
            train=toy_faces(classes, 15, seed=10),
            val=toy_faces(classes, 4, seed=11, split="val"),
            test=toy_faces(classes, 6, seed=12, split="test"),
        )


@register_dataset("toy-b", summary="toy stripes in colour, no official split (subject k-fold)")
class ToyB(Dataset):
    faces = "as-published"

    def locate(self, ctx: DataContext) -> str:
        return "generated"

    def load(self, ctx: DataContext) -> Splits:
        faces = toy_faces((0, 3, 4, 5), 10, size=40, rgb=True, seed=20, split="all")
        subjects = np.array([f"p{i % 6}" for i in range(len(faces))])
        return Splits(
            train=FaceSet(faces.images, faces.labels, subjects=subjects, dataset="toy-b"),
            kfold=3,
        )
