"""Shared bases of the dataset plugins that read a dataset as published under the data root.

A plugin keeps what is particular to its dataset (its layouts, how each decodes, its
parameters) and its registration; :class:`PublishedDataset` does the rest the same way for
every dataset: finding the layout, the decoding cache, provenance and the split policy. Two
policies recur: :class:`ValFromTrainDataset` carves a validation set from train, and
:class:`SubjectFoldDataset` has no official split and runs subject-independent k-fold. Two
layouts recur as well: :class:`ClassFolderLayout` (``<part>/<class>/<image>``) and
:class:`BoxedFacesDataset` (photos with a label list giving each face's box).
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ferbench.core.dataset import DataContext, Dataset, Splits
from ferbench.data.cache import load_cached
from ferbench.data.faces import crops
from ferbench.data.images import class_folders, list_files
from ferbench.data.layout import find_layout
from ferbench.data.problems import Problems
from ferbench.data.samples import SampleList, Samples
from ferbench.data.splits import to_splits


def check_fraction(dataset: str, key: str, value: float) -> float:
    """``value`` if it is a fraction strictly between 0 and 1, else a ValueError naming it."""
    if not 0.0 < value < 1.0:
        raise ValueError(f"{dataset}: {key} must be in (0, 1), got {value}")
    return value


class PublishedDataset(Dataset):
    """A dataset read from one of its published layouts under ``<data root>/<name>/``.

    A subclass sets ``layouts`` (variant → paths, as :func:`find_layout` takes them) and
    :meth:`decode`; the other steps of :meth:`load` are hooks whose defaults fit most
    datasets. The decoded samples are cached per variant and :meth:`settings`, so a new
    seed or validation fraction never decodes again. A subclass declares all its parameters
    in its own ``__init__`` (what ``ferbench list datasets`` shows and a bad ``--set``
    names) and passes its base's on.
    """

    layouts: ClassVar[Mapping[str, Sequence[str]]] = {}

    def locate(self, ctx: DataContext) -> str:
        return find_layout(self.name, ctx, self.layouts)

    def load(self, ctx: DataContext) -> Splits:
        variant = self.locate(ctx)
        folder = self.folder(ctx, variant)
        self.check(folder, variant)
        samples = load_cached(ctx.cache_dir, self.name, variant, self.sources(folder, variant),
                              self.settings(variant), lambda: self.decode(folder, variant))
        provenance = {"variant": variant, "source": str(folder)}
        return self.split(samples, ctx, provenance, variant)

    def folder(self, ctx: DataContext, variant: str) -> Path:
        """Where ``variant``'s files lie: ``<data root>/<name>/``."""
        return ctx.data_root / self.name

    def check(self, folder: Path, variant: str) -> None:
        """Refuse, before anything is decoded, what ``variant`` cannot be loaded with
        (a parameter it cannot honour, a missing optional dependency)."""

    def sources(self, folder: Path, variant: str) -> list[Path]:
        """The files and folders whose change invalidates the cache: the layout's paths."""
        return [folder / path.rstrip("/") for path in self.layouts[variant]]

    def settings(self, variant: str) -> dict[str, Any]:
        """The parameters the decoded samples depend on (part of the cache key)."""
        return {}

    @abstractmethod
    def decode(self, folder: Path, variant: str) -> Samples:
        """Every sample of ``variant`` under ``folder``, each malformed one a problem."""

    def split(self, samples: Samples, ctx: DataContext, provenance: dict[str, Any],
              variant: str) -> Splits:
        """The splits the files publish."""
        return to_splits(samples, ctx, self.name, provenance)


class ValFromTrainDataset(PublishedDataset):
    """A dataset that publishes no validation split: ``val_fraction`` of each train class
    is carved off as val (stratified, seeded with ``ctx.seed``) after the cache."""

    def __init__(self, val_fraction: float = 0.1):
        self.val_fraction = check_fraction(self.name, "val_fraction", val_fraction)

    def split(self, samples: Samples, ctx: DataContext, provenance: dict[str, Any],
              variant: str) -> Splits:
        return to_splits(samples, ctx, self.name, provenance, val_fraction=self.val_fraction)


