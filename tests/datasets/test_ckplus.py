"""The ckplus plugin: original sequences (face-cropped) and Kaggle's CK+48, k-fold splits."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from ferbench import DatasetFormatError, DatasetNotFound, create_dataset, emotion_index
from tests.datasets.folder_layouts import write_ck48, write_ckplus_sequence

DISGUST, HAPPY = "3.0000000e+00", "5.0000000e+00"


def write_sequences(root):
    write_ckplus_sequence(root, "S005", "001", frames=5, code=DISGUST)
    write_ckplus_sequence(root, "S010", "002", frames=2, code=HAPPY)  # shorter than 3 frames
    return write_ckplus_sequence(root, "S011", "001", frames=4, code=None)  # unlabelled


def test_original_layout_takes_the_last_three_frames_of_labelled_sequences(ctx):
    write_sequences(ctx.data_root)
    ck = create_dataset("ckplus", size=32)
    assert ck.locate(ctx) == "original"
    splits = ck.load(ctx)
    assert splits.val is None and splits.test is None and splits.kfold == 10
    assert splits.as_target() is splits.train
    train = splits.train
    assert train.ids.tolist() == [
        "cohn-kanade-images/S005/001/S005_001_00000003.png",
        "cohn-kanade-images/S005/001/S005_001_00000004.png",
        "cohn-kanade-images/S005/001/S005_001_00000005.png",
        "cohn-kanade-images/S010/002/S010_002_00000001.png",
        "cohn-kanade-images/S010/002/S010_002_00000002.png",
    ]
    assert train.subjects.tolist() == ["S005"] * 3 + ["S010"] * 2
    assert train.labels.tolist() == [emotion_index("disgust")] * 3 + [emotion_index("happy")] * 2
    assert train.image_shape == (32, 32) and not train.is_rgb
    assert train.provenance["centre_crops"] == 5  # noise frames hold no face
    assert train.provenance["detector"].split()[0] in {"opencv", "dlib"}


def test_neutral_first_adds_the_first_frame_of_long_enough_sequences(ctx):
    write_sequences(ctx.data_root)
    splits = create_dataset("ckplus", size=32, neutral_first=True, kfold=5).load(ctx)
    assert splits.kfold == 5
    neutral = splits.train.labels == emotion_index("neutral")
    assert splits.train.ids[neutral].tolist() == [
        "cohn-kanade-images/S005/001/S005_001_00000001.png"]
    assert "first as neutral" in splits.train.provenance["frames"]


def test_a_real_face_is_found_and_cropped(shared_data, ctx):
    face = Image.open(shared_data / "ckplus48" / "CK+48" / "happy" / "S010_006_00000013.png")
    frame = Image.new("L", (320, 240), 128)
    frame.paste(face.convert("L").resize((200, 200), Image.Resampling.BICUBIC), (60, 20))
    write_ckplus_sequence(ctx.data_root, "S010", "006", frames=3, code=HAPPY,
                          frame_image=np.asarray(frame))
    splits = create_dataset("ckplus").load(ctx)
    assert splits.train.image_shape == (96, 96)
    assert splits.train.provenance["centre_crops"] == 0


def test_label_problems_name_the_emotion_file(ctx):
    folder = write_sequences(ctx.data_root)
    emotion = folder / "Emotion"
    (emotion / "S005" / "001" / "S005_001_00000005_emotion.txt").write_text("   9.0000000e+00\n")
    bad_text = emotion / "S010" / "002" / "S010_002_00000002_emotion.txt"
    bad_text.write_text("happy\n")
    orphan = emotion / "S077" / "001" / "S077_001_00000009_emotion.txt"
    orphan.parent.mkdir(parents=True)
    orphan.write_text(f"   {HAPPY}\n")
    with pytest.raises(DatasetFormatError) as raised:
        create_dataset("ckplus", size=32).load(ctx)
    message = str(raised.value)
    assert (f"{emotion / 'S005' / '001' / 'S005_001_00000005_emotion.txt'} line 1: unknown "
            "label code '9.0000000e+00'; known codes: 0 neutral, 1 anger") in message
    assert f"{bad_text} line 1: expected a numeric emotion code, found 'happy'" in message
    assert (f"{orphan}: label without its image: "
            f"{folder / 'cohn-kanade-images' / 'S077' / '001' / 'S077_001_00000009.png'} "
            "not found") in message


def test_ck48_layout_reads_subjects_from_file_names(ctx):
    folder = write_ck48(ctx.data_root, {
        "anger": ["S010_004_00000017.png", "S010_004_00000018.png"],
        "contempt": ["S138_008_00000007.png"],
        "happy": ["S011_006_00000013.png", "frame_7.png"],
    })
    ck = create_dataset("ckplus", size=64)
    assert ck.locate(ctx) == "ck+48"
    bad_name = re.escape(f"{folder / 'happy' / 'frame_7.png'}: file name does not carry")
    with pytest.raises(DatasetFormatError, match=bad_name):
        ck.load(ctx)
    splits = ck.load(replace(ctx, skip_bad=True))
    train = splits.train
    assert train.image_shape == (48, 48)  # CK+48 keeps its crops; size applies to originals
    assert train.subjects.tolist() == ["S010", "S010", "S138", "S011"]
    assert train.ids[2] == "CK+48/contempt/S138_008_00000007.png"
    assert train.labels.tolist() == [emotion_index(n) for n in
                                     ("anger", "anger", "contempt", "happiness")]
    assert splits.test is None and train.provenance["skipped"] == 1
    with pytest.raises(ValueError, match="neutral_first needs the original layout"):
        create_dataset("ckplus", neutral_first=True).load(ctx)


def test_layout_errors(ctx):
    with pytest.raises(DatasetNotFound, match=r"cohn-kanade-images/ and .*Emotion/ \(original "
                                              r"layout\) or .*CK\+48/ \(ck\+48 layout\)"):
        create_dataset("ckplus").locate(ctx)
    (ctx.data_root / "ckplus" / "Emotion").mkdir(parents=True)
    with pytest.raises(DatasetNotFound, match=r"cohn-kanade-images/ to complete the original"):
        create_dataset("ckplus").locate(ctx)
    write_sequences(ctx.data_root)
    write_ck48(ctx.data_root, {"anger": ["S010_004_00000017.png"]})
    with pytest.raises(DatasetFormatError, match=r"2 layouts: original .*; ck\+48"):
        create_dataset("ckplus").locate(ctx)


def test_bad_parameters_are_rejected_at_creation():
    with pytest.raises(ValueError, match="detector must be one of auto, haar, dlib"):
        create_dataset("ckplus", detector="mtcnn")
    with pytest.raises(ValueError, match="kfold must be >= 2"):
        create_dataset("ckplus", kfold=1)


def test_real_ck48_sample(shared_data, ctx):
    (ctx.data_root / "ckplus").mkdir(parents=True)
    (ctx.data_root / "ckplus" / "CK+48").symlink_to(shared_data / "ckplus48" / "CK+48")
    train = create_dataset("ckplus").load(ctx).train
    assert len(train) == 240 and len(np.unique(train.subjects)) == 26
    counts = {name: train.class_counts()[emotion_index(name)]
              for name in ("anger", "disgust", "fear", "happy", "sadness", "surprise")}
    assert counts == {"anger": 45, "disgust": 45, "fear": 21, "happy": 48, "sadness": 15,
                      "surprise": 66}
