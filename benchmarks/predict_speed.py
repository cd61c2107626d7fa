"""End-to-end `ferbench predict` speed on 350x350 photos, against face detection alone.

Builds photos by pasting real face crops (CK+48 by default, from ../shared/data) at 160 px
into 350x350 noisy backgrounds, writes them as JPEG, then times, on the same files:

    detection   read + finding the faces (with retries) + landmarks + alignment (the floor
                of any method)
    <method>    the whole `ferbench predict` path with the run's saved model of <method>
                (``a+b``: their soft vote)

and prints photos/s, each method's share of the detection-only rate, and the load average
before it started (the issue's figures are for an otherwise idle machine). Use a run whose
models were trained on real data (a FER2013 SVM keeps ~20k support vectors, which is what
costs time), for example:

    ferbench run --methods svm,cnn --datasets fer2013 --protocol within --out runs/fer
    python benchmarks/predict_speed.py --run runs/fer --methods svm,cnn
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from tabulate import tabulate

from ferbench.data.faces.photos import frame_faces, read_photo
from ferbench.predict.choice import choose_model, load_choice
from ferbench.predict.prediction import predict_frame

SHARED_FACES = Path(__file__).resolve().parents[2] / "shared" / "data" / "ckplus48" / "CK+48"


def make_photos(faces: Path, count: int, folder: Path) -> list[Path]:
    files = sorted(faces.rglob("*.png"))[:count]
    if not files:
        raise SystemExit(f"no face images (*.png) under {faces}")
    rng = np.random.default_rng(0)
    paths = []
    for index in range(count):
        face = Image.open(files[index % len(files)]).convert("RGB")
        face = face.resize((160, 160), Image.Resampling.BICUBIC)
        photo = Image.fromarray(rng.integers(90, 160, (350, 350, 3), dtype=np.uint8))
        photo.paste(face, (int(rng.integers(20, 170)), int(rng.integers(20, 170))))
        path = folder / f"photo{index:04d}.jpg"
        photo.save(path, quality=90)
        paths.append(path)
    return paths


def detection_only(paths: list[Path]) -> tuple[float, int]:
    started = time.perf_counter()
    found = sum(len(frame_faces(read_photo(path))) for path in paths)
    return time.perf_counter() - started, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="run directory with models")
    parser.add_argument("--methods", default="svm,cnn")
    parser.add_argument("--train", default=None, help="training dataset of the models")
    parser.add_argument("--faces", type=Path, default=SHARED_FACES)
    parser.add_argument("--photos", type=int, default=100)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        paths = make_photos(args.faces, args.photos, Path(folder))
        detection_only(paths[:2])  # loads dlib's models once, outside the timing
        seconds, found = detection_only(paths)
        floor = len(paths) / seconds
        rows = [["detection (floor)", f"{floor:.1f}", found, "1.00"]]
        for method in args.methods.split(","):
            model = load_choice(choose_model(args.run, method, args.train))
            predict_frame(model, paths[:2])
            started = time.perf_counter()
            frame = predict_frame(model, [Path(folder)])
            rate = len(paths) / (time.perf_counter() - started)
            rows.append([f"{method} end to end", f"{rate:.1f}", int(frame["error"].isna().sum()),
                         f"{rate / floor:.2f}"])
    print(f"{len(paths)} photos of 350x350; 1-minute load average before: {load:.1f} on "
          f"{os.cpu_count()} cores")
    print(tabulate(rows, ["path", "photos/s", "faces", "rate vs detection"], tablefmt="github"))


if __name__ == "__main__":
    main()
