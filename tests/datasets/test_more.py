"""The affectnet, expw, sfew, jaffe and kdef plugins, on tiny generated fixtures."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ferbench import DatasetFormatError, DatasetNotFound, emotion_index
from ferbench.data.cache import DECODES
from ferbench.data.splits import subject_kfold
from tests.datasets.layouts import context, dataset, write_image
from tests.datasets.layouts_more import (
    SFEW_CLASSES,
    bright_box,
    jaffe_names,
    kdef_names,
    save,
    write_affectnet,
    write_expw,
    write_jaffe,
    write_kdef,
    write_sfew,
)

JAFFE_SUBJECTS = ["KA", "KL", "KM", "KR", "MK"]
KDEF_SUBJECTS = ["F01", "F02", "M01", "M02"]
EXPW_ORDER = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
AFFECTNET_ORDER = ["neutral", "happy", "sad", "surprise", "fear", "disgust", "anger", "contempt"]


def assert_bright(face: np.ndarray) -> None:
    """The face holds only the bright box (its edge pixels may blend with the JPEG's dark)."""
    assert face[5:-5, 5:-5].min() > 200


def affectnet_rows(per_code: int) -> list:
    """Rows cycling through the 11 codes, each face box inside the 48x64 photo."""
    return [(f"{i % 5}/{1000 + i:040x}.jpg", (4, 6, 30, 36), i % 11) for i in range(11 * per_code)]


def test_affectnet_keeps_the_eight_emotions_and_counts_the_dropped_codes(tmp_path):
    ctx = context(tmp_path)
    training = affectnet_rows(10)
    validation = [(f"val/{i:04d}.jpg", (0, 0, 64, 48), i % 11) for i in range(11)]
    write_affectnet(ctx.data_root, {"training.csv": training, "validation.csv": validation})
    affectnet = dataset("affectnet")
    assert affectnet.locate(ctx) == "manual"
    splits = affectnet.load(ctx)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (72, 8, 8)
    assert splits.train.is_rgb and splits.train.image_shape == (100, 100)
    assert [int(v) for v in splits.test.labels] == [emotion_index(n) for n in AFFECTNET_ORDER]
    assert splits.test.ids[0] == "Manually_Annotated_Images/val/0000.jpg"
    assert splits.test.provenance["dropped"] == {"no-face": 11, "none": 11, "uncertain": 11}
    assert "landmarks fitted in the published face box" in splits.test.provenance["crop"]
    assert "carved from train" in splits.val.provenance["val"]
    assert not set(splits.train.ids) & set(splits.val.ids)


def test_affectnet_cuts_each_face_by_its_box(tmp_path):
    ctx = context(tmp_path)
    images = tmp_path / "data" / "affectnet" / "Manually_Annotated_Images"
    save(images / "1" / "inside.jpg", bright_box((48, 64, 3), (20, 10, 44, 34)))
    save(images / "1" / "clipped.jpg", bright_box((48, 64, 3), (40, 24, 64, 48)))
    write_affectnet(ctx.data_root, {
        "training.csv": [("1/inside.jpg", (20, 10, 24, 24), 1)],
        # a box reaching past the bottom-right corner is clipped to the photo
        "validation.csv": [("1/clipped.jpg", (40, 24, 40, 40), 1)],
    })
    splits = dataset("affectnet", val_fraction=0.5, crop="box").load(ctx)
    assert splits.train.image_shape == (100, 100)
    assert_bright(splits.train.images[0])
    assert_bright(splits.test.images[0])


def test_box_datasets_align_the_face_in_its_box_exactly_as_predict_does(tmp_path, shared_data):
    """The default crop = "align" trains on the crop `ferbench predict` makes of that face."""
    pytest.importorskip("dlib", reason="crop = 'align' needs the landmarks extra (dlib-bin)")
    from ferbench.data.faces.crops import SHAPE
    from ferbench.data.faces.photos import find_faces, read_photo
    from ferbench.data.samples import resized
    from tests.predict.test_predict import photo_with_face

    ctx = context(tmp_path)
    images = tmp_path / "data" / "affectnet" / "Manually_Annotated_Images"
    (images / "1").mkdir(parents=True)
    photo_with_face(shared_data).save(images / "1" / "face.png")
    face = find_faces(read_photo(images / "1" / "face.png"))[0]
    left, top, right, bottom = face.box
    box = (left, top, right - left, bottom - top)
    write_affectnet(ctx.data_root, {"training.csv": [("1/face.png", box, 1)],
                                    "validation.csv": []})
    splits = dataset("affectnet", val_fraction=0.5).load(ctx)
    assert np.array_equal(splits.train.images[0], resized(face.crop, *SHAPE[:2]))
    assert np.abs(splits.train.images[0].astype(int)
                  - dataset("affectnet", crop="box").load(context(tmp_path)).train.images[0]
                  ).mean() > 10
    with pytest.raises(ValueError, match="affectnet: crop must be one of align, box"):
        dataset("affectnet", crop="detect")


def test_affectnet_problems_name_the_file_and_line_and_skip_bad_drops_them(tmp_path):
    ctx = context(tmp_path)
    training = [(f"0/{i}.jpg", (1, 1, 20, 20), i % 8) for i in range(8)]
    training[1] = ("0/1.jpg", (1, 1, 20, 20), 12)
    training[2] = ("0/2.jpg", (1, 1, 0, 20), 2)
    training[3] = ("0/3.jpg", (90, 90, 20, 20), 3)
    folder = write_affectnet(ctx.data_root, {"training.csv": training,
                                             "validation.csv": [("0/0.jpg", (1, 1, 20, 20), 0)]})
    images, listing = folder / "Manually_Annotated_Images", folder / "Manually_Annotated_file_lists"
    (images / "0" / "4.jpg").write_bytes(b"not a jpeg")
    (images / "0" / "5.jpg").unlink()
    with open(listing / "training.csv", "a") as handle:
        handle.write("0/8.jpg,1,1,x,20,,1,0,0\n0/9.jpg,1,1\n")
    with pytest.raises(DatasetFormatError) as raised:
        dataset("affectnet").load(ctx)
    message = str(raised.value)
    training_csv, validation_csv = listing / "training.csv", listing / "validation.csv"
    assert (f"{training_csv} line 3: unknown label code '12'; known codes: 0 neutral, "
            "1 happiness") in message
    assert "(dropped as no emotion: 8 none, 9 uncertain, 10 no-face)" in message
    assert f"{training_csv} line 4: face box '1,1,0,20' has no area" in message
    assert (f"{images / '0' / '3.jpg'} ({training_csv} line 5): face box (90, 90, 110, 110) "
            "(left, top, right, bottom) holds no pixel of the 64x48 image") in message
    assert f"{images / '0' / '4.jpg'} ({training_csv} line 6): unreadable" in message
    assert (f"{training_csv} line 7: label without its image: {images / '0' / '5.jpg'} "
            "not found") in message
    assert f"{training_csv} line 10: face box '1,1,x,20' is not 4 integers" in message
    assert f"{training_csv} line 11: expected 9 columns" in message
    assert (f"{validation_csv} line 2: image '0/0.jpg' is listed twice (also at "
            f"{training_csv} line 2)") in message
    splits = dataset("affectnet").load(context(tmp_path, skip_bad=True))
    assert splits.train.ids.tolist() == [f"Manually_Annotated_Images/0/{i}.jpg" for i in (0, 6, 7)]
    assert splits.val is None and len(splits.test) == 0
    assert splits.train.provenance["skipped"] == 8


def test_affectnet_missing_files_and_a_wrong_header(tmp_path):
    ctx = context(tmp_path)
    with pytest.raises(DatasetNotFound, match=r"Manually_Annotated_Images/ and .*"
                                              r"Manually_Annotated_file_lists/training\.csv and "
                                              r".*validation\.csv \(manual layout\)"):
        dataset("affectnet").locate(ctx)
    folder = write_affectnet(ctx.data_root, {"training.csv": affectnet_rows(1)})
    with pytest.raises(DatasetNotFound, match=r"validation\.csv to complete the manual layout"):
        dataset("affectnet").locate(ctx)
    listing = folder / "Manually_Annotated_file_lists" / "validation.csv"
    listing.write_text("0/x.jpg,1,1,20,20,,1,0,0\n")
    message = re.escape(f"{listing} line 1: expected the header 'subDirectory_filePath,face_x,")
    with pytest.raises(DatasetFormatError, match=message):
        dataset("affectnet").load(ctx)
    with pytest.raises(ValueError, match="val_fraction must be in"):
        dataset("affectnet", val_fraction=1.0)


def expw_faces(per_code: int) -> list:
    """``per_code`` faces of each code, two to a photo, boxed inside the 60x80 photos."""
    return [(f"photo_{i // 2}.jpg", i % 2, (5, 10, 40, 35), i % 7)
            for i in range(7 * per_code)]


def test_expw_splits_each_class_by_seed_after_the_cache(tmp_path):
    ctx = context(tmp_path)
    write_expw(ctx.data_root, expw_faces(10))
    expw = dataset("expw")
    assert expw.locate(ctx) == "origin"
    splits = expw.load(ctx)
    assert 10 <= len(splits.test) <= 18 and 6 <= len(splits.val) <= 8
    assert splits.test.image_shape == (100, 100) and splits.test.is_rgb
    assert set(splits.test.class_counts()) == {emotion_index(n) for n in EXPW_ORDER}
    ids = [set(part.ids) for part in (splits.train, splits.val, splits.test)]
    assert sum(map(len, ids)) == 70 and len(set.union(*ids)) == 70
    assert {"image/origin/photo_0.jpg#0", "image/origin/photo_0.jpg#1"} <= set.union(*ids)
    assert not set(splits.test.subjects) & {*splits.train.subjects, *splits.val.subjects}
    assert splits.test.provenance["split"] == "test: whole photos, about 20% of each class, seed 0"
    decodes = DECODES["expw"]
    assert set(expw.load(ctx).test.ids) == ids[2]
    other = expw.load(context(tmp_path, seed=1))
    assert set(other.test.ids) != ids[2] and DECODES["expw"] == decodes


def test_expw_box_is_top_left_right_bottom(tmp_path):
    ctx = context(tmp_path)
    photos = tmp_path / "data" / "expw" / "image" / "origin"
    for name in ("wide.jpg", "wide2.jpg"):
        save(photos / name, bright_box((60, 80, 3), (50, 5, 74, 25)))
    write_expw(ctx.data_root, [("wide.jpg", 0, (5, 50, 74, 25), 3),
                               ("wide2.jpg", 0, (5, 50, 74, 25), 3)])
    splits = dataset("expw", test_fraction=0.5, crop="box").load(ctx)
    assert len(splits.train) == len(splits.test) == 1
    assert_bright(splits.train.images[0])
    assert_bright(splits.test.images[0])


def test_expw_problems_name_the_line_and_skip_bad_drops_them(tmp_path):
    ctx = context(tmp_path)
    faces = expw_faces(2)
    folder = write_expw(ctx.data_root, faces)
    listing, photos = folder / "label" / "label.lst", folder / "image" / "origin"
    (photos / "photo_1.jpg").write_bytes(b"\xff\xd8 truncated")  # faces on lines 3 and 4
    lines = listing.read_text().splitlines()
    lines[0] = lines[0][:-1] + "7"
    lines[1] = lines[1] + " extra"
    lines[4] = lines[4].replace(" 5 10 40 35 ", " 5 10 x 35 ")
    lines[5] = lines[5].replace(" 5 10 40 35 ", " 5 40 10 35 ")
    lines[6] = lines[6].replace("photo_3.jpg", "gone.jpg")
    lines.append(lines[13])
    listing.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetFormatError) as raised:
        dataset("expw").load(ctx)
    message = str(raised.value)
    assert f"{listing} line 1: unknown label code '7'; known codes: 0 anger, 1 disgust" in message
    assert f"{listing} line 2: expected 8 fields (image_name face_id_in_image" in message
    assert f"{listing} line 5: face id and box '0 5 10 x 35' are not 5 integers" in message
    assert f"{listing} line 6: face box top=5 left=40 right=10 bottom=35 has no area" in message
    assert f"{listing} line 7: label without its image: {photos / 'gone.jpg'} not found" in message
    for line in (3, 4):
        assert f"{photos / 'photo_1.jpg'} ({listing} line {line}): unreadable" in message
    assert (f"{listing} line 15: face 1 of photo_6.jpg is listed twice (also at {listing} "
            "line 14)") in message
    splits = dataset("expw").load(context(tmp_path, skip_bad=True))
    kept = [i for part in (splits.train, splits.val, splits.test) if part for i in part.ids]
    assert sorted(kept) == sorted(f"image/origin/photo_{i // 2}.jpg#{i % 2}"
                                              for i in range(7, 14))
    assert splits.train.provenance["skipped"] == 8


