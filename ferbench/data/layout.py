"""Which of a dataset's published layouts is under the data root — cheaply, by path checks.

Paths are relative to ``<data root>/<dataset>/``; a trailing ``/`` marks a folder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ferbench.core.dataset import DataContext, DatasetFormatError, DatasetNotFound


def exists(folder: Path, relative: str) -> bool:
    """Whether ``folder/relative`` is there as a folder (trailing ``/``) or a file."""
    path = folder / relative
    return path.is_dir() if relative.endswith("/") else path.is_file()


def describe(folder: Path, paths: Sequence[str]) -> str:
    """``a and b`` with every path spelled out under ``folder``."""
    return " and ".join(f"{folder / p}{'/' if p.endswith('/') else ''}" for p in paths)


def find_layout(dataset: str, ctx: DataContext, layouts: Mapping[str, Sequence[str]]) -> str:
    """The name of the one layout present under ``<data root>/<dataset>/``.

    A layout is present when any of its paths exists, and must then have all of them: a
    partial download fails naming exactly what is missing. Two present layouts are an error
    too, since a silent choice between them would make results depend on directory order.
    """
    folder = ctx.data_root / dataset
    found = {name: [p for p in paths if exists(folder, p)] for name, paths in layouts.items()}
    present = {name: paths for name, paths in found.items() if paths}
    if len(present) > 1:
        which = "; ".join(f"{name} ({describe(folder, paths)})" for name, paths in present.items())
        raise DatasetFormatError(
            f"dataset {dataset!r}: {folder} holds {len(present)} layouts: {which}. Keep one "
            f"and move the others out of {folder} so the choice is explicit."
        )
    if not present:
        expected = " or ".join(f"{describe(folder, paths)} ({name} layout)"
                               for name, paths in layouts.items())
        raise DatasetNotFound(dataset, ctx.data_root, expected=expected)
    name, paths = next(iter(present.items()))
    missing = [p for p in layouts[name] if p not in paths]
    if missing:
        raise DatasetNotFound(
            dataset, ctx.data_root,
            expected=f"{describe(folder, missing)} to complete the {name} layout "
                     f"(found {describe(folder, paths)})",
        )
    return name


def read_utf8(path: Path) -> str:
    """The text of a layout's label file, without a byte-order mark; a file that is not UTF-8
    is a DatasetFormatError naming the file and line, never a bare UnicodeDecodeError."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DatasetFormatError(f"{path} line {line}: not UTF-8 text ({error.reason} at byte "
                                 f"{error.start}); save the file as UTF-8") from None
