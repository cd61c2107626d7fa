"""The jaffe plugin: subject and expression read from the file names, subject k-fold."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ferbench import DatasetFormatError, DatasetNotFound, create_dataset, emotion_index
from tests.datasets.checks import assert_subject_independent
from tests.datasets.folder_layouts import jaffe_names, write_jaffe

JAFFE_SUBJECTS = ["KA", "KL", "KM", "KR", "MK"]


def test_reads_subject_and_expression_from_the_file_names(tmp_path, ctx):
    folder = write_jaffe(ctx.data_root, jaffe_names(JAFFE_SUBJECTS))
    (folder / "README").write_text("JAFFE images\n")
    jaffe = create_dataset("jaffe", kfold=5)
    assert jaffe.locate(ctx) == "jaffedbase"
    splits = jaffe.load(ctx)
    train = splits.train
    assert splits.test is None and splits.val is None and splits.kfold == 5
    assert len(train) == 35 and train.image_shape == (256, 256) and not train.is_rgb
    assert train.ids[:2].tolist() == ["KA.AN1.1.tiff", "KA.DI1.2.tiff"]
    assert train.subjects.tolist() == [s for s in JAFFE_SUBJECTS for _ in range(7)]
    assert train.labels[:7].tolist() == [emotion_index(n) for n in (
        "anger", "disgust", "fear", "happiness", "neutral", "sadness", "surprise")]
    assert_subject_independent(train.subjects, splits.kfold)
    assert create_dataset("jaffe").load(ctx).kfold == 10  # one subject per fold for the real 10
    moved = replace(ctx, data_root=tmp_path / "moved")
    write_jaffe(moved.data_root, jaffe_names(JAFFE_SUBJECTS), inside=".")
    assert jaffe.locate(moved) == "tiff"
    assert jaffe.load(moved).train.ids.tolist() == train.ids.tolist()


def test_bad_names_codes_and_images_are_problems(ctx):
    folder = write_jaffe(ctx.data_root, [*jaffe_names(["KA", "KL"]), "KA.XX1.90.tiff",
                                         "KA_AN1_91.tiff"])
    write_jaffe(ctx.data_root, ["KL.HA3.92.tiff"], shape=(128, 128))
    (folder / "KL.SU1.14.tiff").write_bytes(b"not a TIFF")
    with pytest.raises(DatasetFormatError) as raised:
        create_dataset("jaffe").load(ctx)
    message = str(raised.value)
    assert (f"{folder / 'KA.XX1.90.tiff'}: unknown label code 'XX'; known codes: AN anger, "
            "DI disgust") in message
    assert f"{folder / 'KA_AN1_91.tiff'}: file name does not carry subject" in message
    assert f"{folder / 'KL.HA3.92.tiff'}: expected a 256x256 image, found 128x128" in message
    assert f"{folder / 'KL.SU1.14.tiff'}: unreadable or truncated image" in message
    train = create_dataset("jaffe", kfold=2).load(replace(ctx, skip_bad=True)).train
    assert len(train) == 13 and train.provenance["skipped"] == 4


def test_missing_images(ctx):
    (ctx.data_root / "jaffe" / "jaffedbase").mkdir(parents=True)
    with pytest.raises(DatasetNotFound, match=r"jaffe/jaffedbase/\*\.tiff \(as the download "
                                              r"unpacks\) or .*jaffe/\*\.tiff: JAFFE's 213"):
        create_dataset("jaffe").locate(ctx)
    with pytest.raises(ValueError, match="kfold must be >= 2"):
        create_dataset("jaffe", kfold=1)
