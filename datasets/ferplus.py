"""FER+ (Barsoum et al., 2016): FER2013's images relabelled by 10 annotators each, 8 classes.

Two layouts (datasets/README.md). ``folders``: ``ferplus/FER2013{Train,Valid,Test}/`` with
48x48 PNGs and a header-less ``label.csv`` each (image name, face box, the 10 vote counts), as
Microsoft's ``generate_training_data.py`` writes them; it needs no ``fer2013.csv``. Splits
follow the folders (Train / Valid / Test → train / val / test); sample ids are
``<folder>/<image name>``. ``csv``: two files under the data root:

* ``ferplus/fer2013new.csv`` — ``Usage, Image name, neutral, happiness, surprise, sadness,
  anger, disgust, fear, contempt, unknown, NF`` vote counts, one row per FER2013 row, in
  fer2013.csv's original order. Rows are joined by position (the image names are FER+'s own
  file names, not row numbers); the Usage columns of both files must agree row by row;
* ``fer2013/fer2013.csv`` — Kaggle's FER2013 CSV, which holds the pixels.

In the ``csv`` layout, splits follow the Usage column (Training / PublicTest / PrivateTest
→ train / val / test).
Labels by vote, ``vote="majority"`` (default; the FER+ reference code): votes of 1 are
dropped as outliers, and an emotion needs more than half of the remaining votes. With
``vote="plurality"``: the most-voted emotion, ties dropped. Either way an image whose
winner is ``unknown`` or ``NF`` (not a face), or that has no winner, is excluded; the count
is in provenance as ``excluded_by_vote``. In the ``csv`` layout sample ids are FER2013's
``row<N>``.

Joining by position silently gives every image another image's votes when fer2013.csv is
not Kaggle's original file in its original row order (re-packagings rebuilt from the image
folders keep the split blocks but not the order inside them). So the join is checked: on
rows whose FER+ majority is one of FER2013's seven emotions, FER2013's own label must agree
with it clearly more often than chance (:func:`pairing_check`); otherwise loading stops.
``check_pairing=False`` skips the check (recorded in provenance).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ferbench import (
    DataContext,
    Dataset,
    DatasetFormatError,
    DatasetNotFound,
    LabelMap,
    Splits,
    register_dataset,
)
from ferbench.data import (
    FER2013_CODES,
    Problems,
    SampleList,
    Samples,
    describe,
    exists,
    find_layout,
    image_key,
    list_files,
    load_cached,
    outside_message,
    read_fer2013_csv,
    read_utf8,
    to_splits,
)

VOTE_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                "contempt", "unknown", "NF")
HEADER = ("Usage", "Image name", *VOTE_COLUMNS)
EMOTION_VOTES = 8
"""The first 8 vote columns are emotions; ``unknown`` and ``NF`` are not."""
CODES = LabelMap("ferplus", dict(enumerate(VOTE_COLUMNS[:EMOTION_VOTES])))
USAGE_PARTS = {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}
VOTES = ("majority", "plurality")
LABELS_FILE = "ferplus/fer2013new.csv"
IMAGES_FILE = "fer2013/fer2013.csv"
SPLIT_FOLDERS = {"FER2013Train": "train", "FER2013Valid": "val", "FER2013Test": "test"}
LAYOUTS = {"folders": [f"{name}/label.csv" for name in SPLIT_FOLDERS],
           "csv": [LABELS_FILE.removeprefix("ferplus/")]}
"""The layouts under ``<data root>/ferplus/``; the csv layout also needs :data:`IMAGES_FILE`."""
FACE_SHAPE = (48, 48)
PAIRING_MARGIN = 0.20
"""A true pairing must beat chance agreement by this much. Measured on the real files
(35,887 rows): a fer2013.csv rebuilt from the image-folder release (split blocks in place,
order inside them lost) agrees with the FER+ majority on 0.173–0.181 of the decided rows of
each split, against a chance level of 0.17–0.18 and 0.158–0.176 for random shuffles; on the
original pairing the two label sets are the same faces labelled twice, and FER+ was made to
correct a minority of FER2013's labels."""
MAX_VOTES = np.iinfo(np.int64).max
"""Vote counts are held as int64; a larger count is a malformed row, not an overflow."""
PAIRING_MIN_ROWS = 50
"""Below this many comparable rows the check cannot tell a pairing from chance; skipped."""


