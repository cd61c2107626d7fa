"""Fitted models kept by a run, reloaded safely, and refused when tampered with."""

import json
import shutil

import numpy as np
import pytest

import ferbench
from ferbench import ModelFileError, load_model
from ferbench.cli import main
from ferbench.data.described import create_dataset
from ferbench.results.store import ResultStore


@pytest.fixture(scope="module")
def kept_run(tmp_path_factory, run_args):
    """One run of svm and a plugin without save(), with models kept (the default)."""
    tmp_path = tmp_path_factory.mktemp("kept")
    assert main(run_args(tmp_path, "--methods", "svm,nearest-mean")) == 0
    return tmp_path / "runs" / "r"


def test_every_job_keeps_its_model_with_what_it_was_trained_on(kept_run):
    records = ResultStore(kept_run).records()
    svm = [r for r in records if r["method"] == "svm"]
    assert svm and all((kept_run / r["model"] / "model.json").is_file() for r in svm)
    within_a = next(r for r in svm if r["train"] == "toy-a" and r["protocol"] == "within")
    manifest = json.loads((kept_run / within_a["model"] / "model.json").read_text())
    assert manifest["method"] == "svm" and manifest["params"] == within_a["params"]
    assert manifest["classes"] == ["anger", "happiness", "sadness", "neutral"]
    assert manifest["input"]["size"] == [48, 48] and manifest["input"]["color"] == "gray"
    assert manifest["training"]["dataset"] == "toy-a"
    assert manifest["training"]["n"] == within_a["n_train"]
    toy_faces = create_dataset("toy-a").load(ferbench.DataContext.default()).train
    assert manifest["training"]["face_shape"] == list(toy_faces.images.shape[1:])
    assert not any(name.endswith((".pkl", ".pickle", ".joblib", ".pt"))
                   for name in manifest["files"])


def test_a_method_without_save_still_scores_and_says_why_no_model(kept_run):
    records = [r for r in ResultStore(kept_run).records() if r["method"] == "nearest-mean"]
    assert records and all(r["status"] == "ok" for r in records)
    assert all(r["model_error"] == "nearest-mean does not implement save()" for r in records)


def test_reloaded_model_reproduces_the_stored_predictions(kept_run, toy_plugins):
    record = next(r for r in ResultStore(kept_run).records()
                  if r["method"] == "svm" and r["train"] == "toy-a" and r["test"] == "toy-a")
    model = load_model(kept_run / record["model"])
    test = create_dataset("toy-a").load(ferbench.DataContext.default()).test
    frame = model.predict_faces(list(test.images))
    assert list(frame.columns) == ["label", *model.classes]
    assert np.allclose(frame[model.classes].sum(axis=1), 1.0)
    expected = [ferbench.EMOTIONS[c] for c in record["y_pred"]]
    assert frame["label"].tolist() == expected


def test_predict_faces_takes_any_size_and_colour(kept_run):
    model_dir = next(p for p in (kept_run / "models").iterdir() if p.name.startswith("svm"))
    model = load_model(model_dir)
    rng = np.random.default_rng(0)
    faces = [rng.integers(0, 256, (120, 90, 3), dtype=np.uint8),
             rng.integers(0, 256, (30, 30), dtype=np.uint8)]
    assert len(model.predict_faces(faces)) == 2
    with pytest.raises(ValueError, match="face 0: expected a uint8"):
        model.predict_faces([np.zeros((10, 10), dtype=np.float32)])


@pytest.fixture
def model_copy(kept_run, tmp_path):
    source = next(p for p in (kept_run / "models").iterdir() if p.name.startswith("svm"))
    return shutil.copytree(source, tmp_path / "model")


def test_a_saved_model_records_how_many_training_faces_each_class_has(kept_run):
    folder = next(p for p in (kept_run / "models").iterdir() if p.name.startswith("svm"))
    training = json.loads((folder / "model.json").read_text())["training"]
    assert sorted(training["class_counts"]) == sorted(["anger", "happiness", "sadness", "neutral"])
    assert sum(training["class_counts"].values()) == training["n"]