def test_expw_missing_layout_and_bad_fractions(tmp_path):
    ctx = context(tmp_path)
    with pytest.raises(DatasetNotFound, match=r"expw/label/label\.lst and .*expw/image/origin/ "
                                              r"\(origin layout\)"):
        dataset("expw").locate(ctx)
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\)"):
        dataset("expw", test_fraction=0)


def test_sfew_val_is_the_test_split_and_val_is_carved_from_train(tmp_path):
    ctx = context(tmp_path)
    write_sfew(ctx.data_root, {"Train": 10, "Val": 1})
    sfew = dataset("sfew")
    assert sfew.locate(ctx) == "aligned"
    splits = sfew.load(ctx)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (63, 7, 7)
    assert splits.test.image_shape == (100, 100) and splits.test.is_rgb  # from 30x36
    assert [int(v) for v in splits.test.labels] == [emotion_index(n) for n in SFEW_CLASSES]
    assert splits.test.ids[0] == "Val/Angry/Movie_00000000_00000001.png"
    assert all(i.startswith("Train/") for i in [*splits.train.ids, *splits.val.ids])
    assert "face crops as given" in splits.test.provenance["crop"]


def test_sfew_bad_files_and_folders_are_problems(tmp_path):
    ctx = context(tmp_path)
    folder = write_sfew(ctx.data_root, {"Train": 2, "Val": 1})
    broken = folder / "Train" / "Happy" / "Movie_00300000_00000001.png"
    broken.write_bytes(b"\x89PNG broken")
    write_image(folder / "Val" / "Contempt" / "x.png", (36, 30, 3))
    with pytest.raises(DatasetFormatError) as raised:
        dataset("sfew").load(ctx)
    message = str(raised.value)
    assert f"{broken}: unreadable or truncated image" in message
    assert (f"{folder / 'Val' / 'Contempt'}: unknown class folder 'Contempt'; expected one of "
            "Angry, Disgust") in message
    splits = dataset("sfew").load(context(tmp_path, skip_bad=True))
    assert len(splits.train) + len(splits.val or []) == 13 and len(splits.test) == 7
    assert splits.test.provenance["skipped"] == 2


