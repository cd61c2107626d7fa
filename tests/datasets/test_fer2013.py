"""The fer2013 plugin: CSV and image-folder layouts, validation, decoding cache."""

from __future__ import annotations

import os
import re
from dataclasses import replace

import numpy as np
import pytest

from ferbench import DatasetFormatError, DatasetNotFound, create_dataset, emotion_index
from ferbench.data.cache import DECODES
from tests.datasets.csv_layouts import fer2013_line, fer2013_lines, pixels_of, write_fer2013_csv
from tests.datasets.folder_layouts import write_fer2013_folders
from tests.datasets.images import write_image

FER2013_ORDER = ["anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral"]


def test_csv_splits_labels_ids_and_pixels(ctx):
    write_fer2013_csv(ctx.data_root, fer2013_lines(training=14, public=7, private=7))
    fer = create_dataset("fer2013")
    assert fer.locate(ctx) == "csv"
    splits = fer.load(ctx)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (14, 7, 7)
    expected_labels = [emotion_index(FER2013_ORDER[row % 7]) for row in range(14)]
    assert splits.train.labels.tolist() == expected_labels
    assert splits.train.ids[:2].tolist() == ["row0", "row1"]
    assert splits.val.ids[0] == "row14" and splits.test.ids[-1] == "row27"
    assert np.array_equal(splits.test.images[-1], pixels_of(27))
    assert splits.train.image_shape == (48, 48) and not splits.train.is_rgb
    assert splits.train.provenance["variant"] == "csv"
    assert splits.train.provenance["skipped"] == 0


@pytest.mark.parametrize(("ending", "trailer"), [("\n", "\n\n\n"), ("\r\n", "")])
def test_csv_tolerates_crlf_trailing_blank_lines_and_no_final_newline(ctx, ending, trailer):
    path = write_fer2013_csv(ctx.data_root, fer2013_lines(7, 0, 0), ending=ending)
    path.write_bytes(path.read_bytes().rstrip(b"\r\n") + trailer.encode())
    splits = create_dataset("fer2013").load(ctx)
    assert len(splits.train) == 7
    assert np.array_equal(splits.train.images[6], pixels_of(6))


PIXELS_2303 = " ".join(["7"] * 2303)
BAD_ROWS = {
    # file line: (row text, fragment the message must contain)
    3: (f"3,{PIXELS_2303},Training", "expected 2304 pixel values (48x48), found 2303"),
    4: (f"3,{PIXELS_2303} x1,Training", "non-numeric pixel value 'x1'"),
    5: (f"9,{PIXELS_2303} 7,Training", "unknown label code 9"),
    6: (f"3,{PIXELS_2303} 256,Training", "pixel 2303 is 256, out of range 0..255"),
    7: (f"3,{PIXELS_2303} 7,Validation", "Usage 'Validation' is not one of"),
    8: (f"3;{PIXELS_2303} 7;Training", "expected 3 comma-separated columns"),
    9: (f"x,{PIXELS_2303} 7,Training", "emotion 'x' is not an integer code"),
    10: (f"3,{PIXELS_2303} 1000,Training", "pixel 2303 has more than 3 digits"),
    11: ("", "empty row"),
}


def write_csv_with_bad_rows(ctx):
    """Line 2 is good, lines 3..11 are the bad rows above, line 12 is good again."""
    lines = [fer2013_line(0, 3, "Training")] + [text for text, _ in BAD_ROWS.values()]
    lines.append(fer2013_line(10, 5, "PrivateTest"))
    return write_fer2013_csv(ctx.data_root, lines)


def test_every_malformed_csv_row_is_reported_with_its_file_and_line(ctx):
    path = write_csv_with_bad_rows(ctx)
    with pytest.raises(DatasetFormatError) as raised:
        create_dataset("fer2013").load(ctx)
    message = str(raised.value)
    assert f"{len(BAD_ROWS)} problem(s)" in message
    for line, (_, fragment) in BAD_ROWS.items():
        assert re.search(rf"{re.escape(str(path))} line {line}: [^\n]*{re.escape(fragment)}",
                         message), (line, fragment, message)


