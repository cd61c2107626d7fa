"""How many faces does `ferbench predict` find in face crops and in scenes, and at what cost?

For each folder of face crops (sampled, ``--count`` each), and for scenes made by pasting
those crops at 80-200 px into 350x350 smooth random backgrounds, prints the share of photos
where a face is found by the frontal detector's first try (:func:`find_faces`, what datasets
with ``crop = "detect"`` use), and by :func:`locate_faces` with its retries, with the
milliseconds per photo of each. Blank and noise images check that retries invent no faces.

    python benchmarks/predict_faces.py                      # the samples in ../shared/data
    python benchmarks/predict_faces.py --count 300 \\
        /work/data/real-folders/fer2013/test /work/data/real/ckplus/CK+48 \\
        /work/data/real/rafdb/DATASET/test
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from tabulate import tabulate

from ferbench.data.faces.photos import DetectedFace, find_faces, locate_faces, read_photo

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_FOLDERS = (SHARED_DATA / "fer2013-folder", SHARED_DATA / "ckplus48",
                   SHARED_DATA / "rafdb-kaggle")
EXTENSIONS = {".jpg", ".jpeg", ".png"}


def sample(folder: Path, count: int, seed: int = 0) -> list[np.ndarray]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in EXTENSIONS)
    if not files:
        raise SystemExit(f"no images under {folder}")
    random.Random(seed).shuffle(files)
    return [read_photo(path) for path in files[:count]]


def background(rng: np.random.Generator, side: int = 350) -> np.ndarray:
    """Smooth colour shading from a 6x6 grid of random colours, with pixel noise."""
    grid = Image.fromarray(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8))
    smooth = np.asarray(grid.resize((side, side), Image.Resampling.BICUBIC), dtype=np.int16)
    noisy = smooth + rng.integers(-12, 13, smooth.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def scenes(crops: list[np.ndarray], seed: int = 0) -> list[np.ndarray]:
    """Each crop pasted at a random size of 80-200 px and place into a 350x350 scene."""
    rng = np.random.default_rng(seed)
    photos = []
    for crop in crops:
        photo = Image.fromarray(background(rng))
        side = int(rng.integers(80, 201))
        face = Image.fromarray(crop).resize((side, side), Image.Resampling.BICUBIC)
        photo.paste(face, (int(rng.integers(0, 351 - side)), int(rng.integers(0, 351 - side))))
        photos.append(np.asarray(photo))
    return photos


def negatives(count: int, seed: int = 0) -> list[np.ndarray]:
    """Blank grey images and smooth random backgrounds, at crop and scene sizes."""
    rng = np.random.default_rng(seed)
    blank = [np.full((side, side, 3), 128, np.uint8) for side in (48, 100, 350)]
    return (blank + [background(rng, side) for side in (48, 100, 350) * count])[:count]


def rate(photos: list[np.ndarray], locate: Callable[[np.ndarray], list[DetectedFace]]
         ) -> tuple[float, float, dict[str, int]]:
    """(share of photos with a face, ms per photo, photos by how the first face was found)."""
    started = time.perf_counter()
    found = [locate(photo) for photo in photos]
    milliseconds = 1000 * (time.perf_counter() - started) / len(photos)
    how: dict[str, int] = {}
    for faces in found:
        if faces:
            how[faces[0].found] = how.get(faces[0].found, 0) + 1
    return sum(bool(f) for f in found) / len(photos), milliseconds, how


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=list(DEFAULT_FOLDERS),
                        help="folders of face crops (searched recursively)")
    parser.add_argument("--count", type=int, default=100, help="photos sampled per folder")
    args = parser.parse_args()
    find_faces(np.full((60, 60, 3), 128, np.uint8))  # loads dlib's models outside the timing
    locate_faces(np.full((60, 60, 3), 128, np.uint8))
    sets = {}
    for folder in args.folders:
        crops = sample(folder, args.count)
        name = "/".join(folder.resolve().parts[-2:])
        sets[f"{name} crops ({crops[0].shape[1]}x{crops[0].shape[0]})"] = crops
        sets[f"{name} in 350x350 scenes"] = scenes(crops)
    sets["blank or background only"] = negatives(min(args.count, 30))
    rows = []
    for name, photos in sets.items():
        first, first_ms, _ = rate(photos, find_faces)
        located, located_ms, how = rate(photos, locate_faces)
        rows.append([name, len(photos), f"{first:.3f}", f"{first_ms:.0f}", f"{located:.3f}",
                     f"{located_ms:.0f}", how.get("retry", 0)])
    print(tabulate(rows, ["photos", "n", "first try", "ms/photo", "with retries", "ms/photo",
                          "found by a retry"], tablefmt="github"))


if __name__ == "__main__":
    main()
