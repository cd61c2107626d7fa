"""The sfew plugin: class folders of aligned faces, Val as the test split."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ferbench import DatasetFormatError, DatasetNotFound, create_dataset, emotion_index
from tests.datasets.folder_layouts import SFEW_CLASSES, write_sfew
from tests.datasets.images import write_image


def test_val_is_the_test_split_and_val_is_carved_from_train(ctx):
    write_sfew(ctx.data_root, {"Train": 10, "Val": 1})
    sfew = create_dataset("sfew")
    assert sfew.locate(ctx) == "aligned"
    splits = sfew.load(ctx)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (63, 7, 7)
    assert splits.test.image_shape == (100, 100) and splits.test.is_rgb  # from 30x36
    assert [int(v) for v in splits.test.labels] == [emotion_index(n) for n in SFEW_CLASSES]
    assert splits.test.ids[0] == "Val/Angry/Movie_00000000_00000001.png"
    assert all(i.startswith("Train/") for i in [*splits.train.ids, *splits.val.ids])
    assert "face crops as given" in splits.test.provenance["crop"]


def test_bad_files_and_folders_are_problems(ctx):
    folder = write_sfew(ctx.data_root, {"Train": 2, "Val": 1})
    broken = folder / "Train" / "Happy" / "Movie_00300000_00000001.png"
    broken.write_bytes(b"\x89PNG broken")
    write_image(folder / "Val" / "Contempt" / "x.png", (36, 30, 3))
    with pytest.raises(DatasetFormatError) as raised:
        create_dataset("sfew").load(ctx)
    message = str(raised.value)
    assert f"{broken}: unreadable or truncated image" in message
    assert (f"{folder / 'Val' / 'Contempt'}: unknown class folder 'Contempt'; expected one of "
            "Angry, Disgust") in message
    splits = create_dataset("sfew").load(replace(ctx, skip_bad=True))
    assert len(splits.train) + len(splits.val or []) == 13 and len(splits.test) == 7
    assert splits.test.provenance["skipped"] == 2


def test_missing_layout(ctx):
    with pytest.raises(DatasetNotFound, match=r"sfew/Train/ and .*sfew/Val/ \(aligned layout\)"):
        create_dataset("sfew").locate(ctx)
    (ctx.data_root / "sfew" / "Train").mkdir(parents=True)
    with pytest.raises(DatasetNotFound, match=r"sfew/Val/ to complete the aligned layout"):
        create_dataset("sfew").locate(ctx)
