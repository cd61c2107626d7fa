"""The rafdb plugin: aligned, original-image and Kaggle layouts, on generated fixtures."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ferbench import DatasetFormatError, DatasetNotFound, create_dataset, emotion_index
from tests.datasets.images import write_image
from tests.datasets.label_list_layouts import write_rafdb_basic, write_rafdb_kaggle

RAF_ORDER = ["surprise", "fear", "disgust", "happiness", "sadness", "anger", "neutral"]


def entries(train_per_code: int = 2, test_per_code: int = 1) -> list[tuple[str, int]]:
    """RAF-style names (``train_00001.jpg``, ``test_0001.jpg``) over codes 1..7."""
    names = []
    for part, count, width in (("train", train_per_code, 5), ("test", test_per_code, 4)):
        for i in range(count * 7):
            names.append((f"{part}_{i + 1:0{width}d}.jpg", i % 7 + 1))
    return names


def test_aligned_layout_labels_ids_shape_and_validation_carve(ctx):
    write_rafdb_basic(ctx.data_root, entries(train_per_code=10, test_per_code=1))
    raf = create_dataset("rafdb")
    assert raf.locate(ctx) == "aligned"
    splits = raf.load(ctx)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (63, 7, 7)
    assert splits.train.is_rgb and splits.train.image_shape == (100, 100)
    assert splits.test.ids[0] == "Image/aligned/test_0001_aligned.jpg"
    assert [int(v) for v in splits.test.labels] == [emotion_index(n) for n in RAF_ORDER]
    assert "carved from train" in splits.val.provenance["val"]


def test_original_images_are_used_only_without_aligned_ones_and_resized(ctx):
    folder = write_rafdb_basic(ctx.data_root, entries(1, 1), variant="original")
    raf = create_dataset("rafdb")
    assert raf.locate(ctx) == "original"
    splits = raf.load(ctx)
    assert splits.test.image_shape == (100, 100) and len(splits.test) == 7
    assert "not face crops" in splits.test.provenance["resized"]
    write_image(folder / "Image" / "aligned" / "train_00001_aligned.jpg", (100, 100, 3))
    assert raf.locate(ctx) == "aligned"


def test_partition_file_problems_name_file_and_line(ctx):
    listed = ["train_00001.jpg 1", "train_00002.jpg 9", "val_00003.jpg 2", "train_00004.jpg",
              "train_00005.jpg 3", "train_00001.jpg 1", "", "test_0001.jpg 7"]
    folder = write_rafdb_basic(ctx.data_root, [("train_00001.jpg", 1), ("train_00002.jpg", 1),
                                               ("test_0001.jpg", 7)], listed=listed)
    listing = folder / "EmoLabel" / "list_patition_label.txt"
    with pytest.raises(DatasetFormatError) as raised:
        create_dataset("rafdb").load(ctx)
    message = str(raised.value)
    assert f"{listing} line 2: unknown label code '9'; known codes: 1 surprise" in message
    assert f"{listing} line 3: image name 'val_00003.jpg' starts with neither" in message
    assert f"{listing} line 4: expected '<image name> <label code>'" in message
    assert (f"{listing} line 5: label without its image: "
            f"{folder / 'Image' / 'aligned' / 'train_00005_aligned.jpg'} not found") in message
    assert f"{listing} line 6: image 'train_00001.jpg' is listed twice" in message
    splits = create_dataset("rafdb").load(replace(ctx, skip_bad=True))
    assert splits.train.ids.tolist() == ["Image/aligned/train_00001_aligned.jpg"]
    assert splits.test.provenance["skipped"] == 5


def test_kaggle_layout_cross_checks_folders_against_the_csv(ctx):
    folder = write_rafdb_kaggle(ctx.data_root, {
        "train": [(f"train_{i:05d}_aligned.jpg", i % 7 + 1) for i in range(1, 22)],
        "test": [(f"test_{i:04d}_aligned.jpg", i % 7 + 1) for i in range(1, 8)],
    })
    raf = create_dataset("rafdb")
    assert raf.locate(ctx) == "kaggle"
    splits = raf.load(ctx)
    assert len(splits.train) == 21 and splits.val is None  # 3 per class: 10% rounds to 0
    assert len(splits.test) == 7
    assert splits.test.ids[0] == "DATASET/test/2/test_0001_aligned.jpg"
    assert splits.test.labels[0] == emotion_index("fear")

    listing = folder / "train_labels.csv"
    lines = listing.read_text().splitlines()
    lines[1] = lines[1].replace(",2", ",5")  # the image lies in folder 2/
    lines.append("train_99999_aligned.jpg,3")
    listing.write_text("\n".join(lines) + "\n")
    write_image(folder / "DATASET" / "train" / "4" / "stray.jpg", (100, 100, 3))
    (folder / "DATASET" / "test" / "7").mkdir(exist_ok=True)
    for path in (folder / "DATASET" / "test" / "7").iterdir():
        path.unlink()
    with pytest.raises(DatasetFormatError) as raised:
        raf.load(ctx)
    message = str(raised.value)
    assert (f"{listing} line 2: train_00001_aligned.jpg is labelled 5 here but lies in "
            "folder 2/") in message
    assert f"{listing} line 23: label without its image: no train_99999_aligned.jpg" in message
    assert f"{folder / 'DATASET' / 'train' / '4' / 'stray.jpg'}: image not listed in" in message
    assert f"{folder / 'DATASET' / 'test' / '7'}: empty class folder" in message


def test_two_layouts_and_missing_files(ctx):
    with pytest.raises(DatasetNotFound, match=r"list_patition_label\.txt .* \(basic layout\) or "
                                              r".*DATASET/train/ .*\(kaggle layout\)"):
        create_dataset("rafdb").locate(ctx)
    write_rafdb_basic(ctx.data_root, entries(1, 1))
    write_rafdb_kaggle(ctx.data_root, {"train": [("train_00001_aligned.jpg", 1)],
                                       "test": [("test_0001_aligned.jpg", 1)]})
    with pytest.raises(DatasetFormatError, match=r"2 layouts: basic .*; kaggle"):
        create_dataset("rafdb").locate(ctx)


def test_label_list_without_image_folders_says_which_folder(ctx):
    folder = write_rafdb_basic(ctx.data_root, entries(1, 1))
    for path in (folder / "Image" / "aligned").iterdir():
        path.unlink()
    (folder / "Image" / "aligned").rmdir()
    with pytest.raises(DatasetNotFound, match=r"Image/aligned/ \(or .*Image/original/\)"):
        create_dataset("rafdb").locate(ctx)
