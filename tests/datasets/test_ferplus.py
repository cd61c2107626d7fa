"""The ferplus plugin: FER+ votes joined to fer2013.csv rows, on fixtures and the real labels."""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import pytest

from ferbench import DatasetFormatError, DatasetNotFound, create_dataset, emotion_index
from ferbench.data import Problems
from tests.datasets.csv_layouts import (
    fer2013_line,
    fer2013_lines,
    pixels_of,
    write_fer2013_csv,
    write_ferplus_csv,
)

#          neutral happy surprise sad anger disgust fear contempt unknown NF
VOTES = [
    ("Training", [6, 2, 0, 0, 0, 0, 0, 0, 2, 0], "neutral"),  # clear majority
    ("Training", [1, 0, 0, 0, 0, 0, 0, 5, 0, 0], "contempt"),  # the 1 vote is an outlier
    ("Training", [4, 4, 0, 0, 0, 0, 0, 0, 2, 0], None),  # tie: no majority, no plurality
    ("Training", [0, 0, 0, 0, 0, 0, 0, 0, 7, 3], None),  # unknown wins
    ("PublicTest", [0, 0, 0, 0, 0, 0, 0, 0, 0, 10], None),  # not a face
    ("PublicTest", [0, 0, 5, 0, 4, 0, 1, 0, 0, 0], "surprise"),  # a majority once 1s are dropped
    ("PrivateTest", [0, 0, 0, 4, 3, 3, 0, 0, 0, 0], "plurality:sadness"),  # 4 of 10: plurality only
]


def write_pair(ctx, votes=VOTES):
    """fer2013.csv with one row per vote row (usages matching) and the FER+ file."""
    usages = [usage for usage, _, _ in votes]
    counts = {u: usages.count(u) for u in ("Training", "PublicTest", "PrivateTest")}
    write_fer2013_csv(ctx.data_root, fer2013_lines(counts["Training"], counts["PublicTest"],
                                                   counts["PrivateTest"]))
    rows = [(usage, f"fer{row:07d}.png" if label else "", v)
            for row, (usage, v, label) in enumerate(votes)]
    return write_ferplus_csv(ctx.data_root, rows)


def expected(vote):
    labels = {}
    for row, (_, _, label) in enumerate(VOTES):
        if label is not None and (vote == "plurality" or not label.startswith("plurality:")):
            labels[f"row{row}"] = emotion_index(label.removeprefix("plurality:"))
    return labels


@pytest.mark.parametrize("vote", ["majority", "plurality"])
def test_votes_become_labels_and_splits_follow_usage(ctx, vote):
    write_pair(ctx)
    splits = create_dataset("ferplus", vote=vote).load(ctx)
    got = {i: int(label) for faces in splits.parts().values()
           for i, label in zip(faces.ids, faces.labels)}
    assert got == expected(vote)
    assert splits.train.ids.tolist() == ["row0", "row1"]
    assert splits.val.ids.tolist() == ["row5"]
    assert np.array_equal(splits.val.images[0], pixels_of(5))
    assert splits.train.provenance["vote"] == vote
    assert splits.train.provenance["excluded_by_vote"] == len(VOTES) - len(expected(vote))


def test_row_count_mismatch_is_a_clear_error(ctx):
    write_pair(ctx)
    write_fer2013_csv(ctx.data_root, fer2013_lines(4, 2, 0))
    with pytest.raises(DatasetFormatError, match=r"fer2013new\.csv has 7 data rows but .*"
                                                 r"fer2013\.csv has 6"):
        create_dataset("ferplus").load(ctx)


def test_malformed_rows_and_usage_disagreements_are_problems(ctx):
    labels_file = write_pair(ctx)
    text = labels_file.read_text().splitlines()
    text[2] = text[2] + ",0"  # line 3 = row 1
    text[6] = text[6].replace("PublicTest", "PrivateTest", 1)  # line 7 = row 5
    text[7] = text[7].replace(",4,", ",four,", 1)
    labels_file.write_text("\n".join(text) + "\n")
    with pytest.raises(DatasetFormatError) as raised:
        create_dataset("ferplus").load(ctx)
    message = str(raised.value)
    assert f"{labels_file} line 3: expected 12 columns, found 13" in message
    assert f"{labels_file} line 7: Usage 'PrivateTest' differs from" in message
    assert f"{labels_file} line 8: vote count 'four' is not a non-negative integer" in message
    splits = create_dataset("ferplus").load(replace(ctx, skip_bad=True))
    assert splits.train.provenance["skipped"] == 3
    assert [i for faces in splits.parts().values() for i in faces.ids] == ["row0"]