@register_dataset(
    "ferplus",
    summary="FER+: FER2013 relabelled by 10 annotators, 8 classes incl. contempt",
    details={"obtain": "https://github.com/microsoft/FERPlus (fer2013new.csv) plus FER2013's "
                       "fer2013.csv from Kaggle"},
)
class FerPlus(Dataset):
    """FER2013 images with FER+ vote labels (majority or plurality)."""

    name = "ferplus"

    def __init__(self, vote: str = "majority", check_pairing: bool = True):
        if vote not in VOTES:
            raise ValueError(f"ferplus: vote must be one of {', '.join(VOTES)}, got {vote!r}")
        if not isinstance(check_pairing, bool):
            raise ValueError(f"ferplus: check_pairing must be true or false, got {check_pairing!r}")
        self.vote, self.check_pairing = vote, check_pairing

    def locate(self, ctx: DataContext) -> str:
        root, folder = ctx.data_root, ctx.data_root / self.name
        if not any(exists(folder, p) for paths in LAYOUTS.values() for p in paths):
            folders = describe(folder, LAYOUTS["folders"])
            raise DatasetNotFound(
                self.name, root,
                expected=f"{describe(root, [LABELS_FILE, IMAGES_FILE])} (FER+ takes its "
                         f"labels from {LABELS_FILE} and its pixels from FER2013's Kaggle CSV "
                         f"{IMAGES_FILE}), or {folders} with the images beside each label.csv "
                         f"(image-folder layout)",
            )
        variant = find_layout(self.name, ctx, LAYOUTS)
        if variant == "csv" and not exists(root, IMAGES_FILE):
            raise DatasetNotFound(
                self.name, root,
                expected=f"{describe(root, [IMAGES_FILE])} (FER+ takes its labels from "
                         f"{LABELS_FILE} and its pixels from FER2013's Kaggle CSV {IMAGES_FILE})",
            )
        return variant

    def load(self, ctx: DataContext) -> Splits:
        variant = self.locate(ctx)
        settings = {"vote": self.vote, "check_pairing": self.check_pairing}
        if variant == "folders":
            folder = ctx.data_root / self.name
            sources = [folder / name for name in SPLIT_FOLDERS]
            samples = load_cached(ctx.cache_dir, self.name, variant, sources,
                                  {"vote": self.vote},
                                  lambda: decode_folders(folder, self.vote, self.name))
            return to_splits(samples, ctx, self.name, {"variant": variant, "source": str(folder)})
        labels_file, images_file = ctx.data_root / LABELS_FILE, ctx.data_root / IMAGES_FILE
        samples = load_cached(ctx.cache_dir, self.name, variant, [labels_file, images_file],
                              settings,
                              lambda: decode(labels_file, images_file, self.vote, self.name,
                                             self.check_pairing))
        provenance = {"variant": variant, "source": f"{labels_file} + {images_file}"}
        return to_splits(samples, ctx, self.name, provenance)


@dataclass
class VoteTable:
    """fer2013new.csv: one entry per row, ``valid`` False where the row is malformed."""

    usage: np.ndarray
    votes: np.ndarray
    valid: np.ndarray


def read_votes(path: Path, problems: Problems) -> VoteTable:
    """Parse fer2013new.csv; malformed rows are recorded in ``problems`` and marked invalid."""
    lines = read_utf8(path).rstrip("\r\n").splitlines()
    rows = list(csv.reader(lines))
    header = tuple(name.strip() for name in (rows[0] if rows else []))
    if header != HEADER:
        raise DatasetFormatError(f"{path} line 1: expected the header {','.join(HEADER)!r}, "
                                 f"found {','.join(header)!r}; is this FER+'s fer2013new.csv?")
    usage = np.full(len(rows) - 1, "", dtype=object)
    votes = np.zeros((len(rows) - 1, len(VOTE_COLUMNS)), dtype=np.int64)
    valid = np.zeros(len(rows) - 1, dtype=bool)
    for index, row in enumerate(rows[1:]):
        problem = _row_problem(row)
        if problem:
            problems.add(f"{path} line {index + 2}", problem)
            continue
        usage[index], votes[index], valid[index] = row[0].strip(), [int(v) for v in row[2:]], True
    return VoteTable(usage.astype(str), votes, valid)


