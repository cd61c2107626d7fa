"""Builders of tiny datasets in each published layout, for the dataset plugin tests.

Everything is generated under a test's ``tmp_path``; nothing is copied from the real data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ferbench import DataContext, Dataset
from ferbench.core.registry import DATASETS, load_plugin_path

REPO = Path(__file__).resolve().parents[2]
PIXELS = 48 * 48
FER2013_HEADER = "emotion,pixels,Usage"
FERPLUS_HEADER = ("Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,"
                  "contempt,unknown,NF")


def dataset(name: str, **params: object) -> Dataset:
    """The built-in plugin ``datasets/<name>.py``, created through the registry."""
    load_plugin_path(REPO / "datasets" / f"{name}.py")
    return DATASETS.create(name, **params)


def context(tmp_path: Path, **overrides: object) -> DataContext:
    return DataContext(data_root=tmp_path / "data", cache_dir=tmp_path / "cache", **overrides)


def pixels_of(row: int) -> np.ndarray:
    """The 48x48 pixels the CSV fixtures give data row ``row``: distinct for every row."""
    return ((np.arange(PIXELS) * 7 + row) % 256).astype(np.uint8).reshape(48, 48)


def fer2013_line(row: int, code: int, usage: str) -> str:
    return f"{code},{' '.join(str(v) for v in pixels_of(row).ravel())},{usage}"


def fer2013_lines(training: int = 14, public: int = 7, private: int = 7) -> list[str]:
    """Well-formed rows cycling through codes 0..6, in Training/PublicTest/PrivateTest order."""
    usages = ["Training"] * training + ["PublicTest"] * public + ["PrivateTest"] * private
    return [fer2013_line(row, row % 7, usage) for row, usage in enumerate(usages)]


def write_fer2013_csv(root: Path, lines: list[str], ending: str = "\n") -> Path:
    path = root / "fer2013" / "fer2013.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((FER2013_HEADER + ending + ending.join(lines) + ending).encode())
    return path


def write_image(path: Path, shape: tuple[int, ...], seed: int = 0, fmt: str | None = None) -> Path:
    """A random uint8 image of ``shape`` ((H, W) gray or (H, W, 3) RGB)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)
    Image.fromarray(pixels).save(path, format=fmt)
    return path


FER2013_FOLDERS = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")


def write_fer2013_folders(root: Path, train: int = 3, test: int = 2) -> Path:
    """``fer2013/{train,test}/<class>/`` with ``train``/``test`` 48x48 JPEGs per class."""
    folder = root / "fer2013"
    for part, count in (("train", train), ("test", test)):
        for k, name in enumerate(FER2013_FOLDERS):
            for i in range(count):
                write_image(folder / part / name / f"{part}_{name}_{i}.jpg", (48, 48), 100 * k + i)
    return folder


def write_ferplus_csv(root: Path, rows: list[tuple[str, str, list[int]]]) -> Path:
    """``ferplus/fer2013new.csv`` from (Usage, Image name, 10 vote counts) rows."""
    path = root / "ferplus" / "fer2013new.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = [f"{usage},{name},{','.join(map(str, votes))}" for usage, name, votes in rows]
    path.write_text("\n".join([FERPLUS_HEADER, *body]) + "\n")
    return path


def write_rafdb_basic(root: Path, entries: list[tuple[str, int]], variant: str = "aligned",
                      listed: list[str] | None = None) -> Path:
    """``rafdb/EmoLabel/list_patition_label.txt`` and its images (aligned 100x100 or original).

    ``listed`` replaces the label file's lines (to inject malformed ones).
    """
    folder = root / "rafdb"
    for seed, (name, _) in enumerate(entries):
        if variant == "aligned":
            write_image(folder / "Image" / "aligned" / name.replace(".jpg", "_aligned.jpg"),
                        (100, 100, 3), seed)
        else:
            write_image(folder / "Image" / "original" / name, (90 + seed, 120, 3), seed)
    lines = listed if listed is not None else [f"{name} {code}" for name, code in entries]
    label_file = folder / "EmoLabel" / "list_patition_label.txt"
    label_file.parent.mkdir(parents=True, exist_ok=True)
    label_file.write_text("\n".join(lines) + "\n")
    return folder


def write_rafdb_kaggle(root: Path, entries: dict[str, list[tuple[str, int]]]) -> Path:
    """``rafdb/DATASET/<split>/<code>/*.jpg`` with ``<split>_labels.csv`` listing them."""
    folder = root / "rafdb"
    for offset, (part, rows) in enumerate(entries.items()):
        for seed, (name, code) in enumerate(rows, start=1000 * offset):
            write_image(folder / "DATASET" / part / str(code) / name, (100, 100, 3), seed)
        lines = ["image,label", *(f"{name},{code}" for name, code in rows)]
        (folder / f"{part}_labels.csv").write_text("\n".join(lines) + "\n")
    return folder


def write_ckplus_sequence(root: Path, subject: str, sequence: str, frames: int,
                          code: str | None, frame_image: np.ndarray | None = None) -> Path:
    """One CK+ sequence: ``frames`` PNGs, and an Emotion file on the last one when ``code``."""
    folder = root / "ckplus"
    images = folder / "cohn-kanade-images" / subject / sequence
    images.mkdir(parents=True, exist_ok=True)
    for i in range(1, frames + 1):
        name = f"{subject}_{sequence}_{i:08d}.png"
        if frame_image is None:
            write_image(images / name, (120, 160), seed=i)
        else:
            Image.fromarray(frame_image).save(images / name)
    if code is not None:
        emotion = folder / "Emotion" / subject / sequence
        emotion.mkdir(parents=True, exist_ok=True)
        (emotion / f"{subject}_{sequence}_{frames:08d}_emotion.txt").write_text(f"   {code}\n")
    return folder


def write_ck48(root: Path, files: dict[str, list[str]]) -> Path:
    """``ckplus/CK+48/<class>/<name>`` 48x48 gray PNGs."""
    folder = root / "ckplus" / "CK+48"
    paths = [folder / label / name for label, names in files.items() for name in names]
    for seed, path in enumerate(paths):
        write_image(path, (48, 48), seed)
    return folder