def test_sfew_missing_layout(tmp_path):
    ctx = context(tmp_path)
    with pytest.raises(DatasetNotFound, match=r"sfew/Train/ and .*sfew/Val/ \(aligned layout\)"):
        dataset("sfew").locate(ctx)
    (ctx.data_root / "sfew" / "Train").mkdir(parents=True)
    with pytest.raises(DatasetNotFound, match=r"sfew/Val/ to complete the aligned layout"):
        dataset("sfew").locate(ctx)


def assert_subject_independent(subjects: np.ndarray, kfold: int, seed: int = 0) -> None:
    """Every fold of the protocol's subject k-fold keeps each subject on one side."""
    folds = subject_kfold(subjects, kfold, seed)
    assert len(folds) == kfold
    for train, test in folds:
        assert len(test) and not set(subjects[train]) & set(subjects[test])


def test_jaffe_reads_subject_and_expression_from_the_file_names(tmp_path):
    ctx = context(tmp_path)
    folder = write_jaffe(ctx.data_root, jaffe_names(JAFFE_SUBJECTS))
    (folder / "README").write_text("JAFFE images\n")
    jaffe = dataset("jaffe", kfold=5)
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
    assert dataset("jaffe").load(ctx).kfold == 10  # one subject per fold for the real 10
    moved = context(tmp_path / "moved")
    write_jaffe(moved.data_root, jaffe_names(JAFFE_SUBJECTS), inside=".")
    assert jaffe.locate(moved) == "tiff"
    assert jaffe.load(moved).train.ids.tolist() == train.ids.tolist()


