"""Evaluation protocols: which model is trained on what, and scored on what.

A *job* trains one method once; it is then scored on one or more test sets (a *cell* each):

- ``within``: a dataset's train split (validation: its val split) → its own test split.
  Datasets without an official test split (CK+) use subject-independent k-fold instead:
  one job per fold, no subject ever on both sides.
- ``cross``: a model trained on all of dataset A's training data → scored on B's test set
  (all of B when B has no official split), for every A ≠ B selected.

So the model that gives A's within row also gives A's cross rows: it is trained once.
Given ``sources`` (``--train``), only those datasets are trained on and the others are only
scored on (CD-FER's source → targets protocol); the jobs, and so the keys of their cells,
are the same as when every dataset is trained on.

A cross target's faces are first brought to the size and colour of the source's own faces
(:meth:`FaceSet.stored_as`), as ``ferbench predict`` brings a photo's face: a model meets
another dataset's faces prepared as its training faces were, then through its own view.

A cell scores over a label space fixed before any test label is looked at: within, the
classes its dataset defines; across, the classes both datasets define (each target's
``classes``). A subject-independent fold that happens to lack a class can therefore still be
predicted as that class: no score is told which classes its test set holds. The cell
records the classes it scored and what fell outside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ferbench.core.dataset import Splits
from ferbench.core.faceset import FaceSet
from ferbench.data.splits import subject_kfold

PROTOCOLS = ("within", "cross")
ROBUST = "robust"
CURVE = "curve"
"""The protocol of learning-curve cells: a within test set scored by a model trained on a
share of the training faces (``--train-fractions``)."""
"""The protocol of within test sets scored again under a corruption (``--corruptions``)."""


@dataclass(frozen=True)
class Target:
    """One test set a trained model is scored on; ``corruption`` (name, severity) scores a
    corrupted copy of it (protocol ``robust``)."""

    protocol: str
    dataset: str
    faces: FaceSet
    classes: tuple[int, ...]
    """The label space the cell scores over: its dataset's classes (within), or those both
    datasets define (cross); never read from the test faces' own labels."""
    corruption: tuple[str, int] | None = None

    @property
    def label(self) -> str:
        if self.corruption is None:
            return self.dataset
        return f"{self.dataset} {self.corruption[0]} {self.corruption[1]}"


@dataclass(frozen=True)
class Job:
    """Train once on ``train`` (validate on ``val``), then score every target."""

    train_dataset: str
    fold: int | None
    train: FaceSet
    val: FaceSet | None
    targets: list[Target] = field(default_factory=list)
    train_fraction: float | None = None
    """Set on learning-curve jobs: they train on this nested share of the training faces."""

    @property
    def label(self) -> str:
        fold = f" fold {self.fold}" if self.fold is not None else ""
        share = f" ({self.train_fraction:g} of train)" if self.train_fraction else ""
        return f"{self.train_dataset}{fold}{share}"


def dataset_classes(data: Splits) -> tuple[int, ...]:
    """The classes a dataset defines: every label found in any of its parts."""
    labels = np.unique(np.concatenate([part.labels for part in data.parts().values()]))
    return tuple(int(c) for c in labels)


def check_sources(sources: Sequence[str], targets: Sequence[str],
                  protocols: Sequence[str]) -> None:
    """Check a source → targets selection (``--train`` / ``--test``) before any data is read:
    both sides named, no dataset on both, and the cross protocol that scores the targets."""
    if not sources and not targets:
        return
    if not targets:
        raise ValueError(f"--train {','.join(sources)} needs --test: the datasets its models "
                         f"are scored on (e.g. --train rafdb --test ckplus,fer2013)")
    if not sources:
        raise ValueError(f"--test {','.join(targets)} needs --train: the dataset(s) the "
                         f"models are trained on (e.g. --train rafdb --test {','.join(targets)})")
    if both := [name for name in sources if name in targets]:
        raise ValueError(f"--train and --test both name {both[0]!r}: a dataset is either "
                         f"trained on (--train) or only scored on (--test)")
    if "cross" not in protocols:
        raise ValueError(f"--protocol {','.join(protocols)} with --test: the --test datasets "
                         f"are scored only across datasets; add cross (--protocol cross, or "
                         f"within,cross to also score each source on its own test split)")