def test_missing_files_name_both_paths(ctx):
    with pytest.raises(DatasetNotFound) as raised:
        create_dataset("ferplus").locate(ctx)
    message = str(raised.value)
    assert str(ctx.data_root / "ferplus" / "fer2013new.csv") in message
    assert str(ctx.data_root / "fer2013" / "fer2013.csv") in message
    write_ferplus_csv(ctx.data_root, [])
    with pytest.raises(DatasetNotFound, match=r"expected \S*fer2013/fer2013\.csv \(FER\+"):
        create_dataset("ferplus").locate(ctx)


def test_unknown_vote_mode_is_rejected():
    with pytest.raises(ValueError, match="vote must be one of majority, plurality"):
        create_dataset("ferplus", vote="mean")


def test_real_fer2013new_votes(shared_data):
    """The real FER+ file parses cleanly; the vote counts are those datasets/README.md cites."""
    plugin = sys.modules[type(create_dataset("ferplus")).__module__]
    problems = Problems("ferplus")
    table = plugin.read_votes(shared_data / "ferplus" / "fer2013new.csv", problems)
    assert problems.count == 0 and len(table.valid) == 35_887
    counts = {}
    for vote in ("majority", "plurality"):
        _, decided = plugin.vote_labels(table.votes, vote)
        counts[vote] = {usage: int((decided & (table.usage == usage)).sum())
                        for usage in ("Training", "PublicTest", "PrivateTest")}
    assert counts["majority"] == {"Training": 25_060, "PublicTest": 3_199, "PrivateTest": 3_153}
    assert counts["plurality"] == {"Training": 26_940, "PublicTest": 3_396, "PrivateTest": 3_376}


# FER+ vote columns in the order of FER2013's codes 0..6 (anger … neutral).
FERPLUS_COLUMN_OF_CODE = [4, 5, 6, 1, 3, 2, 0]


def write_consistent_pair(ctx, rows=140, relabelled=0.25, seed=0):
    """A pairing like the real one: FER+ relabels a minority of FER2013's faces."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 7, size=rows)
    usages = ["Training"] * (rows - 40) + ["PublicTest"] * 20 + ["PrivateTest"] * 20
    lines = [fer2013_line(row, int(code), usage)
             for row, (code, usage) in enumerate(zip(codes, usages))]
    write_fer2013_csv(ctx.data_root, lines)
    votes = []
    for row, (code, usage) in enumerate(zip(codes, usages)):
        counts = [0] * 10
        winner = rng.integers(0, 7) if rng.random() < relabelled else code
        counts[FERPLUS_COLUMN_OF_CODE[winner]] = 8
        counts[8] = 2
        votes.append((usage, f"fer{row:07d}.png", counts))
    write_ferplus_csv(ctx.data_root, votes)
    return lines


def test_a_consistent_pairing_loads_and_records_its_agreement(ctx):
    write_consistent_pair(ctx)
    train = create_dataset("ferplus").load(ctx).train
    facts = train.provenance
    assert facts["pairing_checked"] is True and facts["pairing_rows"] == 140
    assert facts["pairing_agreement"] > facts["pairing_chance"] + 0.5


def test_a_reordered_fer2013_csv_is_refused_with_the_fix(ctx):
    lines = write_consistent_pair(ctx)
    training = lines[:100]
    shuffled = [training[i] for i in np.random.default_rng(1).permutation(100)] + lines[100:]
    images_file = write_fer2013_csv(ctx.data_root, shuffled)
    with pytest.raises(DatasetFormatError) as raised:
        create_dataset("ferplus").load(ctx)
    message = str(raised.value)
    assert f"{images_file} and {ctx.data_root / 'ferplus' / 'fer2013new.csv'}" in message
    assert "do not belong together row by row" in message
    assert "original file in its original row order" in message
    assert "ferplus.check_pairing=false" in message
    unchecked = create_dataset("ferplus", check_pairing=False).load(ctx).train.provenance
    assert unchecked["pairing_checked"] is False and unchecked["pairing_agreement"] < 0.5