def test_jaffe_bad_names_codes_and_images_are_problems(tmp_path):
    ctx = context(tmp_path)
    folder = write_jaffe(ctx.data_root, [*jaffe_names(["KA", "KL"]), "KA.XX1.90.tiff",
                                         "KA_AN1_91.tiff"])
    write_jaffe(ctx.data_root, ["KL.HA3.92.tiff"], shape=(128, 128))
    (folder / "KL.SU1.14.tiff").write_bytes(b"not a TIFF")
    with pytest.raises(DatasetFormatError) as raised:
        dataset("jaffe").load(ctx)
    message = str(raised.value)
    assert (f"{folder / 'KA.XX1.90.tiff'}: unknown label code 'XX'; known codes: AN anger, "
            "DI disgust") in message
    assert f"{folder / 'KA_AN1_91.tiff'}: file name does not carry subject" in message
    assert f"{folder / 'KL.HA3.92.tiff'}: expected a 256x256 image, found 128x128" in message
    assert f"{folder / 'KL.SU1.14.tiff'}: unreadable or truncated image" in message
    train = dataset("jaffe", kfold=2).load(context(tmp_path, skip_bad=True)).train
    assert len(train) == 13 and train.provenance["skipped"] == 4


def test_jaffe_missing_images(tmp_path):
    ctx = context(tmp_path)
    (ctx.data_root / "jaffe" / "jaffedbase").mkdir(parents=True)
    with pytest.raises(DatasetNotFound, match=r"jaffe/jaffedbase/\*\.tiff \(as the download "
                                              r"unpacks\) or .*jaffe/\*\.tiff: JAFFE's 213"):
        dataset("jaffe").locate(ctx)
    with pytest.raises(ValueError, match="kfold must be >= 2"):
        dataset("jaffe", kfold=1)


