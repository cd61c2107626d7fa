"""A dataset described in a TOML file: the keys, their checks, and label matching.

Users benchmark their own labelled faces by writing a short TOML file instead of a plugin
(datasets/README.md, "Your own data"). :func:`read_description` checks every key before any
image is opened, so a typo fails at once with the file, the key and what it allows.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ferbench.core.dataset import DatasetFormatError
from ferbench.core.labels import EMOTIONS, SYNONYMS, emotion_index
from ferbench.data.faces.crops import FILE_CROPS

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

DROP = -1
"""The label of a class that ``[label_map]`` maps to ``"drop"``: its images are left out."""
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
"""Dataset names become parts of cache and result file names: letters, digits, ``._+-``."""


@dataclass(frozen=True)
class Description:
    """The checked content of one dataset TOML file; paths are absolute."""

    file: Path
    name: str
    images: Path
    labels: Path | None = None
    image_column: str = "image"
    label_column: str = "label"
    subject_column: str | None = None
    split_column: str | None = None
    test_fraction: float = 0.2
    val_fraction: float = 0.1
    crop: str = "none"
    label_map: dict[str, int] = field(default_factory=dict)
    """Lower-cased label → canonical index, or :data:`DROP`."""

    def label_of(self, label: str) -> int | None:
        """The canonical index of one of the user's labels, :data:`DROP`, or None if unknown.

        ``[label_map]`` comes first, then the canonical names and their synonyms, all
        matched case-insensitively.
        """
        key = label.strip().lower()
        if key in self.label_map:
            return self.label_map[key]
        try:
            return emotion_index(key)
        except ValueError:
            return None

    def unknown_label(self, label: str) -> str:
        """The problem message for a label that matches nothing."""
        return (f"unknown label {label!r}: not an emotion ({', '.join(EMOTIONS)}) or a synonym "
                f"({', '.join(sorted(SYNONYMS))}); map it in [label_map] of {self.file}, "
                f"or map it to \"drop\"")

    def settings(self) -> dict[str, Any]:
        """What decoding depends on besides the files: part of the cache key."""
        return {"file": str(self.file), "images": str(self.images),
                "labels": str(self.labels or ""), "image_column": self.image_column,
                "label_column": self.label_column, "subject_column": self.subject_column,
                "split_column": self.split_column, "crop": self.crop,
                "label_map": self.label_map}


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _path(value: object) -> str | None:
    text = _string(value)
    return text if text and "\x00" not in text else None


def _fraction(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 1:
        return float(value)
    return None


def _crop(value: object) -> str | None:
    return value if value in FILE_CROPS else None


def _table(value: object) -> dict[str, object] | None:
    return value if isinstance(value, dict) else None


def _name(value: object) -> str | None:
    text = _string(value)
    if text and NAME_PATTERN.fullmatch(text) and not text.lower().endswith(".toml"):
        return text
    return None


KEYS: dict[str, tuple[Callable[[object], Any], str]] = {
    "name": (_name, "a name of letters, digits and . _ + - (it names the dataset in reports)"),
    "images": (_path, "a folder path, relative to the TOML file's folder"),
    "labels": (_path, "a CSV file path, relative to the TOML file's folder"),
    "image_column": (_string, "a column name of the labels CSV"),
    "label_column": (_string, "a column name of the labels CSV"),
    "subject_column": (_string, "a column name of the labels CSV"),
    "split_column": (_string, "a column name of the labels CSV"),
    "test_fraction": (_fraction, "a number between 0 and 1 (exclusive)"),
    "val_fraction": (_fraction, "a number between 0 and 1 (exclusive)"),
    "crop": (_crop, f"one of {', '.join(repr(c) for c in FILE_CROPS)}"),
    "label_map": (_table, "a table of your label = canonical emotion or \"drop\""),
}
REQUIRED = ("name", "images")
CSV_ONLY = ("image_column", "label_column", "subject_column", "split_column")


def read_toml(path: str | Path, what: str, error: type[Exception]
              ) -> tuple[Path, dict[str, Any]]:
    """The resolved path of a TOML description (``what``, e.g. "dataset description") and its
    table; a missing file is a FileNotFoundError, bad TOML an ``error`` naming the file."""
    file = Path(path).expanduser().resolve()
    if not file.is_file():
        raise FileNotFoundError(f"{what} {file} not found")
    try:
        return file, tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as problem:
        raise error(f"{file}: not valid TOML: {problem}") from None


def read_description(path: Path) -> Description:
    """The checked description in ``path``; raises naming the file, the key and what fits."""
    file, table = read_toml(path, "dataset description", DatasetFormatError)
    values = {key: _checked(file, key, value) for key, value in table.items()}
    for key in REQUIRED:
        if key not in values:
            raise DatasetFormatError(f"{file}: missing key {key!r}, {KEYS[key][1]}")
    if "labels" not in values:
        for key in CSV_ONLY:
            if key in values:
                raise DatasetFormatError(
                    f"{file}: key {key!r} needs a labels CSV (the 'labels' key); without it the "
                    f"images lie in class folders, {values['images']}/<label>/")
    for key in ("images", "labels"):
        if key in values:
            values[key] = _resolved(file, key, values[key])
    values["label_map"] = _label_map(file, values.get("label_map", {}))
    return Description(file=file, **values)


def _resolved(file: Path, key: str, text: str) -> Path:
    """The absolute path a path key names, relative to the TOML file's folder."""
    try:
        return (file.parent / Path(text).expanduser()).resolve()
    except RuntimeError as error:  # ~user of an unknown user
        raise DatasetFormatError(f"{file}: key {key!r} = {text!r}: {error}") from None


def _checked(file: Path, key: str, value: object) -> Any:
    if key not in KEYS:
        close = difflib.get_close_matches(key, list(KEYS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise DatasetFormatError(f"{file}: unknown key {key!r}{hint} Allowed keys: "
                                 f"{', '.join(KEYS)}")
    check, allowed = KEYS[key]
    checked = check(value)
    if checked is None:
        raise DatasetFormatError(f"{file}: key {key!r} must be {allowed}, got {value!r}")
    return checked


def _label_map(file: Path, table: dict[str, object]) -> dict[str, int]:
    mapped: dict[str, int] = {}
    for label, target in table.items():
        key = label.strip().lower()
        where = f"{file}: [label_map] {label!r}"
        if key in mapped:
            raise DatasetFormatError(f"{where} repeats a label (labels match case-insensitively)")
        if not isinstance(target, str):
            raise DatasetFormatError(f"{where} must map to an emotion name or \"drop\", "
                                     f"got {target!r}")
        if target.strip().lower() == "drop":
            mapped[key] = DROP
            continue
        try:
            mapped[key] = emotion_index(target)
        except ValueError:
            raise DatasetFormatError(
                f"{where} = {target!r} is not an emotion; use one of {', '.join(EMOTIONS)}, a "
                f"synonym ({', '.join(sorted(SYNONYMS))}), or \"drop\"") from None
    return mapped
