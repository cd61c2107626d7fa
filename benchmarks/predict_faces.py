"""How many faces does `ferbench predict` find in face crops and in scenes, and at what cost?

For each folder of face crops (sampled, ``--count`` each), for the same crops enlarged to
120-260 px, and for scenes made by pasting them at 80-200 px into 350x350 smooth random
backgrounds, prints the share of photos where a face is found by the frontal detector's
first try (:func:`find_faces`, what datasets with ``crop = "detect"`` use) and by predict's
own rule (:func:`photo_faces` for a model trained on aligned faces: the detector and its
retries; a crop of at most 100 px that none finds is framed whole, ``image box``), with the
milliseconds per photo of each and how predict found them. Blank and background images check
that no face is invented; at most 100 px, a background that is not blank counts as a crop.

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

from ferbench.data.faces.photos import DetectedFace, find_faces, read_photo
from ferbench.predict.prediction import photo_faces

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


def scenes(crops: list[np.ndarray], seed: int = 0, sides: tuple[int, int] = (80, 200)
           ) -> list[np.ndarray]:
    """Each crop pasted at a random size of ``sides`` (80-200 px: a face in a scene; 180-300:
    a portrait) and place into a 350x350 photo."""
    rng = np.random.default_rng(seed)
    photos = []
    for crop in crops:
        photo = Image.fromarray(background(rng))
        side = int(rng.integers(sides[0], sides[1] + 1))
        face = Image.fromarray(crop).resize((side, side), Image.Resampling.BICUBIC)
        photo.paste(face, (int(rng.integers(0, 351 - side)), int(rng.integers(0, 351 - side))))
        photos.append(np.asarray(photo))
    return photos


def enlarged(crops: list[np.ndarray], seed: int = 0) -> list[np.ndarray]:
    """Each crop resized to a random side of 120-260 px: face crops cut from larger photos."""
    rng = np.random.default_rng(seed)
    return [np.asarray(Image.fromarray(crop).resize((side, side), Image.Resampling.BICUBIC))
            for crop, side in zip(crops, rng.integers(120, 261, len(crops)))]


def predict_rule(photo: np.ndarray) -> list[DetectedFace]:
    """The faces ``ferbench predict`` finds for a model trained on aligned faces."""
    return photo_faces(photo, "detect", aligned=True)


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
    predict_rule(np.full((60, 60, 3), 128, np.uint8))
    sets = {}
    for folder in args.folders:
        crops = sample(folder, args.count)
        name = "/".join(folder.resolve().parts[-2:])
        sets[f"{name} crops ({crops[0].shape[1]}x{crops[0].shape[0]})"] = crops
        sets[f"{name} crops enlarged to 120-260 px"] = enlarged(crops)
        sets[f"{name} in 350x350 scenes"] = scenes(crops)
    sets["blank or background only"] = negatives(min(args.count, 30))
    rows = []
    for name, photos in sets.items():
        first, first_ms, _ = rate(photos, find_faces)
        located, located_ms, how = rate(photos, predict_rule)
        rows.append([name, len(photos), f"{first:.3f}", f"{first_ms:.0f}", f"{located:.3f}",
                     f"{located_ms:.0f}", ", ".join(f"{k} {v}" for k, v in sorted(how.items()))])
    print(tabulate(rows, ["photos", "n", "first try", "ms/photo", "predict", "ms/photo",
                          "found by"], tablefmt="github"))


if __name__ == "__main__":
    main()
