"""RAF-DB basic (Li et al., 2017): 15,339 in-the-wild RGB faces in 7 classes.

Layouts under ``<data root>/rafdb/`` (datasets/README.md):

* ``aligned``: ``EmoLabel/list_patition_label.txt`` (``train_00001.jpg 5``) with
  ``Image/aligned/train_00001_aligned.jpg`` (100x100 RGB, as published);
* ``original``: the same list with ``Image/original/train_00001.jpg``, used only when
  ``Image/aligned/`` is absent; each whole image is resized (bilinear) to 100x100, with no
  face crop, so prefer the aligned release;
* ``kaggle``: ``DATASET/{train,test}/<code>/*.jpg`` with ``train_labels.csv`` and
  ``test_labels.csv`` (``image,label``); the folder and the CSV must agree.

Codes: 1 Surprise, 2 Fear, 3 Disgust, 4 Happiness, 5 Sadness, 6 Anger, 7 Neutral. The split
is in the file name (``train_*`` / ``test_*``); val is carved from train (stratified, seeded
with ``ctx.seed``). Sample ids are paths relative to ``rafdb/``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ferbench import (
    DataContext,
    DatasetNotFound,
    LabelMap,
    Splits,
    register_dataset,
)
from ferbench.data import (
    Problems,
    SampleList,
    Samples,
    ValFromTrainDataset,
    class_folders,
    find_layout,
    image_key,
    list_files,
    outside_message,
    read_utf8,
    unknown_code,
)

CODES = LabelMap("rafdb", {1: "surprise", 2: "fear", 3: "disgust", 4: "happiness",
                           5: "sadness", 6: "anger", 7: "neutral"})
SHAPE = (100, 100, 3)
PARTITION = "EmoLabel/list_patition_label.txt"
PARTS = ("train", "test")


@register_dataset(
    "rafdb",
    summary="RAF-DB basic: 15,339 in-the-wild RGB faces, 7 classes (aligned 100x100)",
    details={"obtain": "http://www.whdeng.cn/raf/model1.html (request access; "
                       "non-commercial research use)"},
)
class RafDb(ValFromTrainDataset):
    """RAF-DB basic expressions: aligned, original-image or Kaggle layout."""

    name = "rafdb"
    layouts = {"basic": [PARTITION, "Image/"],
               "kaggle": ["DATASET/train/", "DATASET/test/", "train_labels.csv",
                          "test_labels.csv"]}

    def __init__(self, val_fraction: float = 0.1):
        super().__init__(val_fraction)

    def locate(self, ctx: DataContext) -> str:
        """``kaggle``, or which images the basic layout has: ``aligned``, else ``original``."""
        if find_layout(self.name, ctx, self.layouts) == "kaggle":
            return "kaggle"
        images = ctx.data_root / self.name / "Image"
        for variant in ("aligned", "original"):
            if (images / variant).is_dir():
                return variant
        raise DatasetNotFound(self.name, ctx.data_root,
                              expected=f"{images / 'aligned'}/ (or {images / 'original'}/)")

    def sources(self, folder: Path, variant: str) -> list[Path]:
        if variant == "kaggle":
            return [folder / "DATASET", *(folder / f"{part}_labels.csv" for part in PARTS)]
        return [folder / PARTITION, folder / "Image" / variant]

    def decode(self, folder: Path, variant: str) -> Samples:
        if variant == "kaggle":
            return decode_kaggle(folder, self.name)
        return decode_partition(folder, variant, self.name)

    def split(self, samples: Samples, ctx: DataContext, provenance: dict[str, Any],
              variant: str) -> Splits:
        if variant == "original":
            provenance["resized"] = "whole original images resized to 100x100, not face crops"
        return super().split(samples, ctx, provenance, variant)


def decode_partition(folder: Path, variant: str, dataset: str) -> Samples:
    """The images listed in ``EmoLabel/list_patition_label.txt``, aligned or original."""
    samples = SampleList(dataset, SHAPE)
    problems, listing, seen = samples.problems, folder / PARTITION, set()
    for number, line in enumerate(read_utf8(listing).splitlines(), start=1):
        fields, where = line.split(), f"{listing} line {number}"
        if not fields:
            continue
        if len(fields) != 2:
            problems.add(where, f"expected '<image name> <label code>', found {line.strip()!r}")
            continue
        name, code = fields
        part = next((p for p in PARTS if name.startswith(f"{p}_")), None)
        if part is None:
            problems.add(where, f"image name {name!r} starts with neither train_ nor test_")
        elif image_key(name) != name:
            problems.add(where, outside_message(name, folder / "Image"))
        elif name in seen:
            problems.add(where, f"image {name!r} is listed twice")
        elif _code(code) not in CODES.codes:
            problems.add(where, unknown_code(CODES.codes, code))
        else:
            seen.add(name)
            file = (folder / "Image" / "aligned" / f"{Path(name).stem}_aligned.jpg"
                    if variant == "aligned" else folder / "Image" / "original" / name)
            if not file.is_file():
                problems.add(where, f"label without its image: {file} not found")
                continue
            samples.read(file, str(file.relative_to(folder)), CODES.codes[int(code)], part,
                         resize=variant == "original")
    return samples.build()


def decode_kaggle(folder: Path, dataset: str) -> Samples:
    """``DATASET/<split>/<code>/`` images, each of which its ``<split>_labels.csv`` must list."""
    samples = SampleList(dataset, SHAPE)
    folders = {str(code): label for code, label in CODES.codes.items()}
    for part in PARTS:
        on_disk = {
            path.name: (path, class_folder.name)
            for class_folder, _ in class_folders(folder / "DATASET" / part, folders,
                                                 samples.problems)
            for path in list_files(class_folder)
        }
        listing = folder / f"{part}_labels.csv"
        for name, code, where in _kaggle_rows(listing, samples.problems):
            if name not in on_disk:
                samples.problems.add(where, f"label without its image: no {name} under "
                                            f"{folder / 'DATASET' / part}/<code>/")
                continue
            path, folder_code = on_disk.pop(name)
            if folder_code != code:
                samples.problems.add(where, f"{name} is labelled {code} here but lies in "
                                            f"folder {folder_code}/ ({path})")
                continue
            samples.read(path, str(path.relative_to(folder)), folders[code], part)
        for path, _ in on_disk.values():
            samples.problems.add(path, f"image not listed in {listing}")
    return samples.build()


def _kaggle_rows(listing: Path, problems: Problems) -> list[tuple[str, str, str]]:
    """``(image name, label code, where)`` of each well-formed row of a Kaggle labels CSV."""
    rows = list(csv.reader(read_utf8(listing).splitlines()))
    header = [cell.strip() for cell in rows[0]] if rows else []
    if header != ["image", "label"]:
        problems.add(f"{listing} line 1", f"expected the header 'image,label', found "
                                          f"{','.join(header)!r}", samples=len(rows) - 1)
        return []
    good = []
    for number, row in enumerate(rows[1:], start=2):
        where = f"{listing} line {number}"
        if not row:
            continue
        if len(row) != 2:
            problems.add(where, f"expected 2 columns (image,label), found {len(row)}")
        elif row[1].strip() not in {str(code) for code in CODES.codes}:
            problems.add(where, unknown_code(CODES.codes, row[1].strip()))
        else:
            good.append((row[0].strip(), row[1].strip(), where))
    return good


def _code(text: str) -> int | None:
    """The integer a label code spells, or None; a number of more digits than any code has
    is None too, so that a long string never reaches ``int``'s digit limit."""
    digits = text.lstrip("0") or "0"
    return int(digits) if text.isdecimal() and len(digits) <= 9 else None