class SubjectFoldDataset(PublishedDataset):
    """A dataset without an official split: everything is ``train`` with subject ids, and
    the within protocol runs subject-independent ``kfold``; as a cross-dataset target all
    of it is test."""

    def __init__(self, kfold: int = 10):
        if kfold < 2:
            raise ValueError(f"{self.name}: kfold must be >= 2, got {kfold}")
        self.kfold = kfold

    def split(self, samples: Samples, ctx: DataContext, provenance: dict[str, Any],
              variant: str) -> Splits:
        return to_splits(samples, ctx, self.name, provenance, kfold=self.kfold)


@dataclass(frozen=True)
class ClassFolderLayout:
    """Images in ``<part>/<class>/`` folders: the split named by the part, the label by
    the class folder; sample ids are paths relative to the dataset's folder.

    ``parts`` maps each part folder to its split, ``classes`` each class folder name to
    its canonical label. Every image must have ``shape`` ((H, W) gray, (H, W, 3) RGB)
    unless ``resize`` (bilinear) is set. ``subject``, for datasets whose file names carry
    it, is a pattern whose first group is the subject; a file it does not match is a
    problem naming the expected ``file_name``. ``facts`` go into provenance.
    """

    parts: Mapping[str, str]
    classes: Mapping[str, int]
    shape: tuple[int, ...]
    resize: bool = False
    subject: re.Pattern[str] | None = None
    file_name: str = ""
    facts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def paths(self) -> list[str]:
        """The part folders, as :func:`find_layout` takes a layout's paths."""
        return [f"{part}/" for part in self.parts]

    def decode(self, folder: Path, dataset: str) -> Samples:
        """Every image of every class folder of every part, in sorted order."""
        samples = SampleList(dataset, self.shape)
        for part, split in self.parts.items():
            for class_folder, label in class_folders(folder / part, self.classes,
                                                     samples.problems):
                for path in list_files(class_folder):
                    subject = self._subject(path, samples.problems)
                    if subject is not None:
                        samples.read(path, str(path.relative_to(folder)), label, split,
                                     subject=subject, resize=self.resize)
        return samples.build(dict(self.facts))

    def _subject(self, path: Path, problems: Problems) -> str | None:
        """The subject ``path``'s name carries ("" when the layout names none), or None."""
        if self.subject is None:
            return ""
        match = self.subject.fullmatch(path.name)
        if match is None:
            problems.add(path, f"file name does not carry the subject; expected {self.file_name}")
            return None
        return match.group(1)


@dataclass(frozen=True)
class ListedFace:
    """One face a label list names: its photo, its published box (left, top, right,
    bottom), its label, and the list line (``where``) that problems with it name."""

    path: Path
    box: crops.FaceBox
    label: int
    sample_id: str
    where: str
    subject: str = ""
    part: str = "train"


class BoxedFacesDataset(ValFromTrainDataset):
    """Photos with a label list giving each face's box: every face is prepared from its box
    at :data:`crops.SHAPE` RGB by ``crop``: "align" (default) fits dlib's landmarks in the
    box and eye-aligns the face as ``ferbench predict`` does, "box" cuts the box as
    published. A subclass reads its label list in :meth:`list_faces`."""

    def __init__(self, val_fraction: float = 0.1, crop: str = "align"):
        super().__init__(val_fraction)
        self.crop = crops.check_box_crop(self.name, crop)

    @property
    def framed_on_load(self) -> str:
        return f"aligned when decoded ({crops.describe(self.crop)})" if self.crop == "align" else ""

    def check(self, folder: Path, variant: str) -> None:
        crops.check_detector(self.crop)

    def settings(self, variant: str) -> dict[str, Any]:
        return {"crop": self.crop}

    @abstractmethod
    def list_faces(self, folder: Path,
                   problems: Problems) -> tuple[list[ListedFace], dict[str, Any]]:
        """The well-formed faces of the label list whose photo is there, each malformed row
        recorded in ``problems``; and provenance facts of the listing."""

    def decode(self, folder: Path, variant: str) -> Samples:
        samples = SampleList(self.name, crops.SHAPE)
        faces, facts = self.list_faces(folder, samples.problems)
        prepared = crops.prepare_faces([face.path for face in faces], self.crop,
                                       f"{self.name}: {self.crop} crops",
                                       [face.box for face in faces])
        for face, image in zip(faces, prepared):
            if isinstance(image, str):
                samples.problems.add(f"{face.path} ({face.where})", image)
            else:
                samples.add(image, face.label, face.subject, face.sample_id, face.part)
        return samples.build({"crop": crops.describe(self.crop), **facts})
