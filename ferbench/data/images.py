"""Reading image files and class-per-folder layouts, with problems named by path."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from ferbench.data.problems import Problems

IGNORED_FILES = frozenset({"Thumbs.db", "desktop.ini"})
"""Operating-system litter that unpacked archives often carry; never read as images."""


def image_key(cell: str) -> str | None:
    """The ``/``-separated path a label file names inside its images folder, or None when it
    is absolute or climbs out with ``..``: a label file never reaches outside its folder."""
    path = PurePosixPath(cell.strip().replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and path.parts[0].endswith(":")):
        return None
    return str(path)


def outside_message(cell: str, images: Path) -> str:
    """The problem of a label-file row whose image path leaves ``images``."""
    return (f"image path {cell!r} is absolute or leaves the images folder {images}; "
            f"name images relative to that folder")


class ImageProblem(ValueError):
    """An image file that cannot be decoded completely."""


def read_image(path: Path, color: str) -> np.ndarray:
    """Decode ``path`` fully as PIL mode ``color`` ("L" or "RGB").

    ``load()`` forces the whole decode here, so a truncated file fails now, named, instead
    of as a black stripe inside a training batch.
    """
    try:
        with Image.open(path) as image:
            image.load()
            return np.asarray(image.convert(color))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ImageProblem(f"unreadable or truncated image ({error})") from None


def list_files(folder: Path) -> list[Path]:
    """The regular files of ``folder``, sorted, without hidden files and OS litter."""
    return sorted(
        path for path in folder.iterdir()
        if path.is_file() and not path.name.startswith(".") and path.name not in IGNORED_FILES
    )


def class_folders(root: Path, classes: Mapping[str, int],
                  problems: Problems) -> list[tuple[Path, int]]:
    """The ``(folder, canonical label)`` pairs under ``root``, one folder per class.

    A folder whose name is not in ``classes`` and an empty class folder are problems; so is a
    file lying beside the class folders. Missing class folders are allowed (a subset release).
    """
    found = []
    for path in sorted(root.iterdir()):
        if path.name.startswith(".") or path.name in IGNORED_FILES:
            continue
        if not path.is_dir():
            problems.add(path, f"file outside the class folders ({', '.join(classes)})")
        elif path.name not in classes:
            problems.add(path, f"unknown class folder {path.name!r}; expected one of "
                               f"{', '.join(classes)}", samples=len(list_files(path)))
        elif not list_files(path):
            problems.add(path, "empty class folder (no images)", samples=0)
        else:
            found.append((path, classes[path.name]))
    return found
