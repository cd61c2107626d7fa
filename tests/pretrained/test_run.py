"""A pretrained model through the command line: benchmarked by path, refused before any
data is read, recomputed when its file changes, marked in the report, used by predict."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import ferbench
from ferbench.cli import main
from tests.pretrained.models import describe, flat_model, pooled_model

FIVE = ["anger", "happy", "surprise", "neutral", "fear"]
MARK = "tiny — pretrained (training data not controlled)"


@pytest.fixture
def model(tmp_path):
    """A 16-px gray model with five classes, three of them toy-a's."""
    folder = tmp_path / "model"
    folder.mkdir()
    pooled_model(folder / "model.onnx", 1, classes=5)
    return describe(folder, size=16, classes=FIVE)


def test_a_pretrained_model_is_scored_within_and_across_and_marked(tmp_path, model, run_args,
                                                                   stored):
    assert main(run_args(tmp_path, "--methods", f"{model},nearest-mean",
                         "--set", "tiny.batch_size=7")) == 0
    records = [r for r in stored(tmp_path) if r["method"] == "tiny"]
    assert {(r["protocol"], r["train"], r["test"]) for r in records} == {
        ("within", "toy-a", "toy-a"), ("cross", "toy-a", "toy-b"),
        ("within", "toy-b", "toy-b"), ("cross", "toy-b", "toy-a")}
    assert all(r["status"] == "ok" and r["family"] == "pretrained" for r in records)
    within = next(r for r in records if r["protocol"] == "within" and r["train"] == "toy-a")
    assert within["classes"] == ["anger", "happiness", "neutral"]  # toy-a's that it defines
    assert within["excluded"]["test_only"] == {"sadness": 6}
    assert within["params"] == {"batch_size": 7}
    assert within["method_info"]["pretrained"] == "pretrained (training data not controlled)"
    across = next(r for r in records if r["protocol"] == "cross" and r["train"] == "toy-b")
    assert across["classes"] == ["anger", "happiness"]  # toy-b's surprise is not toy-a's
    report = tmp_path / "reports" / "r"
    readme = (report / "README.md").read_text()
    assert f"| {MARK}" in readme and "may include faces the model was trained on" in readme
    assert f"## {MARK}" in (report / "cross.md").read_text()
    assert f"| {MARK}" in (report / "per_class.md").read_text()
    assert f"## {MARK} on toy-a" in (report / "confusion.md").read_text()
    table = pd.read_csv(report / "results.csv")
    assert table.groupby("method")["pretrained"].all().to_dict() == {
        "nearest-mean": False, "tiny": True}


def summary(capsys):
    """The run's last line: cells computed, already stored, failed."""
    return capsys.readouterr().err.strip().splitlines()[-1]


def test_a_changed_model_file_or_description_is_recomputed(tmp_path, model, run_args, capsys):
    args = run_args(tmp_path, "--methods", str(model), "--datasets", "toy-a",
                    "--protocol", "within")
    assert main(args) == 0 and "1 cell(s) computed, 0 already stored" in summary(capsys)
    assert main(args) == 0 and "0 cell(s) computed, 1 already stored" in summary(capsys)
    pooled_model(model.parent / "model.onnx", 1, classes=5, seed=1)
    assert main(args) == 0 and "1 cell(s) computed, 0 already stored" in summary(capsys)
    model.write_text(model.read_text().replace("size = 16", "size = 20"))
    assert main(args) == 0 and "1 cell(s) computed, 0 already stored" in summary(capsys)
    assert main(args) == 0 and "0 cell(s) computed, 1 already stored" in summary(capsys)


@pytest.mark.parametrize(("make", "keys", "message"), [
    (lambda p: pooled_model(p, 1), {"classes": ["anger", "glee", "fear", "sad"]},
     "classes[1] = 'glee' is not an emotion"),
    (lambda p: pooled_model(p, 1, classes=3), {}, "has 3 values per face, but 'classes' "
     "lists 4"),
    (lambda p: flat_model(p, [1, 1, 4, 4], 16), {}, "input 'x' has shape [1, 1, 4, 4], but "
     "size = 8"),
    (lambda p: None, {}, "model.onnx not found"),
])
def test_a_bad_model_fails_before_any_data_is_read(tmp_path, run_args, capsys, make, keys,
                                                   message):
    make(tmp_path / "model.onnx")
    code = main(run_args(tmp_path, "--methods", f"svm,{describe(tmp_path, **keys)}"))
    err = capsys.readouterr().err
    assert code == 2 and message in err and "loaded toy-a" not in err
    assert not (tmp_path / "runs").exists()


def test_a_model_may_not_take_a_registered_methods_name(tmp_path, run_args, capsys):
    pooled_model(tmp_path / "model.onnx")
    assert main(run_args(tmp_path, "--methods", str(describe(tmp_path, name="svm")))) == 2
    assert "name = 'svm' is already the name of a method" in capsys.readouterr().err


def test_predict_uses_a_pretrained_model(tmp_path, model, capsys):
    folder = tmp_path / "crops"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(3):
        Image.fromarray(rng.integers(0, 256, (30, 24, 3), dtype=np.uint8)).save(
            folder / f"crop{index}.png")
    out = tmp_path / "faces.csv"
    assert main(["predict", str(folder), "--model", str(model), "--faces", "whole",
                 "--csv", str(out)]) == 0
    frame = pd.read_csv(out)
    classes = ["anger", "fear", "happiness", "surprise", "neutral"]
    assert list(frame.columns[-6:]) == [*classes, "error"] and len(frame) == 3
    assert np.allclose(frame[classes].sum(axis=1), 1) and set(frame["label"]) <= set(classes)
    assert "model: tiny, pretrained (training data not controlled)" in capsys.readouterr().err
    for choosing in (["--method", "svm"], ["--seed", "1"]):
        assert main(["predict", str(folder), "--model", str(model), *choosing]) == 2
        assert "--seed choose among a run's models; --model names the model itself" \
            in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["predict", str(folder), "--model", str(model), "--run", str(tmp_path)])
    crops = [np.asarray(Image.open(folder / "crop0.png")), np.zeros((10, 10), np.uint8)]
    assert ferbench.load_pretrained(model).predict_faces(crops)["label"].isin(classes).all()