def test_skip_bad_keeps_the_good_rows_and_records_what_it_skipped(ctx):
    ctx = replace(ctx, skip_bad=True)
    write_csv_with_bad_rows(ctx)
    splits = create_dataset("fer2013").load(ctx)
    assert splits.train.ids.tolist() == ["row0"] and splits.test.ids.tolist() == ["row10"]
    assert np.array_equal(splits.test.images[0], pixels_of(10))
    for faces in splits.parts().values():
        assert faces.provenance["skipped"] == len(BAD_ROWS)
        assert len(faces.provenance["skipped_reasons"]) == 3
        assert "line 3: expected 2304 pixel values" in faces.provenance["skipped_reasons"][0]


def test_an_error_lists_the_first_ten_problems_and_the_total(ctx):
    write_fer2013_csv(ctx.data_root, [fer2013_line(row, 8, "Training") for row in range(25)])
    with pytest.raises(DatasetFormatError) as raised:
        create_dataset("fer2013").load(ctx)
    message = str(raised.value)
    assert "25 problem(s)" in message and "first 10 listed" in message
    assert "… and 15 more" in message and message.count("unknown label code 8") == 10


def test_a_wrong_header_stops_at_line_1(ctx):
    path = write_fer2013_csv(ctx.data_root, fer2013_lines(1, 0, 0))
    path.write_text(path.read_text().replace("emotion,pixels,Usage", "label,pixels", 1))
    with pytest.raises(DatasetFormatError, match=rf"{re.escape(str(path))} line 1: expected"):
        create_dataset("fer2013").load(ctx)


def test_folder_layout_labels_ids_and_seeded_stratified_validation(ctx):
    ctx = replace(ctx, seed=3)
    write_fer2013_folders(ctx.data_root, train=10, test=2)
    fer = create_dataset("fer2013")
    assert fer.locate(ctx) == "folder"
    splits = fer.load(ctx)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (63, 7, 14)
    assert set(splits.val.class_counts().values()) == {1}
    assert all(i.startswith("train/") for i in splits.val.ids)
    assert not set(splits.train.ids) & set(splits.val.ids)
    assert splits.test.ids[0] == "test/angry/test_angry_0.jpg"
    assert splits.test.labels[0] == emotion_index("anger")
    assert "seed 3" in splits.val.provenance["val"]
    again = fer.load(ctx)
    assert again.val.ids.tolist() == splits.val.ids.tolist()
    other_seed = fer.load(replace(ctx, seed=4))
    assert other_seed.val.ids.tolist() != splits.val.ids.tolist()


def test_folder_problems_name_the_file_and_skip_bad_counts_them(ctx):
    folder = write_fer2013_folders(ctx.data_root, train=2, test=1)
    good = folder / "train" / "happy" / "train_happy_0.jpg"
    (folder / "train" / "happy" / "truncated.jpg").write_bytes(good.read_bytes()[:200])
    (folder / "train" / "sad" / "notes.jpg").write_text("not an image")
    write_image(folder / "test" / "fear" / "big.png", (64, 64))
    write_image(folder / "train" / "happpy" / "x.jpg", (48, 48))
    (folder / "test" / "disgust" / "test_disgust_0.jpg").unlink()
    with pytest.raises(DatasetFormatError) as raised:
        create_dataset("fer2013", val_fraction=0.5).load(ctx)
    message = str(raised.value)
    assert f"{folder / 'train' / 'happy' / 'truncated.jpg'}: unreadable or truncated" in message
    assert f"{folder / 'train' / 'sad' / 'notes.jpg'}: unreadable or truncated" in message
    assert f"{folder / 'test' / 'fear' / 'big.png'}: expected a 48x48 image, found 64x64" in message
    assert f"{folder / 'train' / 'happpy'}: unknown class folder 'happpy'" in message
    assert f"{folder / 'test' / 'disgust'}: empty class folder" in message
    splits = create_dataset("fer2013", val_fraction=0.5).load(replace(ctx, skip_bad=True))
    assert splits.train.provenance["skipped"] == 4  # 3 bad files + 1 in the unknown folder
    assert len(splits.train) + len(splits.val) == 14 and len(splits.test) == 6


