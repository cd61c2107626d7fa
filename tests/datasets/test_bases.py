"""The bases of ferbench.data a dataset plugin builds on, as a user's plugin would use them."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from ferbench import DatasetFormatError, DatasetNotFound, emotion_index
from ferbench.data import (
    BoxedFacesDataset,
    ClassFolderLayout,
    ListedFace,
    Problems,
    Samples,
    SubjectFoldDataset,
    ValFromTrainDataset,
)
from ferbench.data.cache import DECODES
from tests.datasets.checks import assert_bright, assert_subject_independent
from tests.datasets.images import bright_box, save, write_image

CLASSES = {"happy": emotion_index("happiness"), "sad": emotion_index("sadness")}
FOLDERS = ClassFolderLayout({"Train": "train", "Test": "test"}, CLASSES, (8, 8))


class Folders(ValFromTrainDataset):
    """Class folders of 8x8 gray faces with a test split and no val."""

    name = "bases-folders"
    layouts = {"folders": FOLDERS.paths}

    def __init__(self, val_fraction: float = 0.5):
        super().__init__(val_fraction)

    def decode(self, folder: Path, variant: str) -> Samples:
        return FOLDERS.decode(folder, self.name)


def test_a_class_folder_plugin_holds_only_its_layout(ctx):
    folder = ctx.data_root / Folders.name
    for part, count in (("Train", 4), ("Test", 1)):
        for name in CLASSES:
            for i in range(count):
                write_image(folder / part / name / f"{i}.png", (8, 8), seed=i)
    plugin = Folders()
    assert plugin.locate(ctx) == "folders"
    before = DECODES[Folders.name]
    splits = plugin.load(ctx)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (4, 4, 2)
    assert splits.test.ids.tolist() == ["Test/happy/0.png", "Test/sad/0.png"]
    assert splits.test.labels.tolist() == list(CLASSES.values())
    assert splits.train.provenance["variant"] == "folders"
    assert splits.train.provenance["source"] == str(folder)
    assert "carved from train: 50% of each class" in splits.val.provenance["val"]
    assert plugin.load(replace(ctx, seed=1)).test.fingerprint == splits.test.fingerprint
    assert DECODES[Folders.name] == before + 1  # the second seed reads the cache
    write_image(folder / "Train" / "sad" / "big.png", (9, 8))
    with pytest.raises(DatasetFormatError, match=re.escape(
            f"{folder / 'Train' / 'sad' / 'big.png'}: expected a 8x8 image, found 8x9")):
        plugin.load(ctx)


def test_the_shared_checks_name_the_plugin_and_what_is_missing(ctx):
    with pytest.raises(ValueError, match=r"bases-folders: val_fraction must be in \(0, 1\), "
                                         r"got 1"):
        Folders(val_fraction=1)
    (ctx.data_root / Folders.name / "Train").mkdir(parents=True)
    with pytest.raises(DatasetNotFound, match=r"bases-folders/Test/ to complete the folders "
                                              r"layout"):
        Folders().load(ctx)


SUBJECT_FOLDERS = ClassFolderLayout({"all": "train"}, CLASSES, (8, 8),
                                    subject=re.compile(r"(P\d+)_\d+\.png"),
                                    file_name="P<person>_<take>.png", facts={"size": 8})


class Subjects(SubjectFoldDataset):
    """Class folders whose file names carry the subject; no official split."""

    name = "bases-subjects"
    layouts = {"named": SUBJECT_FOLDERS.paths}

    def __init__(self, kfold: int = 10):
        super().__init__(kfold)

    def decode(self, folder: Path, variant: str) -> Samples:
        return SUBJECT_FOLDERS.decode(folder, self.name)


def test_subject_folds_take_the_subject_from_the_file_name(ctx):
    folder = ctx.data_root / Subjects.name / "all"
    for person in range(4):
        for name in CLASSES:
            write_image(folder / name / f"P{person}_1.png", (8, 8), seed=person)
    write_image(folder / "sad" / "nobody.png", (8, 8))
    with pytest.raises(DatasetFormatError, match=re.escape(
            f"{folder / 'sad' / 'nobody.png'}: file name does not carry the subject; expected "
            "P<person>_<take>.png")):
        Subjects(kfold=2).load(ctx)
    splits = Subjects(kfold=2).load(replace(ctx, skip_bad=True))
    assert splits.val is None and splits.test is None and splits.kfold == 2
    assert splits.train.subjects.tolist() == ["P0", "P1", "P2", "P3"] * 2
    assert splits.train.provenance["size"] == 8
    assert_subject_independent(splits.train.subjects, splits.kfold)
    with pytest.raises(ValueError, match="bases-subjects: kfold must be >= 2, got 1"):
        Subjects(kfold=1)


class Boxes(BoxedFacesDataset):
    """Photos listed in ``boxes.txt`` as ``<photo> <left> <top> <right> <bottom> <label>``."""

    name = "bases-boxes"
    layouts = {"listed": ["boxes.txt", "photos/"]}

    def list_faces(self, folder: Path,
                   problems: Problems) -> tuple[list[ListedFace], dict[str, object]]:
        listing, faces = folder / "boxes.txt", []
        for number, line in enumerate(listing.read_text().splitlines(), start=1):
            photo, *box, label = line.split()
            faces.append(ListedFace(folder / "photos" / photo, tuple(int(v) for v in box),
                                    emotion_index(label), photo, f"{listing} line {number}",
                                    part="test" if photo.startswith("test") else "train"))
        return faces, {"listed": len(faces)}


def test_boxed_faces_are_cut_from_their_boxes_and_bad_boxes_name_the_line(ctx):
    folder = ctx.data_root / Boxes.name
    lines = []
    for part, count in (("train", 4), ("test", 2)):
        for i in range(count):
            save(folder / "photos" / f"{part}{i}.png", bright_box((40, 60, 3), (20, 10, 44, 34)))
            lines.append(f"{part}{i}.png 20 10 44 34 {'happy' if i % 2 else 'sad'}")
    (folder / "boxes.txt").write_text("\n".join([*lines, "train0.png 70 50 90 60 sad"]) + "\n")
    with pytest.raises(DatasetFormatError, match=re.escape(
            f"{folder / 'photos' / 'train0.png'} ({folder / 'boxes.txt'} line 7): face box "
            "(70, 50, 90, 60) (left, top, right, bottom) holds no pixel of the 60x40 image")):
        Boxes(crop="box").load(ctx)
    splits = Boxes(val_fraction=0.5, crop="box").load(replace(ctx, skip_bad=True))
    assert (len(splits.train), len(splits.val), len(splits.test)) == (2, 2, 2)
    assert splits.test.ids.tolist() == ["test0.png", "test1.png"]
    assert splits.test.image_shape == (100, 100) and splits.test.is_rgb
    for face in [*splits.train.images, *splits.test.images]:
        assert_bright(face)
    assert splits.test.provenance["crop"].startswith("the published face box")
    assert splits.test.provenance["listed"] == 7
    with pytest.raises(ValueError, match="bases-boxes: crop must be one of align, box, got "
                                         "'none'"):
        Boxes(crop="none")
