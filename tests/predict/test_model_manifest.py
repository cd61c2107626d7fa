"""A model folder's manifest is checked as a whole before any of its files is read."""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferbench import ModelFileError
from ferbench.predict.choice import ModelChoiceError, model_path
from ferbench.predict.saved import FORMAT, MANIFEST, VERSION, read_manifest

WEIGHTS = b'{"w": [1, 2, 3]}'


def valid_manifest() -> dict:
    return {
        "format": FORMAT, "version": VERSION, "method": "svm", "params": {"C": 10.0},
        "classes": ["anger", "happiness"],
        "input": {"size": [48, 48], "color": "gray", "features": [{"name": "hog", "params": {}}]},
        "training": {"dataset": "toy-a", "face_shape": [48, 48]},
        "files": {"weights.json": hashlib.sha256(WEIGHTS).hexdigest()},
    }


def model_folder(root: Path, manifest: dict | bytes) -> Path:
    folder = root / "model"
    folder.mkdir(exist_ok=True)
    (folder / "weights.json").write_bytes(WEIGHTS)
    text = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    (folder / MANIFEST).write_bytes(text)
    return folder


def test_a_complete_manifest_is_read(tmp_path):
    assert read_manifest(model_folder(tmp_path, valid_manifest()))["method"] == "svm"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("method", 3, "field 'method' must be a method name"),
    ("params", [1], "field 'params' must be a table"),
    ("classes", "anger", "field 'classes' must be a non-empty list"),
    ("input", None, "field 'input' must be a table"),
    ("training", [], "field 'training' must be a table"),
    ("files", {"weights.json": "abc"}, "field 'files' must be a table of file name = SHA-256"),
    ("files", ["weights.json"], "field 'files' must be a table"),
])
def test_each_field_of_the_wrong_type_is_named(tmp_path, field, value, message):
    manifest = {**valid_manifest(), field: value}
    with pytest.raises(ModelFileError, match=message):
        read_manifest(model_folder(tmp_path, manifest))


@pytest.mark.parametrize(("key", "value", "message"), [
    ("size", [48], "field 'input.size' must be null or"),
    ("color", 1, "field 'input.color'"),
    ("features", [{"name": "hog"}], "field 'input.features'"),
])
def test_a_bad_input_view_is_named(tmp_path, key, value, message):
    manifest = valid_manifest()
    manifest["input"][key] = value
    with pytest.raises(ModelFileError, match=message):
        read_manifest(model_folder(tmp_path, manifest))


def test_a_model_without_its_training_face_shape_is_refused_not_prepared_otherwise(tmp_path):
    manifest = valid_manifest()
    del manifest["training"]["face_shape"]
    with pytest.raises(ModelFileError, match="field 'training.face_shape'.*refit them"):
        read_manifest(model_folder(tmp_path, manifest))


def test_a_file_left_out_of_the_manifest_is_refused(tmp_path):
    folder = model_folder(tmp_path, valid_manifest())
    (folder / "extra.bin").write_bytes(b"never checked")
    with pytest.raises(ModelFileError, match="extra.bin not listed in model.json"):
        read_manifest(folder)


@pytest.mark.parametrize("name", ["../weights.json", "/etc/hostname", "sub/w.json", "..", "."])
def test_no_listed_path_leaves_the_model_folder(tmp_path, name):
    manifest = valid_manifest()
    manifest["files"] = {name: hashlib.sha256(WEIGHTS).hexdigest()}
    with pytest.raises(ModelFileError, match="not a plain file name inside the model folder"):
        read_manifest(model_folder(tmp_path, manifest))


def test_a_listed_file_that_is_a_link_out_of_the_folder_is_refused(tmp_path):
    folder = model_folder(tmp_path, valid_manifest())
    outside = tmp_path / "outside.json"
    outside.write_bytes(WEIGHTS)
    (folder / "weights.json").unlink()
    (folder / "weights.json").symlink_to(outside)
    with pytest.raises(ModelFileError, match="weights.json is listed in model.json but missing"):
        read_manifest(folder)


FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


@FUZZ
@given(data=st.binary(max_size=400))
def test_any_bytes_as_a_manifest_load_or_raise_model_file_error(tmp_path, data):
    with contextlib.suppress(ModelFileError):
        read_manifest(model_folder(tmp_path, data))


@FUZZ
@given(field=st.sampled_from(sorted(valid_manifest())), value=JSON)
def test_any_value_in_any_field_loads_or_raises_model_file_error(tmp_path, field, value):
    with contextlib.suppress(ModelFileError):
        read_manifest(model_folder(tmp_path, {**valid_manifest(), field: value}))


@pytest.mark.parametrize("named", ["../../elsewhere", "/etc", "models/../../x", 3])
def test_a_record_naming_a_model_outside_the_run_is_refused(tmp_path, named):
    with pytest.raises(ModelChoiceError, match="which is not a folder inside"):
        model_path(tmp_path, {"cell": "c", "model": named})
    inside = model_path(tmp_path, {"cell": "c", "model": "models/svm__a"})
    assert inside == (tmp_path / "models" / "svm__a").resolve()
