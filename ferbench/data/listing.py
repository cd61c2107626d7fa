"""Which images a described dataset has, with which label: class folders or a labels CSV.

Every malformed row or folder becomes a problem (:class:`~ferbench.data.Problems`) naming
its file and line, so one pass reports all of them; what is left is a list of
:class:`Entry` to decode.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ferbench.core.dataset import DatasetFormatError
from ferbench.data.description import DROP, Description
from ferbench.data.images import (
    IGNORED_FILES,
    class_folders,
    image_key,
    list_files,
    outside_message,
)
from ferbench.data.problems import Problems

UNKNOWN = -2
"""The label of a class folder whose name matches no emotion."""
SPLITS = {"train": "train", "val": "val", "validation": "val", "test": "test"}
"""Accepted values of ``split_column`` (lower-cased) and the split each means."""
ROWS_NAMED = 5
"""How many CSV lines an unknown-label problem names before '+ N more'."""


@dataclass(frozen=True)
class Entry:
    """One labelled image to decode; ``part`` comes from ``split_column``, else is empty."""

    path: Path
    sample_id: str
    label: int
    subject: str = ""
    part: str = ""


@dataclass(frozen=True)
class Row:
    """What a CSV row said about an image, kept to compare with a later row for it."""

    line: int
    label: int | None
    raw: str


def list_entries(description: Description, problems: Problems,
                 dropped: Counter[str]) -> list[Entry]:
    """The images to decode; problems recorded, ``[label_map]`` drops counted per label."""
    if description.labels is None:
        return _folder_entries(description, problems, dropped)
    return _csv_entries(description, description.labels, problems, dropped)


def _folder_entries(description: Description, problems: Problems,
                    dropped: Counter[str]) -> list[Entry]:
    root = description.images
    names = [p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    classes = {name: UNKNOWN if (label := description.label_of(name)) is None else label
               for name in names}
    entries = []
    for folder, label in class_folders(root, classes, problems):
        files = list_files(folder)
        if label == UNKNOWN:
            problems.add(folder, description.unknown_label(folder.name), samples=len(files))
        elif label == DROP:
            dropped[folder.name] += len(files)
        else:
            entries += [Entry(path, f"{folder.name}/{path.name}", label) for path in files]
    return entries


def _csv_entries(description: Description, labels: Path, problems: Problems,
                 dropped: Counter[str]) -> list[Entry]:
    try:
        text = labels.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise DatasetFormatError(f"{labels}: not UTF-8 text ({error})") from None
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = [name.strip() for name in reader.fieldnames or []]
    _check_columns(description, labels, reader.fieldnames)
    first: dict[str, Row] = {}
    entries: dict[str, Entry] = {}
    unknown: dict[str, list[int]] = defaultdict(list)
    for row in reader:
        line = reader.line_num
        where = f"{labels} line {line}"
        cell = (row[description.image_column] or "").strip()
        raw = (row[description.label_column] or "").strip()
        if not cell:
            problems.add(where, f"empty {description.image_column!r} cell")
            continue
        key = image_key(cell)
        if key is None:
            problems.add(where, outside_message(cell, description.images))
            continue
        label = description.label_of(raw)
        if key in first:
            if _repeated(problems, where, cell, Row(line, label, raw), first[key],
                         key in entries):
                entries.pop(key, None)
            continue
        first[key] = Row(line, label, raw)
        if label is None:
            unknown[raw].append(line)
            continue
        if label == DROP:
            dropped[raw] += 1
            continue
        entry = _entry(description, row, key, label, where, problems)
        if entry is not None:
            entries[key] = entry
    for raw, lines in unknown.items():
        shown = ", ".join(str(n) for n in lines[:ROWS_NAMED])
        more = f" + {len(lines) - ROWS_NAMED} more" if len(lines) > ROWS_NAMED else ""
        problems.add(f"{labels} line{'s' if len(lines) > 1 else ''} {shown}{more}",
                     description.unknown_label(raw), samples=len(lines))
    _unlabelled(description.images, labels, set(first), problems)
    return list(entries.values())


def _check_columns(description: Description, labels: Path, header: list[str]) -> None:
    for key in ("image_column", "label_column", "subject_column", "split_column"):
        column = getattr(description, key)
        if column is not None and column not in header:
            raise DatasetFormatError(
                f"{labels} has no column {column!r} (key {key!r} in {description.file}); "
                f"its columns are: {', '.join(header) or 'none (empty file)'}")


def _repeated(problems: Problems, where: str, cell: str, here: Row, before: Row,
              first_kept: bool) -> bool:
    """Record a second row for one image; True when the labels differ, so both rows go."""
    same = here.label == before.label if here.label is not None else here.raw == before.raw
    if same:
        problems.add(where, f"image {cell!r} is listed twice (first at line {before.line})")
        return False
    problems.add(where, f"image {cell!r} is listed twice with different labels: "
                        f"{before.raw!r} at line {before.line}, {here.raw!r} here",
                 samples=1 + first_kept)
    return True


def _entry(description: Description, row: dict[str, str], key: str, label: int, where: str,
           problems: Problems) -> Entry | None:
    """The entry of one row whose label is known, or None after recording its problem."""
    subject = part = ""
    if description.subject_column is not None:
        subject = (row[description.subject_column] or "").strip()
        if not subject:
            problems.add(where, f"empty {description.subject_column!r} (subject) cell")
            return None
    if description.split_column is not None:
        value = (row[description.split_column] or "").strip()
        part = SPLITS.get(value.lower(), "")
        if not part:
            problems.add(where, f"split {value!r} in column {description.split_column!r} is "
                                f"none of train, val (or validation), test")
            return None
    path = description.images / key
    if not path.is_file():
        problems.add(where, f"label without its image: {path} not found")
        return None
    return Entry(path, key, label, subject, part)


def _unlabelled(images: Path, labels: Path, listed: set[str], problems: Problems) -> None:
    """One problem counting the image files under ``images`` that no CSV row names."""
    suffixes = {suffix.lower() for suffix in Image.registered_extensions()}
    unlisted = []
    for path in sorted(images.rglob("*")):
        relative = path.relative_to(images)
        if (path.is_file() and path.suffix.lower() in suffixes
                and path.name not in IGNORED_FILES
                and not any(part.startswith(".") for part in relative.parts)
                and relative.as_posix() not in listed):
            unlisted.append(relative.as_posix())
    if unlisted:
        examples = ", ".join(unlisted[:3]) + (", …" if len(unlisted) > 3 else "")
        problems.add(images, f"{len(unlisted)} image file(s) that no row of {labels} labels "
                             f"({examples})", samples=len(unlisted))