def test_both_layouts_in_one_folder_is_an_error_naming_both(ctx):
    write_fer2013_csv(ctx.data_root, fer2013_lines(1, 0, 0))
    write_fer2013_folders(ctx.data_root, train=1, test=1)
    with pytest.raises(DatasetFormatError, match=r"2 layouts: csv \(.*fer2013\.csv\); folder"):
        create_dataset("fer2013").locate(ctx)


def test_missing_and_partial_downloads_say_what_is_expected_where(ctx):
    with pytest.raises(DatasetNotFound) as raised:
        create_dataset("fer2013").locate(ctx)
    assert f"{ctx.data_root / 'fer2013' / 'fer2013.csv'} (csv layout)" in str(raised.value)
    (ctx.data_root / "fer2013" / "train").mkdir(parents=True)
    with pytest.raises(DatasetNotFound, match=r"fer2013/test/ to complete the folder layout"):
        create_dataset("fer2013").locate(ctx)


def test_second_load_reads_the_cache_and_a_changed_file_is_decoded_again(ctx):
    path = write_fer2013_csv(ctx.data_root, fer2013_lines(7, 1, 1))
    fer = create_dataset("fer2013")
    before = DECODES["fer2013"]
    first = fer.load(ctx)
    second = fer.load(ctx)
    assert DECODES["fer2013"] == before + 1
    assert np.array_equal(first.train.images, second.train.images)
    assert list((ctx.cache_dir / "datasets").iterdir()) == [
        next((ctx.cache_dir / "datasets").glob("fer2013-csv-*.npz"))]  # no temporary left

    write_fer2013_csv(ctx.data_root, fer2013_lines(7, 2, 1))
    os.utime(path, ns=(1, 1))  # a new mtime even on coarse-clock filesystems
    assert len(fer.load(ctx).val) == 2
    assert DECODES["fer2013"] == before + 2


def test_a_corrupt_cache_entry_is_rebuilt_not_trusted(ctx):
    write_fer2013_csv(ctx.data_root, fer2013_lines(7, 1, 1))
    fer = create_dataset("fer2013")
    fer.load(ctx)
    entry = next((ctx.cache_dir / "datasets").glob("*.npz"))
    data = bytearray(entry.read_bytes())
    data[len(data) // 3] ^= 0xFF  # inside the images array: the zip CRC catches it
    entry.write_bytes(bytes(data))
    before = DECODES["fer2013"]
    splits = fer.load(ctx)
    assert DECODES["fer2013"] == before + 1
    assert np.array_equal(splits.train.images[3], pixels_of(3))
    entry.write_bytes(entry.read_bytes()[:100])  # truncated
    assert np.array_equal(fer.load(ctx).train.images[3], pixels_of(3))
    assert DECODES["fer2013"] == before + 2


def test_strict_load_still_fails_when_problems_come_from_the_cache(ctx):
    lenient = replace(ctx, skip_bad=True)
    write_csv_with_bad_rows(lenient)
    fer = create_dataset("fer2013")
    fer.load(lenient)
    with pytest.raises(DatasetFormatError, match="line 5: unknown label code 9"):
        fer.load(ctx)


def test_real_csv_sample(shared_data, ctx):
    (ctx.data_root / "fer2013").mkdir(parents=True)
    (ctx.data_root / "fer2013" / "fer2013.csv").symlink_to(
        shared_data / "fer2013-csv" / "fer2013.csv")
    splits = create_dataset("fer2013").load(ctx)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (280, 105, 105)
    assert set(splits.train.class_counts().values()) == {40}
    assert set(splits.test.class_counts().values()) == {15}


def test_real_folder_sample(shared_data, ctx):
    folder = ctx.data_root / "fer2013"
    folder.mkdir(parents=True)
    for part in ("train", "test"):
        (folder / part).symlink_to(shared_data / "fer2013-folder" / part)
    splits = create_dataset("fer2013").load(ctx)
    assert create_dataset("fer2013").locate(ctx) == "folder"
    assert (len(splits.train), len(splits.val), len(splits.test)) == (49, 7, 56)
    assert set(splits.test.class_counts().values()) == {8}
    assert splits.test.ids[0].startswith("test/angry/PrivateTest_")
