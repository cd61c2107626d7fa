"""Datasets described in a TOML file: keys, labels, validation, splits, cache, CLI and run."""

from __future__ import annotations

import numpy as np
import pytest

from ferbench import DatasetFormatError, emotion_index
from ferbench.cli import main
from ferbench.core.labels import SYNONYMS
from ferbench.core.registry import DATASETS
from ferbench.data import cache
from ferbench.data.described import DESCRIBED_BY, create_dataset, resolve_dataset
from ferbench.data.faces import crops
from ferbench.data.inventory import skipped_note
from ferbench.results.store import ResultStore
from tests.datasets.data_context import context
from tests.datasets.images import write_image

CSV_TOML = """name = "mine"
images = "images"
labels = "labels.csv"
image_column = "file"
label_column = "emotion"
"""


@pytest.fixture(autouse=True)
def forget_described():
    """Each test registers its own ``mine``: drop every described dataset afterwards."""
    yield
    for entry in DATASETS.entries():
        if DESCRIBED_BY in entry.details:
            DATASETS.unregister(entry.name)


def write_toml(folder, text, name="mine.toml"):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def write_csv(folder, header, rows, name="labels.csv"):
    lines = [",".join(header), *(",".join(row) for row in rows)]
    (folder / name).write_text("\n".join(lines) + "\n")


def write_faces(images, names, shape=(40, 40, 3)):
    for number, name in enumerate(names):
        write_image(images / name, shape, seed=number)


def csv_dataset(tmp_path, rows, header=("file", "emotion"), extra_toml=""):
    """A CSV-described dataset whose listed images all exist, unless a test removes them."""
    write_faces(tmp_path / "images", sorted({row[0] for row in rows}))
    write_csv(tmp_path, header, rows)
    return write_toml(tmp_path, CSV_TOML + extra_toml)


def load(toml, tmp_path, **overrides):
    return create_dataset(str(toml)).load(context(tmp_path, **overrides))


def test_labels_match_canonical_names_and_synonyms_case_insensitively():
    for synonym, canonical in SYNONYMS.items():
        assert emotion_index(synonym.upper()) == emotion_index(canonical)
    for name in ("Angry", "HAPPY", " sad ", "Surprised", "Disgusted", "fearful", "scared",
                 "afraid", "Neutral", "contempt", "Contemptuous", "Happiness"):
        emotion_index(name)


def test_class_folders_with_synonyms_case_and_a_dropped_class(tmp_path):
    for folder in ("Happy", "sad", "ANGRY", "joyish"):
        write_faces(tmp_path / "images" / folder, [f"{folder}{i}.png" for i in range(10)])
    toml = write_toml(tmp_path, 'name = "mine"\nimages = "images"\ntest_fraction = 0.3\n'
                                '[label_map]\nJoyish = "drop"\n')
    dataset = create_dataset(str(toml))
    assert dataset.name == "mine" and dataset.embedded is False
    assert dataset.locate(context(tmp_path)) == "folders-none"
    splits = dataset.load(context(tmp_path))
    assert (len(splits.train), len(splits.val), len(splits.test)) == (18, 3, 9)
    labels = np.concatenate([faces.labels for faces in splits.parts().values()])
    assert sorted(set(labels)) == sorted(emotion_index(n) for n in ("anger", "happiness", "sad"))
    assert splits.train.images.shape[1:] == crops.SHAPE
    assert splits.test.provenance["dropped"] == {"joyish": 10}
    assert "30% of each class" in splits.test.provenance["split"]
    assert str(splits.train.ids[0]).split("/")[0] in ("Happy", "sad", "ANGRY")


def test_csv_with_label_map_synonyms_and_subjects_gives_subject_disjoint_splits(tmp_path):
    rows = [(f"s{s}/{e}{i}.jpg", emotion, f"subj{s}")
            for s in range(10) for i, (e, emotion) in
            enumerate([("h", "Joy"), ("a", "angry"), ("n", "NEUTRAL"), ("c", "meh")])]
    toml = csv_dataset(tmp_path, rows, ("file", "emotion", "who"),
                       'subject_column = "who"\n[label_map]\njoy = "happiness"\nMEH = "drop"\n')
    splits = load(toml, tmp_path)
    train_subjects = set(splits.train.subjects) | set(splits.val.subjects)
    assert train_subjects.isdisjoint(set(splits.test.subjects))
    assert len(set(splits.test.subjects)) == 2  # 20% of 10 subjects, whole
    assert sum(len(faces) for faces in splits.parts().values()) == 30
    assert splits.test.provenance["dropped"] == {"meh": 10}
    assert set(splits.test.class_counts()) == {emotion_index(n) for n in ("happy", "anger",
                                                                          "neutral")}
    assert "s0/h0.jpg" in set(splits.train.ids) | set(splits.val.ids) | set(splits.test.ids)


