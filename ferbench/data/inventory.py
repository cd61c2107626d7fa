"""What ``ferbench datasets`` prints: which datasets are on disk, and an audit of one.

:func:`inventory_report` answers "what can I benchmark?": per dataset, found or not, its
layout variant and per-split, per-class counts — or exactly which file is expected where
and how to obtain it. :func:`audit_report` checks one dataset for leaks that would inflate
scores: identical images in two splits, and subject overlap between k-fold train and test.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

import numpy as np
from tabulate import tabulate

from ferbench.core.dataset import DataContext, DatasetFormatError, DatasetNotFound, Splits
from ferbench.core.errors import PluginError
from ferbench.core.faceset import FaceSet
from ferbench.core.labels import EMOTIONS
from ferbench.core.registry import DATASETS
from ferbench.data.described import create_dataset
from ferbench.data.splits import subject_kfold

EXAMPLES = 10
"""How many duplicate groups an audit lists by sample id."""


def inventory_report(names: list[str], ctx: DataContext) -> str:
    """A markdown report of ``names``: found or missing, variant, split and class counts."""
    return inventory(names, ctx)[0]


def inventory(names: list[str], ctx: DataContext) -> tuple[str, list[str]]:
    """:func:`inventory_report`, and the names that are not usable (missing, unreadable…)."""
    rows, sections, unusable = [], [], []
    for name in names:
        status, variant, splits, detail = _inspect(name, ctx)
        counts: list[object] = ["", "", "", ""]
        if splits is not None:
            total = sum(len(faces) for faces in splits.parts().values())
            counts = [len(splits.train), _size(splits.val), _size(splits.test), total]
            if splits.test is None:
                counts[2] = f"— ({splits.kfold}-fold by subject)"
            sections.append(_class_table(name, variant, splits))
        elif detail:
            sections.append(f"### {name} ({status})\n\n{detail}")
        note = skipped_note(splits.train.provenance) if splits is not None else ""
        note = note or ("see below" if detail else "")
        rows.append([name, status, variant, *counts, note])
        if splits is None:
            unusable.append(name)
    header = ["dataset", "status", "variant", "train", "val", "test", "total", "notes"]
    summary = tabulate(rows, header, tablefmt="github")
    report = "\n\n".join([f"Data root: `{ctx.data_root}`", summary, *sections]) + "\n"
    return report, unusable


def _inspect(name: str, ctx: DataContext) -> tuple[str, str, Splits | None, str]:
    """``(status, variant, splits, detail)`` of one dataset; never raises for data problems."""
    dataset = create_dataset(name)
    try:
        variant = dataset.locate(ctx)
    except DatasetNotFound as missing:
        obtain = DATASETS.get(name).details.get("obtain", "see datasets/README.md")
        detail = f"Expected: {missing.expected}.\n\nObtain: {obtain}; layouts: datasets/README.md."
        return "missing", "", None, detail
    except DatasetFormatError as error:
        return "ambiguous", "", None, str(error)
    try:
        return "found", variant, dataset.load(ctx), ""
    except (DatasetFormatError, PluginError, OSError, ValueError) as error:
        return "unreadable", variant, None, str(error)


def skipped_note(provenance: dict) -> str:
    """``975 bad samples skipped (no face found 931, duplicate row 8, …; e.g. a.jpg)``, or ""
    when a load skipped nothing."""
    skipped = provenance.get("skipped", 0)
    if not skipped:
        return ""
    by_reason = provenance.get("skipped_by_reason", {})
    examples = provenance.get("skipped_examples", {})
    parts = [f"{reason} {n} (e.g. {', '.join(examples.get(reason, [])[:2])})"
             for reason, n in by_reason.items()]
    return f"{skipped} bad samples skipped" + (f": {'; '.join(parts)}" if parts else "")


def _size(faces: FaceSet | None) -> int | str:
    return len(faces) if faces is not None else "—"


def _class_table(name: str, variant: str, splits: Splits) -> str:
    parts = splits.parts()
    classes = sorted({label for faces in parts.values() for label in faces.class_counts()})
    rows = [[split, *(faces.class_counts().get(c, 0) for c in classes), len(faces)]
            for split, faces in parts.items()]
    table = tabulate(rows, ["split", *(EMOTIONS[c] for c in classes), "total"],
                     tablefmt="github")
    return f"### {name} ({variant})\n\n{table}"


def audit_report(name: str, ctx: DataContext) -> str:
    """A markdown audit of one dataset: exact duplicate images across splits and, for a
    dataset without a test split, whether its subject k-fold keeps subjects apart."""
    dataset = create_dataset(name)
    variant = dataset.locate(ctx)
    splits = dataset.load(ctx)
    parts = splits.parts()
    digests = {split: _digests(faces) for split, faces in parts.items()}
    sections = [f"# Audit of {name} ({variant})", _duplicates_section(parts, digests)]
    if splits.test is None:
        sections.append(_folds_section(splits, digests["train"], ctx.seed))
    return "\n\n".join(sections) + "\n"


def _digests(faces: FaceSet) -> list[bytes]:
    """A content hash per image: equal hashes mean byte-identical pixels."""
    return [hashlib.blake2b(image.tobytes(), digest_size=16).digest() for image in faces.images]


def _duplicates_section(parts: dict[str, FaceSet], digests: dict[str, list[bytes]]) -> str:
    where: dict[bytes, list[tuple[str, str]]] = defaultdict(list)
    for split, faces in parts.items():
        for digest, sample_id in zip(digests[split], faces.ids):
            where[digest].append((split, str(sample_id)))
    within = {split: len(d) - len(set(d)) for split, d in digests.items()}
    across = [group for group in where.values() if len({split for split, _ in group}) > 1]
    lines = ["## Exact duplicate images", "",
             "Repeats within a split: " + ", ".join(f"{s} {n}" for s, n in within.items()) + "."]
    if not across:
        lines.append("No image appears in more than one split.")
        return "\n".join(lines)
    images = sum(len(group) for group in across)
    lines.append(f"**{len(across)} distinct images appear in more than one split** "
                 f"({images} samples): scores on the later split are optimistic.")
    rows = [[" · ".join(f"{split}:{sample_id}" for split, sample_id in group)]
            for group in across[:EXAMPLES]]
    lines += ["", tabulate(rows, ["samples holding the same pixels"], tablefmt="github")]
    if len(across) > EXAMPLES:
        lines.append(f"… and {len(across) - EXAMPLES} more groups.")
    return "\n".join(lines)


def _folds_section(splits: Splits, digests: list[bytes], seed: int) -> str:

    subjects = splits.train.subjects
    lines = [f"## Subject-independent {splits.kfold}-fold (seed {seed})", ""]
    if not np.char.str_len(subjects.astype(str)).all():
        lines.append("Cannot verify: some samples carry no subject id.")
        return "\n".join(lines)
    try:
        folds = subject_kfold(subjects, splits.kfold, seed)
    except ValueError as error:
        lines.append(f"Cannot build the folds: {error}")
        return "\n".join(lines)
    digest_array = np.array(digests, dtype=object)
    rows, leaks = [], 0
    for fold, (train, test) in enumerate(folds):
        shared = np.intersect1d(subjects[train], subjects[test])
        same_pixels = len(set(digest_array[test]) & set(digest_array[train]))
        leaks += len(shared) + same_pixels
        rows.append([fold, len(train), len(test), len(np.unique(subjects[test])), len(shared),
                     same_pixels])
    header = ["fold", "train", "test", "test subjects", "subjects also in train",
              "test images also in train"]
    lines.append(tabulate(rows, header, tablefmt="github"))
    lines.append("")
    lines.append("Folds are subject-disjoint with no shared images." if not leaks else
                 f"**Leak: {leaks} shared subjects or images between train and test folds.**")
    return "\n".join(lines)
