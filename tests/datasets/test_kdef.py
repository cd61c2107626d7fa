"""The kdef plugin: pictures of the chosen angles, face-cropped, subject k-fold."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ferbench import DatasetFormatError, DatasetNotFound, create_dataset, emotion_index
from tests.datasets.checks import assert_subject_independent
from tests.datasets.folder_layouts import kdef_names, write_kdef
from tests.datasets.images import write_image

KDEF_SUBJECTS = ["F01", "F02", "M01", "M02"]


def test_takes_straight_pictures_by_default_with_gender_and_number_as_subject(ctx):
    write_kdef(ctx.data_root, kdef_names(KDEF_SUBJECTS, angles=("S", "HL", "FR")))
    kdef = create_dataset("kdef", crop="none", kfold=2)
    assert kdef.locate(ctx) == "folders"
    train = kdef.load(ctx).train
    assert len(train) == 4 * 2 * 7 and train.image_shape == (100, 100) and train.is_rgb
    assert train.ids[:2].tolist() == ["KDEF/AF01/AF01AFS.JPG", "KDEF/AF01/AF01ANS.JPG"]
    assert train.labels[:7].tolist() == [emotion_index(n) for n in (
        "fear", "anger", "disgust", "happiness", "neutral", "sadness", "surprise")]
    assert sorted(set(train.subjects)) == KDEF_SUBJECTS
    assert (train.subjects == "F01").sum() == 14  # sessions A and B are one person
    assert train.provenance["angles"] == ["S"]
    assert "face crops as given" in train.provenance["crop"]
    assert_subject_independent(train.subjects, 2)
    more = create_dataset("kdef", crop="none", angles="s, HL").load(ctx).train
    assert len(more) == 112 and more.provenance["angles"] == ["HL", "S"]
    assert {i for i in more.ids if i.startswith("KDEF/BM02/BM02SU")} == {
        "KDEF/BM02/BM02SUS.JPG", "KDEF/BM02/BM02SUHL.JPG"}
    assert len(create_dataset("kdef", crop="none", angles=["FR"]).load(ctx).train) == 56


def test_bad_names_folders_and_pictures_are_problems(ctx):
    root = write_kdef(ctx.data_root, kdef_names(["F01", "M01"], codes=("HA", "SA")))
    write_kdef(ctx.data_root, ["AF01XXS.JPG", "AF01ANQQ.JPG", "AF01_smile.JPG"])
    write_image(root / "BM01" / "AF01NES.JPG", (19, 14, 3))
    write_image(root / "extra" / "AM05HAS.JPG", (19, 14, 3))
    write_image(root / "AF02HAS.JPG", (19, 14, 3))
    broken = root / "AM01" / "AM01SAS.JPG"
    broken.write_bytes(b"not a JPEG")
    with pytest.raises(DatasetFormatError) as raised:
        create_dataset("kdef", crop="none").load(ctx)
    message = str(raised.value)
    assert (f"{root / 'AF01' / 'AF01XXS.JPG'}: unknown label code 'XX'; known codes: AF fear, "
            "AN anger") in message
    assert (f"{root / 'AF01' / 'AF01ANQQ.JPG'}: unknown angle 'QQ'; known angles: FL full left, "
            "HL half left, S straight") in message
    assert f"{root / 'AF01' / 'AF01_smile.JPG'}: not a KDEF picture name" in message
    assert f"{root / 'BM01' / 'AF01NES.JPG'}: named for AF01 but lies in folder BM01/" in message
    assert f"{root / 'extra'}: unknown folder; expected <session A/B>" in message
    assert f"{root / 'AF02HAS.JPG'}: file outside the picture folders" in message
    assert f"{broken}: unreadable or truncated image" in message
    train = create_dataset("kdef", crop="none", kfold=2).load(replace(ctx, skip_bad=True)).train
    assert len(train) == 7 and train.provenance["skipped"] == 7


def test_detect_crops_the_face_of_each_picture(ctx, shared_data, photo_with_face):
    pytest.importorskip("dlib", reason="crop = 'detect' needs the landmarks extra (dlib-bin)")
    root = write_kdef(ctx.data_root, ["AF01HAS.JPG", "BM02HAS.JPG"], shape=(76, 56, 3))
    photo_with_face(shared_data).save(root / "AF01" / "AF01HAS.JPG")
    with pytest.raises(DatasetFormatError, match=r"BM02HAS\.JPG: no face found"):
        create_dataset("kdef").load(ctx)
    train = create_dataset("kdef", kfold=2).load(replace(ctx, skip_bad=True)).train
    assert train.ids.tolist() == ["KDEF/AF01/AF01HAS.JPG"] and train.images.std() > 20
    assert "eye-aligned as `ferbench predict`" in train.provenance["crop"]


def test_missing_layout_and_bad_parameters(ctx):
    with pytest.raises(DatasetNotFound, match=r"kdef/KDEF/ \(folders layout\)"):
        create_dataset("kdef").locate(ctx)
    with pytest.raises(ValueError, match="angles must be some of FL full left, .*; got 'S,XX'"):
        create_dataset("kdef", angles="S,XX")
    with pytest.raises(ValueError, match="crop must be one of detect, none"):
        create_dataset("kdef", crop="box")
    with pytest.raises(ValueError, match="kfold must be >= 2"):
        create_dataset("kdef", kfold=1)
