"""The ferplus plugin's image-folder layout: FER2013{Train,Valid,Test}/ with a label.csv each."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from ferbench import DatasetFormatError, DatasetNotFound, create_dataset, emotion_index
from tests.datasets.csv_layouts import write_ferplus_csv
from tests.datasets.images import write_image

#          neutral happy surprise sad anger disgust fear contempt unknown NF
MAJORITY = {"neutral": [8, 2, 0, 0, 0, 0, 0, 0, 0, 0], "happiness": [1, 9, 0, 0, 0, 0, 0, 0, 0, 0],
            "contempt": [1, 0, 0, 0, 0, 0, 0, 5, 0, 0]}
TIE = [4, 4, 0, 0, 0, 0, 0, 0, 2, 0]
NOT_A_FACE = [0, 0, 0, 0, 0, 0, 0, 0, 0, 10]


def write_split(root: Path, name: str, rows: list[tuple[str, list[int] | str]],
                images: list[str] | None = None) -> Path:
    """``root/ferplus/<name>/`` with 48x48 gray PNGs and a header-less label.csv."""
    folder = root / "ferplus" / name
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for number, (image, votes) in enumerate(rows):
        counts = votes if isinstance(votes, str) else ",".join(map(str, votes))
        lines.append(f'{image},"(0, 0, 48, 48)",{counts}')
        if images is None and "/" not in image and not image.startswith(".."):
            write_image(folder / image, (48, 48), seed=number)
    for image in images or []:
        write_image(folder / image, (48, 48), seed=7)
    (folder / "label.csv").write_text("\n".join(lines) + "\n")
    return folder


def write_folders(root: Path) -> None:
    write_split(root, "FER2013Train", [(f"fer{i:07d}.png", MAJORITY[c]) for i, c in
                                       enumerate(["neutral", "happiness", "contempt"] * 2)]
                + [("fer0000090.png", TIE), ("fer0000091.png", NOT_A_FACE)])
    write_split(root, "FER2013Valid", [("fer0000100.png", MAJORITY["happiness"])])
    write_split(root, "FER2013Test", [("fer0000200.png", MAJORITY["neutral"]),
                                      ("fer0000201.png", MAJORITY["contempt"])])


def test_folders_load_with_majority_labels_and_their_own_splits(ctx):
    write_folders(ctx.data_root)
    plugin = create_dataset("ferplus")
    assert plugin.locate(ctx) == "folders"
    splits = plugin.load(ctx)
    assert [len(splits.train), len(splits.val), len(splits.test)] == [6, 1, 2]
    assert splits.train.images.shape[1:] == (48, 48)
    assert dict(zip(splits.test.ids, splits.test.labels.tolist())) == {
        "FER2013Test/fer0000200.png": emotion_index("neutral"),
        "FER2013Test/fer0000201.png": emotion_index("contempt")}
    assert splits.train.provenance["excluded_by_vote"] == 2
    assert splits.train.provenance["variant"] == "folders"


def test_every_bad_row_and_file_of_a_split_folder_is_named(ctx):
    write_folders(ctx.data_root)
    train = ctx.data_root / "ferplus" / "FER2013Train"
    with open(train / "label.csv", "a") as handle:
        handle.write('fer0000300.png,"(0, 0, 48, 48)",1,2\n')
        handle.write('fer0000301.png,"(0, 0, 48, 48)",8,x,0,0,0,0,0,0,0,0\n')
        handle.write('fer0000000.png,"(0, 0, 48, 48)",8,2,0,0,0,0,0,0,0,0\n')
        handle.write('gone.png,"(0, 0, 48, 48)",8,2,0,0,0,0,0,0,0,0\n')
        handle.write('../../escape.png,"(0, 0, 48, 48)",8,2,0,0,0,0,0,0,0,0\n')
    write_image(train / "stray.png", (48, 48))
    write_image(train / "fer0000002.png", (40, 40))
    with pytest.raises(DatasetFormatError) as raised:
        create_dataset("ferplus").load(ctx)
    message, labels = str(raised.value), train / "label.csv"
    assert f"{labels} line 9: expected 12 columns" in message
    assert f"{labels} line 10: vote count 'x' is not a non-negative integer" in message
    assert f"{labels} line 11: image 'fer0000000.png' is listed twice (first at line 1)" \
        in message
    assert f"{labels} line 12: label without its image: {train / 'gone.png'} not found" in message
    assert f"{labels} line 13: image path '../../escape.png' is absolute or leaves" in message
    assert f"{train / 'fer0000002.png'}: expected a 48x48 image, found 40x40" in message
    assert f"{train}: 1 image file(s) that no row of {labels} labels (stray.png)" in message
    splits = create_dataset("ferplus").load(replace(ctx, skip_bad=True))
    assert len(splits.train) == 5
    assert splits.train.provenance["skipped_by_reason"]["label without its image"] == 1


def test_a_missing_split_folder_is_named_and_both_layouts_are_refused(ctx):
    write_folders(ctx.data_root)
    shutil.rmtree(ctx.data_root / "ferplus" / "FER2013Valid")
    with pytest.raises(DatasetNotFound, match=r"FER2013Valid/label\.csv to complete the "
                                              r"folders layout"):
        create_dataset("ferplus").locate(ctx)
    write_folders(ctx.data_root)
    write_ferplus_csv(ctx.data_root, [])
    with pytest.raises(DatasetFormatError, match="holds 2 layouts"):
        create_dataset("ferplus").locate(ctx)


def test_nothing_there_names_both_layouts(ctx):
    with pytest.raises(DatasetNotFound) as raised:
        create_dataset("ferplus").locate(ctx)
    assert "FER2013Train/label.csv" in str(raised.value)
    assert "fer2013/fer2013.csv" in str(raised.value)


def test_real_ferplus_folders_sample(shared_data, ctx):
    ctx.data_root.mkdir(parents=True, exist_ok=True)
    (ctx.data_root / "ferplus").symlink_to(shared_data / "ferplus-folders")
    splits = create_dataset("ferplus").load(ctx)
    assert [len(splits.train), len(splits.val), len(splits.test)] == [54, 17, 18]
    assert splits.train.provenance["excluded_by_vote"] == 11  # of the 100 rows
    assert splits.train.images.shape[1:] == (48, 48)