def _row_problem(row: list[str]) -> str | None:
    if len(row) != len(HEADER):
        return f"expected {len(HEADER)} columns, found {len(row)}"
    if row[0].strip() not in USAGE_PARTS:
        return f"Usage {row[0]!r} is not one of {', '.join(USAGE_PARTS)}"
    return _vote_count_problem(row[2:])


def _vote_count_problem(cells: list[str]) -> str | None:
    """Why a row's vote counts cannot be read, or None; they must fit the int64 vote table."""
    counts = [v.strip() for v in cells]
    bad = next((v for v in counts if not v.isdecimal()), None)
    if bad is not None:
        return f"vote count {bad!r} is not a non-negative integer"
    huge = next((v for v in counts if len(v.lstrip("0")) > 19 or int(v) > MAX_VOTES), None)
    return f"vote count {huge!r} is too large" if huge is not None else None


def vote_labels(votes: np.ndarray, vote: str) -> tuple[np.ndarray, np.ndarray]:
    """``(canonical labels, decided)``: each row's winning emotion, and whether it has one."""
    if vote == "majority":
        counted = np.where(votes > 1, votes, 0)
        winner = counted.argmax(axis=1)
        decided = counted.max(axis=1) * 2 > counted.sum(axis=1)
    else:
        winner = votes.argmax(axis=1)
        best = votes.max(axis=1)
        decided = (best > 0) & ((votes == best[:, None]).sum(axis=1) == 1)
    decided &= winner < EMOTION_VOTES
    labels = np.full(len(votes), -1, dtype=np.int64)
    labels[decided] = CODES.to_canonical_array(winner[decided])
    return labels, decided


def pairing_check(fer2013_labels: np.ndarray, ferplus_labels: np.ndarray) -> dict[str, float]:
    """How often FER2013's label equals the FER+ label, and how often it would by chance.

    Only rows whose FER+ label is one of FER2013's seven emotions count. Chance is
    ``sum_c p_fer2013(c) * p_ferplus(c)``: the agreement of two independent labelings with
    these class frequencies, which is what a row-order mismatch produces.
    """
    comparable = np.isin(ferplus_labels, list(FER2013_CODES.codes.values()))
    ours, theirs = fer2013_labels[comparable], ferplus_labels[comparable]
    if len(ours) == 0:
        return {"pairing_rows": 0, "pairing_agreement": float("nan"),
                "pairing_chance": float("nan")}
    classes = np.union1d(ours, theirs)
    chance = sum(np.mean(ours == c) * np.mean(theirs == c) for c in classes)
    return {"pairing_rows": int(len(ours)), "pairing_agreement": float(np.mean(ours == theirs)),
            "pairing_chance": float(chance)}


def _refuse_mismatched_pairing(facts: dict[str, float], labels_file: Path,
                               images_file: Path, dataset: str) -> None:
    agreement, chance = facts["pairing_agreement"], facts["pairing_chance"]
    if facts["pairing_rows"] < PAIRING_MIN_ROWS or agreement >= chance + PAIRING_MARGIN:
        return
    raise DatasetFormatError(
        f"dataset {dataset!r}: {images_file} and {labels_file} do not belong together row by "
        f"row: FER2013's labels agree with the FER+ majority on {agreement:.3f} of "
        f"{facts['pairing_rows']} rows, about chance ({chance:.3f}); a true pairing agrees "
        f"far more often. FER+ labels rows by position, so fer2013.csv must be Kaggle's "
        f"original file in its original row order (not one rebuilt from the image-folder "
        f"release) and fer2013new.csv the FER+ file made for it. Use the original files, or "
        f"--set {dataset}.check_pairing=false if you are sure of the pairing"
    )