def test_kdef_takes_straight_pictures_by_default_with_gender_and_number_as_subject(tmp_path):
    ctx = context(tmp_path)
    write_kdef(ctx.data_root, kdef_names(KDEF_SUBJECTS, angles=("S", "HL", "FR")))
    kdef = dataset("kdef", crop="none", kfold=2)
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
    more = dataset("kdef", crop="none", angles="s, HL").load(ctx).train
    assert len(more) == 112 and more.provenance["angles"] == ["HL", "S"]
    assert {i for i in more.ids if i.startswith("KDEF/BM02/BM02SU")} == {
        "KDEF/BM02/BM02SUS.JPG", "KDEF/BM02/BM02SUHL.JPG"}
    assert len(dataset("kdef", crop="none", angles=["FR"]).load(ctx).train) == 56


def test_kdef_bad_names_folders_and_pictures_are_problems(tmp_path):
    ctx = context(tmp_path)
    root = write_kdef(ctx.data_root, kdef_names(["F01", "M01"], codes=("HA", "SA")))
    write_kdef(ctx.data_root, ["AF01XXS.JPG", "AF01ANQQ.JPG", "AF01_smile.JPG"])
    write_image(root / "BM01" / "AF01NES.JPG", (19, 14, 3))
    write_image(root / "extra" / "AM05HAS.JPG", (19, 14, 3))
    write_image(root / "AF02HAS.JPG", (19, 14, 3))
    broken = root / "AM01" / "AM01SAS.JPG"
    broken.write_bytes(b"not a JPEG")
    with pytest.raises(DatasetFormatError) as raised:
        dataset("kdef", crop="none").load(ctx)
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
    train = dataset("kdef", crop="none", kfold=2).load(context(tmp_path, skip_bad=True)).train
    assert len(train) == 7 and train.provenance["skipped"] == 7


def test_kdef_detect_crops_the_face_of_each_picture(tmp_path, shared_data):
    pytest.importorskip("dlib", reason="crop = 'detect' needs the landmarks extra (dlib-bin)")
    from tests.predict.test_predict import photo_with_face

    ctx = context(tmp_path)
    root = write_kdef(ctx.data_root, ["AF01HAS.JPG", "BM02HAS.JPG"], shape=(76, 56, 3))
    photo_with_face(shared_data).save(root / "AF01" / "AF01HAS.JPG")
    with pytest.raises(DatasetFormatError, match=r"BM02HAS\.JPG: no face found"):
        dataset("kdef").load(ctx)
    train = dataset("kdef", kfold=2).load(context(tmp_path, skip_bad=True)).train
    assert train.ids.tolist() == ["KDEF/AF01/AF01HAS.JPG"] and train.images.std() > 20
    assert "eye-aligned as `ferbench predict`" in train.provenance["crop"]


def test_kdef_missing_layout_and_bad_parameters(tmp_path):
    with pytest.raises(DatasetNotFound, match=r"kdef/KDEF/ \(folders layout\)"):
        dataset("kdef").locate(context(tmp_path))
    with pytest.raises(ValueError, match="angles must be some of FL full left, .*; got 'S,XX'"):
        dataset("kdef", angles="S,XX")
    with pytest.raises(ValueError, match="crop must be one of detect, none"):
        dataset("kdef", crop="box")
    with pytest.raises(ValueError, match="kfold must be >= 2"):
        dataset("kdef", kfold=1)
