"""The dataset of a TOML description, accepted by path wherever a dataset name is.

:func:`register_described` reads the file and registers its dataset under the file's
``name``, which is what reports show; ``ferbench run --datasets mine.toml`` and
``ferbench datasets mine.toml`` go through it (:func:`resolve_dataset`).
Decoding follows the built-in plugins: every problem found in one pass, the
``--skip-bad`` policy, the fingerprinted cache (TOML, labels CSV and image folder); the
seeded train/test split happens after the cache, so a new ``--data-seed`` never re-decodes.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ferbench.core.dataset import DataContext, Dataset, DatasetFormatError, DatasetNotFound, Splits
from ferbench.core.registry import DATASETS, load_plugins
from ferbench.data.cache import load_cached
from ferbench.data.description import Description, read_description
from ferbench.data.faces import crops
from ferbench.data.listing import list_entries
from ferbench.data.samples import SampleList, Samples
from ferbench.data.splits import grouped_holdout, stratified_holdout, to_splits

DESCRIBED_BY = "described_by"
"""The registry detail naming the TOML file a dataset was registered from."""


class DescribedDataMissing(DatasetNotFound):
    """A path that a dataset description names is not there."""

    def __init__(self, description: Description, expected: str):
        super().__init__(description.name, description.file.parent, expected,
                         doc=str(description.file))
        self.args = (f"dataset {description.name!r} described by {description.file}: "
                     f"{expected} not found",)


class DescribedDataset(Dataset):
    """Your own labelled images, as a TOML file describes them (datasets/README.md)."""

    embedded = False

    def __init__(self, description: Description):
        self.description = description
        self.name = description.name

    @property
    def framed_on_load(self) -> str:
        crop = self.description.crop
        return f"aligned when decoded ({crops.describe(crop)})" if crop == "detect" else ""

    def locate(self, ctx: DataContext) -> str:
        described = self.description
        if not described.images.is_dir():
            raise DescribedDataMissing(described, f"the images folder {described.images}/")
        if described.labels is not None and not described.labels.is_file():
            raise DescribedDataMissing(described, f"the labels CSV {described.labels}")
        crops.check_detector(described.crop)
        layout = "csv" if described.labels is not None else "folders"
        return f"{layout}-{described.crop}"

    def load(self, ctx: DataContext) -> Splits:
        described = self.description
        variant = self.locate(ctx)
        sources = [described.file, described.images,
                   *([described.labels] if described.labels is not None else [])]
        samples = load_cached(ctx.cache_dir, self.name, variant, sources, described.settings(),
                              lambda: decode(described))
        samples.problems.enforce(ctx.skip_bad)
        if not len(samples):
            raise DatasetFormatError(f"dataset {self.name!r} ({described.file}): no usable "
                                     f"images under {described.images}")
        provenance = {"variant": variant, "source": str(described.file)}
        if described.split_column is None:
            samples, provenance["split"] = _holdout(samples, described, ctx.seed)
        else:
            provenance["split"] = f"column {described.split_column!r} of {described.labels}"
            _require_train_and_test(samples, described)
        return to_splits(samples, ctx, self.name, provenance,
                         val_fraction=described.val_fraction)


def decode(described: Description) -> Samples:
    """The images ``described`` lists, prepared at :data:`crops.SHAPE` in canonical labels."""
    samples = SampleList(described.name, crops.SHAPE)
    dropped: Counter[str] = Counter()
    entries = list_entries(described, samples.problems, dropped)
    faces = crops.prepare_faces([entry.path for entry in entries], described.crop,
                                f"{described.name}: {described.crop} faces")
    for entry, face in zip(entries, faces):
        if isinstance(face, str):
            samples.problems.add(entry.path, face)
        else:
            samples.add(face, entry.label, entry.subject, entry.sample_id, entry.part)
    facts = {"crop": crops.describe(described.crop)}
    if dropped:
        facts["dropped"] = dict(sorted(dropped.items()))
    return samples.build(facts)


def _holdout(samples: Samples, described: Description, seed: int) -> tuple[Samples, str]:
    """``samples`` split into train and test (``test_fraction``), and how it was done."""
    fraction = described.test_fraction
    try:
        if described.subject_column is not None:
            _, test = grouped_holdout(samples.labels, samples.subjects, fraction, seed)
            how = f"test: whole subjects, about {fraction:.0%} of each class, seed {seed}"
        else:
            _, test = stratified_holdout(samples.labels, fraction, seed)
            how = f"test: {fraction:.0%} of each class, stratified, seed {seed}"
    except ValueError as error:
        raise DatasetFormatError(f"dataset {described.name!r} ({described.file}): {error}") \
            from None
    if not len(test):
        raise DatasetFormatError(
            f"dataset {described.name!r} ({described.file}): no class has enough images to "
            f"hold out test_fraction = {fraction} of it; add images or raise test_fraction")
    parts = np.full(len(samples), "train")
    parts[test] = "test"
    return dataclasses.replace(samples, parts=parts), how


def _require_train_and_test(samples: Samples, described: Description) -> None:
    for part in ("train", "test"):
        if not (samples.parts == part).any():
            raise DatasetFormatError(
                f"dataset {described.name!r}: no usable {part} row in column "
                f"{described.split_column!r} of {described.labels}")


def register_described(path: Path) -> str:
    """Register the dataset that ``path`` describes under its ``name``, and return the name.

    Registering the same file again replaces its entry (the file may have changed); a name
    that another dataset already has is an error naming both.
    """
    described = read_description(path)
    if described.name in DATASETS:
        entry = DATASETS.get(described.name)
        if entry.details.get(DESCRIBED_BY) != str(described.file):
            by = entry.details.get(DESCRIBED_BY, entry.source)
            raise DatasetFormatError(f"{described.file}: name = {described.name!r} is already "
                                     f"the name of a dataset ({by}); choose another name")
        DATASETS.unregister(described.name)

    def factory() -> DescribedDataset:
        return DescribedDataset(described)

    details = {DESCRIBED_BY: str(described.file),
               "obtain": f"your own files, described by {described.file}"}
    DATASETS.register(described.name, summary=f"described by {described.file}",
                      details=details)(factory)
    return described.name


def resolve_dataset(name: str) -> str:
    """``name`` itself, or for a path ending in ``.toml`` the ``name`` of the dataset that
    file describes, registered on the way (datasets/README.md, "Your own data")."""
    load_plugins()
    if not name.lower().endswith(".toml"):
        return name
    return register_described(Path(name))


def create_dataset(name: str, **params: Any) -> Any:
    """Build a registered dataset plugin: ``create_dataset("synth-fer", n_train=500)``, or
    the dataset a TOML file describes: ``create_dataset("mine.toml")``."""
    return DATASETS.create(resolve_dataset(name), **params)