def decode(labels_file: Path, images_file: Path, vote: str, dataset: str,
           check_pairing: bool = True) -> Samples:
    """FER2013 rows joined with their FER+ votes by row number; undecided rows excluded."""
    problems = Problems(dataset)
    table = read_fer2013_csv(images_file, problems)
    votes = read_votes(labels_file, problems)
    if len(votes.valid) != table.data_rows:
        raise DatasetFormatError(
            f"dataset {dataset!r}: {labels_file} has {len(votes.valid)} data rows but "
            f"{images_file} has {table.data_rows}; FER+ labels FER2013 rows by position, so "
            "both must be the original releases (35,887 rows each)"
        )
    position = np.flatnonzero(votes.valid[table.rows])  # into table's arrays
    rows = table.rows[position]
    agree = votes.usage[rows] == table.usage[position]
    for row, usage in zip(rows[~agree].tolist(), table.usage[position[~agree]].tolist()):
        problems.add(f"{labels_file} line {row + 2}",
                     f"Usage {str(votes.usage[row])!r} differs from {images_file} line {row + 2} "
                     f"({usage!r})")
    position, rows = position[agree], rows[agree]
    labels, decided = vote_labels(votes.votes[rows], vote)
    known = np.isin(table.codes[position], list(FER2013_CODES.codes))
    pairing = pairing_check(FER2013_CODES.to_canonical_array(table.codes[position[known]]),
                            labels[known])
    if check_pairing:
        _refuse_mismatched_pairing(pairing, labels_file, images_file, dataset)
    kept = rows[decided]
    parts = np.empty(len(kept), dtype="<U5")
    for usage, part in USAGE_PARTS.items():
        parts[votes.usage[kept] == usage] = part
    return Samples(
        images=table.images[position[decided]],
        labels=labels[decided],
        subjects=np.full(len(kept), "", dtype=str),
        ids=np.char.add("row", kept.astype(str)),
        parts=parts,
        problems=problems,
        facts={"vote": vote, "excluded_by_vote": int((~decided).sum()),
               "pairing_checked": check_pairing, **pairing},
    )


def read_label_rows(labels: Path, problems: Problems) -> list[tuple[int, str, list[int]]]:
    """``(line, image name, 10 vote counts)`` of a header-less FER+ ``label.csv``; a
    malformed row is a problem naming its line."""
    rows = []
    text = io.StringIO(read_utf8(labels), newline="")
    for line, row in enumerate(csv.reader(text), start=1):
        where = f"{labels} line {line}"
        if len(row) != 2 + len(VOTE_COLUMNS):
            problems.add(where, f"expected {2 + len(VOTE_COLUMNS)} columns (image name, "
                                f"face box, {', '.join(VOTE_COLUMNS)}), found {len(row)}")
            continue
        problem = _vote_count_problem(row[2:])
        if problem:
            problems.add(where, problem)
            continue
        rows.append((line, row[0].strip(), [int(v.strip()) for v in row[2:]]))
    return rows


def decode_folders(folder: Path, vote: str, dataset: str) -> Samples:
    """The FER+ image folders: each split folder's ``label.csv`` votes decide the labels of
    the PNGs beside it; undecided images are excluded, bad rows and files are problems."""
    samples = SampleList(dataset, FACE_SHAPE)
    excluded = 0
    for name, part in SPLIT_FOLDERS.items():
        split = folder / name
        labels_file = split / "label.csv"
        rows = read_label_rows(labels_file, samples.problems)
        labels, decided = vote_labels(np.array([v for _, _, v in rows], dtype=np.int64)
                                      .reshape(-1, len(VOTE_COLUMNS)), vote)
        listed: dict[str, int] = {}
        for (line, cell, _), label, keep in zip(rows, labels.tolist(), decided.tolist()):
            where = f"{labels_file} line {line}"
            key = image_key(cell)
            if key is None:
                samples.problems.add(where, outside_message(cell, split))
                continue
            if key in listed:
                samples.problems.add(where, f"image {cell!r} is listed twice (first at line "
                                            f"{listed[key]})")
                continue
            listed[key] = line
            if not keep:
                excluded += 1
                continue
            path = split / key
            if not path.is_file():
                samples.problems.add(where, f"label without its image: {path} not found")
                continue
            samples.read(path, f"{name}/{key}", label, part)
        unlisted = [p.name for p in list_files(split)
                    if p.name != "label.csv" and p.name not in listed]
        if unlisted:
            shown = ", ".join(unlisted[:3]) + (" …" if len(unlisted) > 3 else "")
            samples.problems.add(split, f"{len(unlisted)} image file(s) that no row of "
                                        f"{labels_file} labels ({shown})",
                                 samples=len(unlisted))
    return samples.build(facts={"vote": vote, "excluded_by_vote": excluded})