def plan_jobs(
    splits: dict[str, Splits], protocols: tuple[str, ...], seed: int, folds: int | None = None,
    sources: Sequence[str] | None = None,
) -> list[Job]:
    """Jobs for the selected datasets and protocols, in a stable order.

    ``folds`` overrides each dataset's own k for subject-independent k-fold. ``sources``
    names the datasets to train on, the others being only scored on (cross); None trains on
    every dataset and scores it on the others.
    """
    unknown = set(protocols) - set(PROTOCOLS)
    if unknown:
        raise ValueError(f"unknown protocol(s) {sorted(unknown)}; choose from {PROTOCOLS}")
    if sources is not None and (missing := [s for s in sources if s not in splits]):
        raise ValueError(f"source dataset(s) {missing} are not among the loaded datasets "
                         f"{list(splits)}")
    trained = list(splits) if sources is None else [n for n in splits if n in sources]
    tested = list(splits) if sources is None else [n for n in splits if n not in sources]
    jobs: list[Job] = []
    defined = {name: dataset_classes(data) for name, data in splits.items()}
    for name in trained:
        data = splits[name]
        stored = data.train.images.shape[1:]
        others = [
            Target("cross", other, splits[other].as_target().stored_as(stored),
                   tuple(sorted(set(defined[name]) & set(defined[other]))))
            for other in tested
            if other != name and "cross" in protocols
        ]
        if data.test is not None:
            within = ([Target("within", name, data.test, defined[name])]
                      if "within" in protocols else [])
            if within or others:
                jobs.append(Job(name, None, data.train, data.val, within + others))
            continue
        if "within" in protocols:
            k = folds or data.kfold
            for fold, (train_idx, test_idx) in enumerate(
                subject_kfold(data.train.subjects, k, seed)
            ):
                test = data.train.subset(test_idx, split=f"fold{fold}-test")
                train = data.train.subset(train_idx, split=f"fold{fold}-train")
                jobs.append(Job(name, fold, train, data.val,
                                [Target("within", name, test, defined[name])]))
        if others:
            jobs.append(Job(name, None, data.train, data.val, others))
    return jobs


def parse_fractions(text: str) -> list[float]:
    """``"0.05,0.1,1"`` → [0.05, 0.1] sorted: the shares below 1 (1 is the within cell)."""
    try:
        fractions = sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ValueError(f"--train-fractions {text!r}: expected numbers such as "
                         f"0.05,0.1,0.25,0.5,1") from None
    if any(not 0 < f <= 1 for f in fractions):
        raise ValueError(f"--train-fractions {text!r}: every fraction must be in (0, 1]")
    return [f for f in fractions if f < 1]


def nested_subset(faces: FaceSet, fraction: float, seed: int) -> np.ndarray:
    """Indices of a ``fraction`` share of ``faces``; a smaller fraction is always a subset of
    a larger one (same seed). Whole subjects are taken, in a seeded order, when subjects are
    known; otherwise each class is sampled in proportion (stratified)."""
    rng = np.random.default_rng(seed)
    wanted = max(1, round(fraction * len(faces)))
    if np.any(faces.subjects != ""):
        order = rng.permutation(np.unique(faces.subjects))
        sizes = np.array([np.sum(faces.subjects == s) for s in order])
        taken = order[:int(np.searchsorted(np.cumsum(sizes), wanted)) + 1]
        return np.flatnonzero(np.isin(faces.subjects, taken))
    chosen = []
    for label in np.unique(faces.labels):
        members = rng.permutation(np.flatnonzero(faces.labels == label))
        chosen.append(members[:max(1, round(fraction * len(members)))])
    return np.sort(np.concatenate(chosen))


def learning_curve_jobs(jobs: list[Job], fractions: list[float], seed: int) -> list[Job]:
    """For every job with a within target, one job per fraction training on a nested share
    of its training faces and scored on the same within test set only."""
    extra = []
    for job in jobs:
        within = [t for t in job.targets if t.protocol == "within"]
        for fraction in fractions if within else []:
            index = nested_subset(job.train, fraction, seed)
            train = job.train.subset(index, split=f"{job.train.split}-{fraction:g}")
            targets = [Target(CURVE, t.dataset, t.faces, t.classes) for t in within]
            extra.append(Job(job.train_dataset, job.fold, train, job.val, targets, fraction))
    return extra
