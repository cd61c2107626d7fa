"""From decoded :class:`Samples` to :class:`~ferbench.Splits` of canonical FaceSets."""

from __future__ import annotations

from typing import Any

import numpy as np

from ferbench.core.dataset import DataContext, Splits
from ferbench.core.faceset import FaceSet
from ferbench.data.samples import Samples


def stratified_holdout(labels: np.ndarray, fraction: float,
                       seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(kept, held_out)``: ``round(fraction * n)`` of each class held out, seeded.

    Every class keeps at least one sample, so a rare class never vanishes from training.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation fraction must be in (0, 1), got {fraction}")
    rng = np.random.default_rng(seed)
    kept, held = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_held = min(len(members) - 1, round(fraction * len(members)))
        held.append(members[:n_held])
        kept.append(members[n_held:])
    return np.sort(np.concatenate(kept)), np.sort(np.concatenate(held))


def grouped_holdout(labels: np.ndarray, groups: np.ndarray, fraction: float,
                    seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(kept, held_out)`` with every group (subject) wholly on one side.

    Groups are visited in a seeded order and each is held out when that brings the held-out
    count of every class closer to ``fraction`` of it, so the split is stratified as far as
    whole groups allow. Both sides always get at least one group.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"held-out fraction must be in (0, 1), got {fraction}")
    names, group_of = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    if len(names) < 2:
        raise ValueError(f"a split by subject needs at least 2 subjects, found {len(names)}")
    _, class_of = np.unique(labels, return_inverse=True)
    counts = np.zeros((len(names), class_of.max() + 1), dtype=np.int64)
    np.add.at(counts, (group_of, class_of), 1)
    target = fraction * counts.sum(axis=0)
    held = np.zeros(len(names), dtype=bool)
    total = np.zeros(counts.shape[1])
    for group in np.random.default_rng(seed).permutation(len(names)):
        if np.abs(total + counts[group] - target).sum() < np.abs(total - target).sum():
            held[group], total = True, total + counts[group]
    if not held.any():
        held[np.argmin(np.abs(counts - target).sum(axis=1))] = True
    if held.all():
        held[np.argmax(counts.sum(axis=1))] = False
    on_held = held[group_of]
    return np.flatnonzero(~on_held), np.flatnonzero(on_held)


def to_splits(samples: Samples, ctx: DataContext, dataset: str, provenance: dict[str, Any],
              *, val_fraction: float | None = None, kfold: int | None = None) -> Splits:
    """The published splits as FaceSets, after enforcing the problem policy.

    ``val_fraction``: carve a stratified validation set (seeded with ``ctx.seed``) from
    train when the dataset publishes none. ``kfold``: the dataset has no official split;
    everything is ``train`` and the protocol runs subject-independent k-fold over it.
    """
    facts = {**provenance, **samples.facts, **samples.problems.enforce(ctx.skip_bad)}

    def faces(index: np.ndarray, split: str, extra: dict[str, Any] | None = None) -> FaceSet:
        return FaceSet(
            images=samples.images[index], labels=samples.labels[index],
            subjects=samples.subjects[index], ids=samples.ids[index],
            dataset=dataset, split=split, provenance={**facts, **(extra or {})},
        )

    if kfold is not None:
        return Splits(train=faces(np.arange(len(samples)), "train"), kfold=kfold)
    index = {part: np.flatnonzero(samples.parts == part) for part in ("train", "val", "test")}
    val_note = None
    if val_fraction is not None and not len(index["val"]):
        kept, held = stratified_holdout(samples.labels[index["train"]], val_fraction, ctx.seed)
        index["val"], index["train"] = index["train"][held], index["train"][kept]
        val_note = {"val": f"carved from train: {val_fraction:.0%} of each class, "
                           f"stratified, seed {ctx.seed}"}
    return Splits(
        train=faces(index["train"], "train", val_note),
        val=faces(index["val"], "val", val_note) if len(index["val"]) else None,
        test=faces(index["test"], "test"),
    )


def subject_kfold(subjects: np.ndarray, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Subject-independent k-fold: (train_idx, test_idx) pairs, no subject on both sides.

    Subjects are shuffled with ``seed`` and dealt greedily to the fold with the fewest samples
    so far, which keeps folds balanced when subjects have different numbers of frames.
    """
    subjects = np.asarray(subjects).astype(str)
    unique = np.unique(subjects)
    if k < 2:
        raise ValueError(f"subject_kfold needs k >= 2, got k={k}")
    if len(unique) < k:
        raise ValueError(f"subject_kfold: {len(unique)} subjects cannot fill k={k} folds")
    order = np.random.default_rng(seed).permutation(unique)
    sizes = {s: int(n) for s, n in zip(*np.unique(subjects, return_counts=True))}
    fold_of: dict[str, int] = {}
    load = np.zeros(k, dtype=np.int64)
    for subject in sorted(order, key=lambda s: -sizes[s]):
        fold = int(np.argmin(load))
        fold_of[subject] = fold
        load[fold] += sizes[subject]
    assignment = np.array([fold_of[s] for s in subjects])
    return [
        (np.flatnonzero(assignment != fold), np.flatnonzero(assignment == fold))
        for fold in range(k)
    ]