def test_split_column_decides_train_val_and_test(tmp_path):
    splits_of = ["Train"] * 6 + ["VALIDATION"] * 2 + ["test"] * 4
    rows = [(f"{i}.png", ("happy", "sad")[i % 2], split) for i, split in enumerate(splits_of)]
    toml = csv_dataset(tmp_path, rows, ("file", "emotion", "part"), 'split_column = "part"\n')
    splits = load(toml, tmp_path)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (6, 2, 4)
    assert sorted(splits.test.ids) == ["10.png", "11.png", "8.png", "9.png"]
    assert splits.test.provenance["split"].startswith("column 'part'")


def test_split_column_without_val_rows_carves_val_from_train(tmp_path):
    rows = [(f"{i}.png", "happy", "train" if i < 10 else "test") for i in range(12)]
    toml = csv_dataset(tmp_path, rows, ("file", "emotion", "part"),
                       'split_column = "part"\nval_fraction = 0.2\n')
    splits = load(toml, tmp_path)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (8, 2, 2)


def test_every_bad_row_is_reported_and_skip_bad_keeps_the_good_ones(tmp_path):
    rows = [(f"good{i}.png", "happy" if i % 2 else "sad", "train" if i < 6 else "test")
            for i in range(8)]
    rows += [("missing.png", "happy", "train"), ("broken.png", "happy", "train"),
             ("odd1.png", "bored", "train"), ("odd2.png", "bored", "test"),
             ("twice.png", "happy", "train"), ("twice.png", "sad", "train"),
             ("where.png", "sad", "holdout")]
    toml = csv_dataset(tmp_path, rows, ("file", "emotion", "part"), 'split_column = "part"\n')
    (tmp_path / "images" / "missing.png").unlink()
    (tmp_path / "images" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    write_faces(tmp_path / "images" / "extra", ["a.png", "b.jpg"])
    with pytest.raises(DatasetFormatError) as raised:
        load(toml, tmp_path)
    message, labels = str(raised.value), tmp_path / "labels.csv"
    assert "dataset 'mine': 6 problem(s)" in message
    assert f"{labels} line 10: label without its image: {tmp_path / 'images' / 'missing.png'}" \
        in message
    assert f"{tmp_path / 'images' / 'broken.png'}: unreadable or truncated image" in message
    assert f"{labels} lines 12, 13: unknown label 'bored'" in message
    assert "[label_map]" in message
    assert (f"{labels} line 15: image 'twice.png' is listed twice with different labels: "
            "'happy' at line 14, 'sad' here") in message
    assert f"{labels} line 16: split 'holdout' in column 'part'" in message
    assert (f"{tmp_path / 'images'}: 2 image file(s) that no row of {labels} labels "
            "(extra/a.png, extra/b.jpg)") in message

    splits = load(toml, tmp_path, skip_bad=True)
    assert sorted(splits.train.ids) == [f"good{i}.png" for i in range(6)]
    assert splits.train.provenance["skipped"] == 9  # 1+1+2+2 rows, 1 split, 2 unlabelled
    by_reason = {"image … is listed twice with different labels": 2, "unknown label …": 2,
                 "… image file(s) that no row of … labels": 2, "label without its image": 1,
                 "split … in column … is none of train, val": 1,
                 "unreadable or truncated image": 1}
    assert splits.train.provenance["skipped_by_reason"] == by_reason
    assert splits.train.provenance["skipped_examples"]["unknown label …"] == [
        f"{labels} lines 12, 13"]
    cached = load(toml, tmp_path, skip_bad=True).train.provenance
    assert cached["skipped_by_reason"] == by_reason
    note = skipped_note(cached)
    assert note.startswith("9 bad samples skipped: image … is listed twice with different "
                           f"labels 2 (e.g. {labels} line 15); unknown label … 2")


def test_an_image_listed_twice_with_one_label_keeps_its_first_row_under_skip_bad(tmp_path):
    rows = [(f"{i}.png", "happy" if i % 2 else "sad") for i in range(10)] + [("3.png", "Happy")]
    toml = csv_dataset(tmp_path, rows)
    with pytest.raises(DatasetFormatError, match="line 12: image '3.png' is listed twice "
                                                 r"\(first at line 5\)"):
        load(toml, tmp_path)
    splits = load(toml, tmp_path, skip_bad=True)
    assert sum(len(faces) for faces in splits.parts().values()) == 10


def test_unknown_class_folder_is_named(tmp_path):
    for folder in ("happy", "sad", "bored"):
        write_faces(tmp_path / "images" / folder, [f"{i}.png" for i in range(4)])
    toml = write_toml(tmp_path, 'name = "mine"\nimages = "images"\n')
    with pytest.raises(DatasetFormatError, match="images/bored: unknown label 'bored'"):
        load(toml, tmp_path)
    assert load(toml, tmp_path, skip_bad=True).train.provenance["skipped"] == 4


@pytest.mark.parametrize(("text", "message"), [
    ('name = "mine"\nimages = "i"\nlabel_colum = "x"\n',
     "unknown key 'label_colum'; did you mean 'label_column'? Allowed keys: name, images"),
    ('images = "i"\n', "missing key 'name'"),
    ('name = "mine"\n', "missing key 'images', a folder path"),
    ('name = "mine"\nimages = 3\n', "key 'images' must be a folder path"),
    ('name = "my data"\nimages = "i"\n', "key 'name' must be a name of letters"),
    ('name = "mine"\nimages = "i"\ncrop = "align"\n', "key 'crop' must be one of 'none', "
                                                        "'detect', got 'align'"),
    ('name = "mine"\nimages = "i"\ntest_fraction = 1.5\n',
     "key 'test_fraction' must be a number between 0 and 1 (exclusive), got 1.5"),
    ('name = "mine"\nimages = "i"\ntest_fraction = 0\n', "key 'test_fraction' must be"),
    ('name = "mine"\nimages = "i"\ntest_fraction = "0.2"\n', "key 'test_fraction' must be"),
    ('name = "mine"\nimages = "i"\nsplit_column = "s"\n',
     "key 'split_column' needs a labels CSV"),
    ('name = "mine"\nimages = "i"\nlabel_map = 3\n', "key 'label_map' must be a table"),
    ('name = "mine"\nimages = "i"\n[label_map]\njoy = "joyous"\n',
     "[label_map] 'joy' = 'joyous' is not an emotion; use one of anger"),
    ('name = "mine"\nimages = "i"\n[label_map]\njoy = 1\n',
     "[label_map] 'joy' must map to an emotion name or \"drop\""),
    ('name = "mine\nimages = "i"\n', "not valid TOML"),
])
def test_a_bad_description_names_the_file_the_key_and_what_is_allowed(tmp_path, text, message):
    toml = write_toml(tmp_path, text)
    with pytest.raises(DatasetFormatError) as raised:
        resolve_dataset(str(toml))
    assert str(raised.value).startswith(f"{toml}: ")
    assert message in str(raised.value)


def test_a_labels_csv_without_a_named_column_names_the_key_and_the_columns(tmp_path):
    toml = csv_dataset(tmp_path, [("a.png", "happy")], header=("file", "label"))
    with pytest.raises(DatasetFormatError, match=f"{tmp_path / 'labels.csv'} has no column "
                                                 f"'emotion' \\(key 'label_column' in {toml}\\); "
                                                 "its columns are: file, label"):
        load(toml, tmp_path)


def test_a_labels_csv_that_is_not_utf8_is_named(tmp_path):
    toml = csv_dataset(tmp_path, [("a.png", "happy")])
    (tmp_path / "labels.csv").write_bytes("file,emotion\na.png,fr\xf6hlich\n".encode("latin-1"))
    with pytest.raises(DatasetFormatError, match=f"{tmp_path / 'labels.csv'}: not UTF-8 text"):
        load(toml, tmp_path)


def test_missing_folders_and_name_clashes_are_named(tmp_path):
    toml = write_toml(tmp_path, 'name = "mine"\nimages = "nowhere"\n')
    with pytest.raises(FileNotFoundError, match=f"described by {toml}: the images folder "
                                                f"{tmp_path / 'nowhere'}/ not found"):
        create_dataset(str(toml)).locate(context(tmp_path))
    assert resolve_dataset(str(toml)) == "mine"  # the same file again is fine
    other = write_toml(tmp_path / "other", 'name = "mine"\nimages = "x"\n')
    with pytest.raises(DatasetFormatError, match=f"already the name of a dataset \\({toml}\\)"):
        resolve_dataset(str(other))
    builtin = write_toml(tmp_path, 'name = "fer2013"\nimages = "x"\n', name="f.toml")
    with pytest.raises(DatasetFormatError, match="'fer2013' is already the name of a dataset"):
        resolve_dataset(str(builtin))
    with pytest.raises(FileNotFoundError, match="dataset description .*absent.toml not found"):
        resolve_dataset(str(tmp_path / "absent.toml"))


def test_paths_resolve_against_the_toml_folder_not_the_working_directory(tmp_path, monkeypatch):
    write_faces(tmp_path / "data" / "faces" / "happy", [f"{i}.png" for i in range(5)])
    write_faces(tmp_path / "data" / "faces" / "sad", [f"{i}.png" for i in range(5)])
    toml = write_toml(tmp_path / "conf", 'name = "mine"\nimages = "../data/faces"\n')
    monkeypatch.chdir(tmp_path / "data")
    splits = load("../conf/mine.toml", tmp_path)
    assert sum(len(faces) for faces in splits.parts().values()) == 10
    assert splits.train.provenance["source"] == str(toml)


def test_decoding_is_cached_until_the_toml_the_csv_or_an_image_changes(tmp_path):
    rows = [(f"{i}.png", ("happy", "sad")[i % 2]) for i in range(10)]
    toml = csv_dataset(tmp_path, rows)
    decodes = lambda: cache.DECODES["mine"]  # noqa: E731
    before = decodes()
    first = load(toml, tmp_path)
    assert decodes() == before + 1
    second = load(toml, tmp_path, seed=1)  # a new data seed re-splits without decoding
    assert decodes() == before + 1
    assert not np.array_equal(first.test.ids, second.test.ids)
    write_toml(tmp_path, CSV_TOML + "test_fraction = 0.3\n")
    load(toml, tmp_path)
    assert decodes() == before + 2
    write_image(tmp_path / "images" / "3.png", (40, 40, 3), seed=99)
    load(toml, tmp_path)
    assert decodes() == before + 3


def test_many_images_are_prepared_in_worker_processes_identically(tmp_path, monkeypatch):
    paths = [write_image(tmp_path / f"{i}.png", (30 + i, 40, 3), seed=i) for i in range(6)]
    serial = list(crops.prepare_faces(paths, "none", "test"))
    monkeypatch.setenv("FERBENCH_JOBS", "2")
    monkeypatch.setitem(crops.PER_WORKER, "none", 2)
    parallel = list(crops.prepare_faces(paths, "none", "test"))
    assert all(np.array_equal(a, b) for a, b in zip(serial, parallel))
    assert serial[0].shape == crops.SHAPE


def test_ferbench_datasets_checks_a_toml_file_and_prints_its_counts(tmp_path, capsys):
    rows = [(f"{i}.png", ("happy", "sad")[i % 2]) for i in range(20)]
    toml = csv_dataset(tmp_path, rows)
    assert main(["datasets", str(toml), "--cache-dir", str(tmp_path / "cache")]) == 0
    out = capsys.readouterr().out
    assert "| mine      | found    | csv-none  |      14 |     2 |      4 |      20 |" in out
    assert "### mine (csv-none)" in out
    assert "| test    |           2 |         2 |       4 |" in out
    write_csv(tmp_path, ("file", "emotion"), [*rows, ("20.png", "bored")])
    assert main(["datasets", str(toml), "--cache-dir", str(tmp_path / "cache")]) == 1
    out = capsys.readouterr().out
    assert "| mine      | unreadable | csv-none" in out and "unknown label 'bored'" in out


def test_run_on_a_toml_dataset_reports_it_by_its_name(tmp_path, capsys):
    for folder in ("happy", "sad", "angry"):
        write_faces(tmp_path / "images" / folder, [f"{i}.png" for i in range(8)])
    toml = write_toml(tmp_path, 'name = "mine"\nimages = "images"\n')
    code = main(["run", "--methods", "svm", "--datasets", str(toml), "--protocol", "within",
                 "--out", str(tmp_path / "runs" / "r"), "--reports", str(tmp_path / "reports"),
                 "--cache-dir", str(tmp_path / "cache")])
    assert code == 0, capsys.readouterr().err
    records = ResultStore(tmp_path / "runs" / "r").records()
    assert {(r["method"], r["train"], r["test"]) for r in records} == {("svm", "mine", "mine")}
    report = (tmp_path / "reports" / "r" / "README.md").read_text()
    assert "| svm" in report and "mine" in report and str(toml) in report


def write_face_photos(images, shared_data, photo_with_face):
    """Two happy and two sad photos, each with a real CK+ face pasted somewhere else."""
    for name, offset in [("happy/a.jpg", (100, 80)), ("happy/b.png", (20, 150)),
                         ("sad/c.jpg", (150, 20)), ("sad/d.png", (60, 60))]:
        (images / name).parent.mkdir(parents=True, exist_ok=True)
        photo_with_face(shared_data, offset=offset).save(images / name)


def test_detect_crops_the_face_of_each_photo_and_names_a_photo_without_one(
        tmp_path, shared_data, photo_with_face):
    pytest.importorskip("dlib", reason="crop = 'detect' needs the landmarks extra (dlib-bin)")
    write_face_photos(tmp_path / "images", shared_data, photo_with_face)
    write_image(tmp_path / "images" / "sad" / "blank.png", (120, 120, 3))
    toml = write_toml(tmp_path, 'name = "mine"\nimages = "images"\ncrop = "detect"\n'
                                'test_fraction = 0.5\n')
    with pytest.raises(DatasetFormatError, match="images/sad/blank.png: no face found"):
        load(toml, tmp_path)
    splits = load(toml, tmp_path, skip_bad=True)
    ids = sorted([*splits.train.ids, *splits.test.ids])
    assert ids == ["happy/a.jpg", "happy/b.png", "sad/c.jpg", "sad/d.png"]
    faces = splits.train
    assert faces.images.shape[1:] == crops.SHAPE and faces.provenance["skipped"] == 1
    assert "eye-aligned as `ferbench predict`" in faces.provenance["crop"]
    assert faces.images.std() > 20  # a face with contrast, not the flat noise around it


def test_predict_prepares_a_photo_s_face_bit_for_bit_as_training_on_detect_did(
        tmp_path, shared_data, photo_with_face):
    """crop = "detect" trains on what `ferbench predict` will later feed the model."""
    pytest.importorskip("dlib", reason="crop = 'detect' needs the landmarks extra (dlib-bin)")
    from ferbench import features
    from ferbench.core.method import InputSpec
    from ferbench.data.faces.photos import find_faces, read_photo
    from ferbench.predict.crops import face_set
    write_face_photos(tmp_path / "images", shared_data, photo_with_face)
    toml = write_toml(tmp_path, 'name = "mine"\nimages = "images"\ncrop = "detect"\n'
                                'test_fraction = 0.5\n')
    faces = load(toml, tmp_path).train
    crop = find_faces(read_photo(tmp_path / "images" / str(faces.ids[0])))[0].crop
    for spec in (InputSpec(size=(48, 48), color="gray"), InputSpec(size=(64, 64), color="rgb")):
        trained_on = features.view(faces, spec).images[0]
        predicted_on = face_set([crop], spec, face_shape=faces.images.shape[1:]).images[0]
        assert np.array_equal(trained_on, predicted_on)


@pytest.mark.parametrize("cell", ["../outside.png", "/etc/hostname", "sub/../../outside.png",
                                  "C:\\Windows\\x.png", "..\\outside.png"])
def test_a_labels_csv_row_cannot_name_an_image_outside_the_images_folder(tmp_path, cell):
    rows = [(f"{i}.png", "happy" if i % 2 else "sad") for i in range(8)] + [(cell, "happy")]
    write_image(tmp_path / "outside.png", (40, 40, 3), seed=9)
    toml = csv_dataset(tmp_path, [r for r in rows if r[0] != cell])
    with open(tmp_path / "labels.csv", "a") as handle:
        handle.write(f'"{cell}",happy\n')
    with pytest.raises(DatasetFormatError) as raised:
        load(toml, tmp_path)
    assert (f"{tmp_path / 'labels.csv'} line 10: image path {cell!r} is absolute or leaves "
            f"the images folder {tmp_path / 'images'}") in str(raised.value)
    splits = load(toml, tmp_path, skip_bad=True)
    assert splits.train.provenance["skipped_by_reason"] == {
        "image path … is absolute or leaves the images folder …": 1}
