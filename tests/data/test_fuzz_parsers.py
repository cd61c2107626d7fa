"""Every label-file parser turns any bytes into data or the project's own error.

A dataset file can be truncated, saved in another encoding or edited by hand; the user must
then read which file (and line) is wrong, never a traceback from ``int()`` or a codec. The
property, for each parser: any byte string either parses, with malformed rows recorded in
:class:`Problems` (which ``enforce`` turns into :class:`DatasetFormatError`), or raises
:class:`DatasetFormatError` / :class:`DatasetNotFound`.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferbench import DatasetFormatError, DatasetNotFound, create_dataset
from ferbench.data import Problems, read_fer2013_csv
from ferbench.data.description import KEYS, read_description
from tests.datasets.csv_layouts import FER2013_HEADER, FERPLUS_HEADER, fer2013_line

FERPLUS = sys.modules[type(create_dataset("ferplus")).__module__]
RAFDB = sys.modules[type(create_dataset("rafdb")).__module__]
CKPLUS = sys.modules[type(create_dataset("ckplus")).__module__]

FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
OWN_ERRORS = (DatasetFormatError, DatasetNotFound)
TOKENS = st.sampled_from([b"0", b"7", b"255", b"256", b"1000", b"-1", b"1.5", b"\xc2\xb2",
                          "\u0663".encode(), b" ", b"\t", b",", b";", b'"', b"\n", b"\r\n", b"\r",
                          b"\x00", b"\xff", b"\xef\xbb\xbf", b"Training", b"PublicTest",
                          b"PrivateTest", b"train_1.jpg", b"test_2.jpg", b"../x", b"/etc/x",
                          b"9" * 30, b"e+00"])
TEXT = st.lists(TOKENS, max_size=40).map(b"".join) | st.binary(max_size=200)
"""Bytes built from the tokens the formats give meaning to, or arbitrary bytes."""


def lines(header: str) -> st.SearchStrategy[bytes]:
    """A file that starts with ``header`` (or a broken copy of it), then fuzzed lines."""
    first = st.sampled_from([header.encode(), b"\xef\xbb\xbf" + header.encode(),
                             header.encode()[:-1]])
    return st.builds(lambda head, body: head + b"\n" + body, first, TEXT) | TEXT


def parse(path: Path, data: bytes, parser) -> Problems:
    """Write ``data`` to ``path`` and parse it, allowing only the project's own errors."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    problems = Problems("fuzzed")
    with contextlib.suppress(*OWN_ERRORS):
        parser(path, problems)
    return problems


def mutated_fer2013_row(seed: int, position: int, inserted: bytes) -> bytes:
    row = fer2013_line(seed, seed % 7, "Training").encode()
    at = position % (len(row) + 1)
    return row[:at] + inserted + row[at + len(inserted):]


FER2013 = (lines(FER2013_HEADER)
           | st.builds(lambda row, tail: (FER2013_HEADER + "\n").encode() + row + tail,
                       st.builds(mutated_fer2013_row, st.integers(0, 50),
                                 st.integers(0, 10_000), TEXT), TEXT))


@FUZZ
@given(data=FER2013)
def test_any_bytes_as_fer2013_csv_load_or_raise_the_projects_error(tmp_path, data):
    def read(path, problems):
        table = read_fer2013_csv(path, problems)
        assert len(table.rows) == len(table.images) == len(table.codes) == len(table.usage)
        assert len(table.rows) + len(problems) == table.data_rows  # each row kept or reported

    parse(tmp_path / "fer2013.csv", data, read)


@FUZZ
@given(data=lines(FERPLUS_HEADER))
def test_any_bytes_as_fer2013new_csv_load_or_raise_the_projects_error(tmp_path, data):
    parse(tmp_path / "fer2013new.csv", data, FERPLUS.read_votes)


@FUZZ
@given(data=TEXT)
def test_any_bytes_as_a_ferplus_label_csv_load_or_raise_the_projects_error(tmp_path, data):
    parse(tmp_path / "FER2013Train" / "label.csv", data, FERPLUS.read_label_rows)


@FUZZ
@given(data=TEXT)
def test_any_bytes_as_the_rafdb_partition_list_load_or_raise_the_projects_error(tmp_path,
                                                                                 data):
    folder = tmp_path / "rafdb"
    parse(folder / RAFDB.PARTITION, data,
          lambda path, problems: RAFDB.decode_partition(folder, "aligned", "rafdb"))


@FUZZ
@given(data=lines("image,label"))
def test_any_bytes_as_a_rafdb_kaggle_label_csv_load_or_raise_the_projects_error(tmp_path,
                                                                                 data):
    parse(tmp_path / "rafdb" / "train_labels.csv", data, RAFDB._kaggle_rows)


@FUZZ
@given(data=TEXT)
def test_any_bytes_as_a_ckplus_emotion_file_load_or_raise_the_projects_error(tmp_path, data):
    parse(tmp_path / "S005_001_00000011_emotion.txt", data, CKPLUS._read_code)


