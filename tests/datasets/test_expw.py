"""The expw plugin: faces boxed in web photos, split by whole photos and seed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ferbench import DatasetFormatError, DatasetNotFound, create_dataset, emotion_index
from ferbench.data.cache import DECODES
from tests.datasets.checks import assert_bright
from tests.datasets.images import bright_box, save
from tests.datasets.label_list_layouts import write_expw

EXPW_ORDER = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def expw_faces(per_code: int) -> list:
    """``per_code`` faces of each code, two to a photo, boxed inside the 60x80 photos."""
    return [(f"photo_{i // 2}.jpg", i % 2, (5, 10, 40, 35), i % 7)
            for i in range(7 * per_code)]


def test_splits_each_class_by_seed_after_the_cache(ctx):
    write_expw(ctx.data_root, expw_faces(10))
    expw = create_dataset("expw")
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
    other = expw.load(replace(ctx, seed=1))
    assert set(other.test.ids) != ids[2] and DECODES["expw"] == decodes


def test_box_is_top_left_right_bottom(ctx):
    photos = ctx.data_root / "expw" / "image" / "origin"
    for name in ("wide.jpg", "wide2.jpg"):
        save(photos / name, bright_box((60, 80, 3), (50, 5, 74, 25)))
    write_expw(ctx.data_root, [("wide.jpg", 0, (5, 50, 74, 25), 3),
                               ("wide2.jpg", 0, (5, 50, 74, 25), 3)])
    splits = create_dataset("expw", test_fraction=0.5, crop="box").load(ctx)
    assert len(splits.train) == len(splits.test) == 1
    assert_bright(splits.train.images[0])
    assert_bright(splits.test.images[0])


def test_problems_name_the_line_and_skip_bad_drops_them(ctx):
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
        create_dataset("expw").load(ctx)
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
    splits = create_dataset("expw").load(replace(ctx, skip_bad=True))
    kept = [i for part in (splits.train, splits.val, splits.test) if part for i in part.ids]
    assert sorted(kept) == sorted(f"image/origin/photo_{i // 2}.jpg#{i % 2}"
                                              for i in range(7, 14))
    assert splits.train.provenance["skipped"] == 8


def test_missing_layout_and_bad_fractions(ctx):
    with pytest.raises(DatasetNotFound, match=r"expw/label/label\.lst and .*expw/image/origin/ "
                                              r"\(origin layout\)"):
        create_dataset("expw").locate(ctx)
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\)"):
        create_dataset("expw", test_fraction=0)


def test_a_listed_photo_outside_the_photo_folder_is_a_problem(ctx):
    folder = write_expw(ctx.data_root, expw_faces(4))
    listing = folder / "label" / "label.lst"
    lines = len(listing.read_text().splitlines())
    with open(listing, "a") as handle:
        handle.write("../../secret.jpg 0 5 5 40 40 57.3 3\n")
    with pytest.raises(DatasetFormatError) as raised:
        create_dataset("expw").load(ctx)
    assert (f"{listing} line {lines + 1}: image path '../../secret.jpg' is absolute or leaves "
            f"the images folder {folder / 'image' / 'origin'}") in str(raised.value)
