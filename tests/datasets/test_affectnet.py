"""The affectnet plugin: manually annotated faces cut from their published boxes."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from ferbench import DatasetFormatError, DatasetNotFound, create_dataset, emotion_index
from tests.datasets.checks import assert_bright
from tests.datasets.images import bright_box, save
from tests.datasets.label_list_layouts import write_affectnet

AFFECTNET_ORDER = ["neutral", "happy", "sad", "surprise", "fear", "disgust", "anger", "contempt"]


def affectnet_rows(per_code: int) -> list:
    """Rows cycling through the 11 codes, each face box inside the 48x64 photo."""
    return [(f"{i % 5}/{1000 + i:040x}.jpg", (4, 6, 30, 36), i % 11) for i in range(11 * per_code)]


def test_keeps_the_eight_emotions_and_counts_the_dropped_codes(ctx):
    training = affectnet_rows(10)
    validation = [(f"val/{i:04d}.jpg", (0, 0, 64, 48), i % 11) for i in range(11)]
    write_affectnet(ctx.data_root, {"training.csv": training, "validation.csv": validation})
    affectnet = create_dataset("affectnet")
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


def test_cuts_each_face_by_its_box(ctx):
    images = ctx.data_root / "affectnet" / "Manually_Annotated_Images"
    save(images / "1" / "inside.jpg", bright_box((48, 64, 3), (20, 10, 44, 34)))
    save(images / "1" / "clipped.jpg", bright_box((48, 64, 3), (40, 24, 64, 48)))
    write_affectnet(ctx.data_root, {
        "training.csv": [("1/inside.jpg", (20, 10, 24, 24), 1)],
        # a box reaching past the bottom-right corner is clipped to the photo
        "validation.csv": [("1/clipped.jpg", (40, 24, 40, 40), 1)],
    })
    splits = create_dataset("affectnet", val_fraction=0.5, crop="box").load(ctx)
    assert splits.train.image_shape == (100, 100)
    assert_bright(splits.train.images[0])
    assert_bright(splits.test.images[0])


def test_box_datasets_align_the_face_in_its_box_exactly_as_predict_does(ctx, shared_data,
                                                                        photo_with_face):
    """The default crop = "align" trains on the crop `ferbench predict` makes of that face."""
    pytest.importorskip("dlib", reason="crop = 'align' needs the landmarks extra (dlib-bin)")
    from ferbench.data.faces.crops import SHAPE
    from ferbench.data.faces.photos import find_faces, read_photo
    from ferbench.data.samples import resized
    images = ctx.data_root / "affectnet" / "Manually_Annotated_Images"
    (images / "1").mkdir(parents=True)
    photo_with_face(shared_data).save(images / "1" / "face.png")
    face = find_faces(read_photo(images / "1" / "face.png"))[0]
    left, top, right, bottom = face.box
    box = (left, top, right - left, bottom - top)
    write_affectnet(ctx.data_root, {"training.csv": [("1/face.png", box, 1)],
                                    "validation.csv": []})
    splits = create_dataset("affectnet", val_fraction=0.5).load(ctx)
    assert np.array_equal(splits.train.images[0], resized(face.crop, *SHAPE[:2]))
    assert np.abs(splits.train.images[0].astype(int)
                  - create_dataset("affectnet", crop="box").load(ctx).train.images[0]
                  ).mean() > 10
    with pytest.raises(ValueError, match="affectnet: crop must be one of align, box"):
        create_dataset("affectnet", crop="detect")


def test_problems_name_the_file_and_line_and_skip_bad_drops_them(ctx):
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
        create_dataset("affectnet").load(ctx)
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
    splits = create_dataset("affectnet").load(replace(ctx, skip_bad=True))
    assert splits.train.ids.tolist() == [f"Manually_Annotated_Images/0/{i}.jpg" for i in (0, 6, 7)]
    assert splits.val is None and len(splits.test) == 0
    assert splits.train.provenance["skipped"] == 8


def test_missing_files_and_a_wrong_header(ctx):
    with pytest.raises(DatasetNotFound, match=r"Manually_Annotated_Images/ and .*"
                                              r"Manually_Annotated_file_lists/training\.csv and "
                                              r".*validation\.csv \(manual layout\)"):
        create_dataset("affectnet").locate(ctx)
    folder = write_affectnet(ctx.data_root, {"training.csv": affectnet_rows(1)})
    with pytest.raises(DatasetNotFound, match=r"validation\.csv to complete the manual layout"):
        create_dataset("affectnet").locate(ctx)
    listing = folder / "Manually_Annotated_file_lists" / "validation.csv"
    listing.write_text("0/x.jpg,1,1,20,20,,1,0,0\n")
    message = re.escape(f"{listing} line 1: expected the header 'subDirectory_filePath,face_x,")
    with pytest.raises(DatasetFormatError, match=message):
        create_dataset("affectnet").load(ctx)
    with pytest.raises(ValueError, match="val_fraction must be in"):
        create_dataset("affectnet", val_fraction=1.0)


@pytest.mark.parametrize("name", ["../outside.jpg", "/etc/hostname"])
def test_a_listed_image_outside_the_images_folder_is_a_problem(ctx, name):
    training = affectnet_rows(2)
    folder = write_affectnet(ctx.data_root, {"training.csv": training, "validation.csv":
                                             affectnet_rows(1)})
    listing = folder / "Manually_Annotated_file_lists" / "training.csv"
    with open(listing, "a") as handle:
        handle.write(f"{name},0,0,10,10,\"0;0\",1,0.5,-0.25\n")
    with pytest.raises(DatasetFormatError) as raised:
        create_dataset("affectnet").load(ctx)
    assert (f"{listing} line {len(training) + 2}: image path {name!r} is absolute or leaves the "
            f"images folder {folder / 'Manually_Annotated_Images'}") in str(raised.value)