TOML_VALUES = (st.text(max_size=12) | st.integers() | st.floats() | st.booleans()
               | st.sampled_from(["~nobody-here/x", "a\x00b", "../..", "/", "face", "drop"]))


def toml_line(key: str, value: object) -> str:
    """``key = value``; JSON's strings, numbers and booleans are TOML's too (NaN aside)."""
    literal = json.dumps(value) if not isinstance(value, float) or value == value else "nan"
    return f"{json.dumps(key)} = {literal.replace('Infinity', 'inf')}"


DESCRIPTION = st.builds(
    lambda entries, label_map: "\n".join(
        [toml_line(k, v) for k, v in entries.items()]
        + (["[label_map]", *(toml_line(k, v) for k, v in label_map.items())] if label_map
           else [])).encode(),
    st.dictionaries(st.sampled_from([*KEYS, "nmae"]).filter(lambda k: k != "label_map"),
                    TOML_VALUES, max_size=6),
    st.dictionaries(st.text(max_size=6), TOML_VALUES, max_size=3),
) | TEXT


@FUZZ
@given(data=DESCRIPTION)
def test_any_bytes_as_a_dataset_description_load_or_raise_the_projects_error(tmp_path, data):
    parse(tmp_path / "mine.toml", data, lambda path, problems: read_description(path))


def test_a_vote_file_that_is_not_utf8_is_refused_naming_its_line(tmp_path):
    path = tmp_path / "fer2013new.csv"
    path.write_bytes(b"\xef\xbb\xbf" + FERPLUS_HEADER.encode() + b"\nTraining,\xff\n")
    with pytest.raises(DatasetFormatError, match=r"fer2013new.csv line 2: not UTF-8 text"):
        FERPLUS.read_votes(path, Problems("ferplus"))


@pytest.mark.parametrize(("count", "message"), [
    ("\u00b2", "vote count '²' is not a non-negative integer"),
    ("9" * 30, f"vote count '{'9' * 30}' is too large"),
])
def test_a_vote_count_int_cannot_hold_is_a_problem_of_its_line(tmp_path, count, message):
    votes = ",".join([count] + ["1"] * 9)
    csv_file = tmp_path / "fer2013new.csv"
    csv_file.write_text(f"{FERPLUS_HEADER}\nTraining,fer0.png,{votes}\n")
    label_csv = tmp_path / "label.csv"
    label_csv.write_text(f"fer0.png,\"(0, 0, 48, 48)\",{votes}\n")
    for path, read in ((csv_file, FERPLUS.read_votes), (label_csv, FERPLUS.read_label_rows)):
        problems = Problems("ferplus")
        read(path, problems)
        assert problems.listed == [f"{path} line {2 if path == csv_file else 1}: {message}"]


def test_rafdb_label_files_that_are_not_utf8_are_refused_naming_their_line(tmp_path):
    folder = tmp_path / "rafdb"
    listing = folder / RAFDB.PARTITION
    listing.parent.mkdir(parents=True)
    listing.write_bytes(b"train_00001.jpg 5\ntrain_\xe9.jpg 1\n")
    with pytest.raises(DatasetFormatError, match=r"list_patition_label.txt line 2: not UTF-8"):
        RAFDB.decode_partition(folder, "aligned", "rafdb")
    kaggle = folder / "train_labels.csv"
    kaggle.write_bytes(b"\xff\xfeimage,label\n")
    with pytest.raises(DatasetFormatError, match=r"train_labels.csv line 1: not UTF-8"):
        RAFDB._kaggle_rows(kaggle, Problems("rafdb"))


def test_a_rafdb_code_of_superscript_digits_is_an_unknown_code(tmp_path):
    folder = tmp_path / "rafdb"
    listing = folder / RAFDB.PARTITION
    listing.parent.mkdir(parents=True)
    listing.write_text("train_00001.jpg \u00b2\n", encoding="utf-8")
    with pytest.raises(DatasetFormatError, match=r"line 1: unknown label code '²'"):
        RAFDB.decode_partition(folder, "aligned", "rafdb").problems.enforce(skip_bad=False)


@pytest.mark.parametrize(("line", "message"), [
    ('images = "faces\\u0000"', "key 'images' must be a folder path"),
    ('images = "~nobody-here/faces"', "key 'images' = '~nobody-here/faces'"),
    ('images = "faces"\nlabels = "a\\u0000.csv"', "key 'labels' must be a CSV file path"),
])
def test_a_description_path_the_system_cannot_use_is_refused_naming_its_key(tmp_path, line,
                                                                             message):
    toml = tmp_path / "mine.toml"
    toml.write_text(f'name = "mine"\n{line}\n', encoding="utf-8")
    with pytest.raises(DatasetFormatError, match=message):
        read_description(toml)
