"""The embedded synthetic datasets: procedurally drawn faces, present on every machine.

``synth-fer`` imitates FER2013 (48x48 grey, loose crops, noisy, low contrast); ``synth-raf``
imitates RAF-DB (100x100 colour, tight aligned crops, compound expressions). Both are drawn
by :mod:`ferbench.data.synthetic` from a seed and cached under ``<cache_dir>/synthetic``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ferbench import DataContext, Dataset, FaceSet, Splits, register_dataset
from ferbench.data import synthetic


class SyntheticFaces(Dataset):
    """Drawn faces of one synthetic domain, with official train/val/test splits."""

    embedded = True
    faces = "as-published"
    """Drawn faces: dlib's detector finds none, so aligning would only resize them."""

    domain = ""

    def __init__(
        self, n_train: int = 2100, n_val: int = 350, n_test: int = 700, seed: int | None = None
    ):
        where = f"dataset {self.name!r}"
        self.sizes = {
            "train": synthetic.check_count("n_train", n_train, where),
            "val": synthetic.check_count("n_val", n_val, where),
            "test": synthetic.check_count("n_test", n_test, where),
        }
        self.seed = None if seed is None else synthetic.check_seed(seed, where)

    def resolved_seed(self, ctx: DataContext) -> int:
        """The plugin's own ``seed``, else the run's ``ctx.seed``."""
        seed = ctx.seed if self.seed is None else self.seed
        return synthetic.check_seed(seed, f"dataset {self.name!r} (seed from the run context)")

    def locate(self, ctx: DataContext) -> str:
        """Embedded data are always there; the variant names the seed."""
        return f"embedded (seed {self.resolved_seed(ctx)})"

    def load(self, ctx: DataContext) -> Splits:
        seed = self.resolved_seed(ctx)
        cache_dir = Path(ctx.cache_dir) / "synthetic"
        parts = synthetic.load_splits(self.domain, self.sizes, seed, cache_dir)
        return Splits(**{split: self._faces(split, part, seed) for split, part in parts.items()})

    def _faces(self, split: str, part: synthetic.SyntheticSplit, seed: int) -> FaceSet:
        flipped = int(np.count_nonzero(part.labels != part.clean_labels))
        return FaceSet(
            images=part.images,
            labels=part.labels,
            subjects=part.subjects,
            ids=np.array([f"{self.name}/{split}/{i:06d}" for i in range(len(part.labels))]),
            dataset=self.name,
            split=split,
            provenance={
                "source": "embedded procedural generator (ferbench.data.synthetic)",
                "generator_version": synthetic.GENERATOR_VERSION,
                "domain": self.domain,
                "seed": seed,
                "label_noise_rate": synthetic.LABEL_NOISE_RATE,
                "label_noise_count": flipped,
                "subjects": int(len(np.unique(part.subjects))),
            },
        )


@register_dataset(
    "synth-fer",
    summary="Embedded FER2013-like drawn faces: 48x48 grey, loose crops, noisy (no download)",
)
class SynthFer(SyntheticFaces):
    """FER2013-like synthetic faces."""

    name = "synth-fer"
    domain = "fer"


@register_dataset(
    "synth-raf",
    summary="Embedded RAF-DB-like drawn faces: 100x100 colour, tight aligned crops (no download)",
)
class SynthRaf(SyntheticFaces):
    """RAF-DB-like synthetic faces."""

    name = "synth-raf"
    domain = "raf"