def _recount(folder, counts):
    manifest = json.loads((folder / "model.json").read_text())
    if counts is None:
        del manifest["training"]["class_counts"]
    else:
        manifest["training"]["class_counts"] = counts
    (folder / "model.json").write_text(json.dumps(manifest))


def test_uniform_prior_divides_each_probability_by_its_class_training_share(model_copy):
    _recount(model_copy, {"anger": 40, "happiness": 10, "sadness": 5, "neutral": 5})
    faces = list(create_dataset("toy-a").load(ferbench.DataContext.default()).test.images)
    plain = load_model(model_copy).predict_faces(faces)
    uniform = load_model(model_copy, prior="uniform").predict_faces(faces)
    classes = ["anger", "happiness", "sadness", "neutral"]
    expected = plain[classes].to_numpy() / (np.array([40, 10, 5, 5]) / 60)
    expected /= expected.sum(axis=1, keepdims=True)
    assert np.allclose(uniform[classes].to_numpy(), expected)
    assert uniform["label"].tolist() == [classes[i] for i in expected.argmax(axis=1)]
    assert (uniform["anger"] < plain["anger"]).all()


def test_uniform_prior_without_recorded_class_counts_is_refused_by_name(model_copy):
    _recount(model_copy, None)
    assert load_model(model_copy).prior == "training"  # the training prior needs no counts
    with pytest.raises(ModelFileError, match=r"model: the uniform prior .*training.class_counts"):
        load_model(model_copy, prior="uniform")
    with pytest.raises(ValueError, match="prior must be one of training, uniform, not 'even'"):
        load_model(model_copy, prior="even")
    _recount(model_copy, {"anger": -1, "happiness": 10, "sadness": 5, "neutral": 5})
    with pytest.raises(ModelFileError, match="'training.class_counts' must be a table of class"):
        load_model(model_copy)
    _recount(model_copy, {"anger": 1})
    assert load_model(model_copy).prior == "training"
    with pytest.raises(ModelFileError, match="no count for happiness, sadness, neutral"):
        load_model(model_copy, prior="uniform")


def test_tampered_model_file_is_refused_before_it_is_parsed(model_copy):
    estimator = model_copy / "estimator.skops"
    data = bytearray(estimator.read_bytes())
    data[len(data) // 2] ^= 0xFF
    estimator.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="estimator.skops does not match the checksum"):
        load_model(model_copy)


def test_truncated_model_file_is_refused(model_copy):
    estimator = model_copy / "estimator.skops"
    estimator.write_bytes(estimator.read_bytes()[:100])
    with pytest.raises(ModelFileError, match="changed or truncated"):
        load_model(model_copy)


def test_foreign_folder_and_damaged_manifest_are_refused(model_copy, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFileError, match="holds no model.json"):
        load_model(tmp_path / "empty")
    with pytest.raises(ModelFileError, match="not a saved-model folder"):
        load_model(tmp_path / "missing")
    (model_copy / "model.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="is not valid JSON"):
        load_model(model_copy)


def test_a_file_with_untrusted_types_is_refused_even_with_a_matching_checksum(model_copy):
    """An attacker who also rewrites the manifest still cannot make skops build other types."""
    import hashlib
    import os
    import re

    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    hostile = model_copy / "estimator.skops"
    skops.io.dump(FunctionTransformer(func=os.system), hostile)
    manifest_path = model_copy / "model.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["estimator.skops"] = hashlib.sha256(hostile.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    # os.system rather than print: an earlier Ray test in the same process replaces builtins.print
    hostile_name = re.escape(f"{os.system.__module__}.{os.system.__name__}")
    with pytest.raises(ModelFileError, match=f"outside ferbench's trusted list.*{hostile_name}"):
        load_model(model_copy)


def test_no_save_models_keeps_nothing(tmp_path, run_args):
    assert main(run_args(tmp_path, "--methods", "svm", "--no-save-models")) == 0
    assert not (tmp_path / "runs" / "r" / "models").exists()
    assert all("model" not in r for r in ResultStore(tmp_path / "runs" / "r").records())
