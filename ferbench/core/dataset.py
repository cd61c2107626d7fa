"""The dataset plugin contract.

A dataset plugin is a class registered with :func:`ferbench.register_dataset`. It knows
one dataset's on-disk layouts and turns them into :class:`Splits` of canonical FaceSets.
The harness calls :meth:`Dataset.locate` for every requested dataset before any work
starts (so a missing download fails in a second, not after an hour of training), then
:meth:`Dataset.load`.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ferbench.core.faceset import FaceSet

DATA_ENV = "FERBENCH_DATA"
CACHE_ENV = "FERBENCH_CACHE"
LAYOUT_DOC = "datasets/README.md"


def default_data_root() -> Path:
    """``$FERBENCH_DATA``, else ``~/ferbench_data``."""
    return Path(os.environ.get(DATA_ENV) or Path.home() / "ferbench_data").expanduser()


def default_cache_dir() -> Path:
    """``$FERBENCH_CACHE``, else ``$XDG_CACHE_HOME/ferbench``, else ``~/.cache/ferbench``."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "ferbench"


@dataclass(frozen=True)
class DataContext:
    """Where data lives and how strictly to read it; the same for every dataset of a run."""

    data_root: Path
    cache_dir: Path
    skip_bad: bool = False
    seed: int = 0

    @classmethod
    def default(cls, **overrides: object) -> DataContext:
        values = {"data_root": default_data_root(), "cache_dir": default_cache_dir()}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


class DatasetNotFound(FileNotFoundError):
    """A dataset's files are not where its layout says; the message says what to put where."""

    def __init__(self, dataset: str, root: Path, expected: str, doc: str = LAYOUT_DOC):
        self.dataset, self.root, self.expected, self.doc = dataset, root, expected, doc
        super().__init__(
            f"dataset {dataset!r} not found under data root {root}: expected {expected}. "
            f"The layout is documented in {doc}; set the root with --data-root or "
            f"${DATA_ENV}."
        )

    def __str__(self) -> str:
        return str(self.args[0])


class DatasetFormatError(ValueError):
    """A dataset's files are malformed; the message lists the first problems and the total."""


@dataclass(frozen=True)
class Splits:
    """A dataset's splits, in canonical labels.

    ``test`` is None for datasets without an official split (CK+): the within protocol then
    uses subject-independent k-fold over ``train`` (``kfold`` folds), and as a cross-database
    target all of ``train`` is the test set.
    """

    train: FaceSet
    val: FaceSet | None = None
    test: FaceSet | None = None
    kfold: int = 10

    def as_target(self) -> FaceSet:
        """The set scored when this dataset is the target of a cross-database cell."""
        return self.test if self.test is not None else self.train

    def parts(self) -> dict[str, FaceSet]:
        named = {"train": self.train, "val": self.val, "test": self.test}
        return {name: part for name, part in named.items() if part is not None}

    def with_facts(self, facts: Mapping[str, Any]) -> Splits:
        """These splits with ``facts`` added to every split's provenance."""
        return replace(self, **{name: replace(part, provenance={**part.provenance, **facts})
                                for name, part in self.parts().items()})


class Dataset(ABC):
    """Base class of dataset plugins; subclasses set ``name`` through the registry."""

    name: str = ""
    embedded: bool = False
    """True for data generated or shipped with ferbench (no download): such runs default to
    the quick budget."""
    faces: str = "aligned"
    """How ``ferbench run`` frames this dataset's faces unless ``--faces`` says otherwise:
    "aligned" (re-detected and eye-aligned to one frame shared by every dataset, see
    :mod:`ferbench.data.faces.frame`) or "as-published". Drawn faces (the synthetic datasets)
    say "as-published": dlib finds no face in them."""

    @property
    def framed_on_load(self) -> str:
        """How :meth:`load` already puts faces in the aligned frame (e.g. ``crop = "align"``),
        so a run does not align them again; "" when it does not."""
        return ""

    @abstractmethod
    def locate(self, ctx: DataContext) -> str:
        """Check the files are there (cheaply) and return the variant found.

        Raises :class:`DatasetNotFound` naming what is expected where.
        """

    @abstractmethod
    def load(self, ctx: DataContext) -> Splits:
        """Decode (or read from cache) and return the canonical splits."""
