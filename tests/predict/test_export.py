"""``ferbench export``: a run's saved model as ONNX with its TOML, which benchmarks as a
pretrained model with the saved model's own predictions; refused where it cannot be."""

import sys

import numpy as np
import pytest

from ferbench.cli import main
from ferbench.core.registry import METHODS
from ferbench.data.described import DESCRIBED_BY
from ferbench.predict import export
from ferbench.predict.choice import ModelChoiceError
from ferbench.pretrained import read_model_description
from ferbench.results.store import ResultStore
from tests.conftest import TEST_PLUGINS

pytest.importorskip("onnxruntime", reason="exports are checked with the onnx extra")
pytest.importorskip("skl2onnx", reason="classical exports need the onnx extra")
pytest.importorskip("torch", reason="the networks need the deep extra")


@pytest.fixture(scope="module")
def trained(tmp_path_factory, run_args):
    """A small cnn (mirror test-time augmentation on), svm and xgboost trained on toy-a
    under the quick budget, saved."""
    folder = tmp_path_factory.mktemp("export")
    assert main(run_args(folder, "--methods", "cnn,svm,xgboost", "--datasets", "toy-a",
                         "--protocol", "within", "--budget", "quick", "--set", "cnn.tta=true",
                         "--set", "cnn.width=4", "--set", "cnn.epochs=3")) == 0
    return folder / "runs" / "r"


@pytest.fixture(autouse=True)
def forget_exports():
    """Each test benchmarks its own exports: unregistered after it."""
    yield
    for entry in METHODS.entries():
        if DESCRIBED_BY in entry.details:
            METHODS.unregister(entry.name)


def cell(run_dir, method):
    return next(r for r in ResultStore(run_dir).records() if r["method"] == method)


@pytest.mark.parametrize(("method", "input_line"), [
    ("cnn", "# Input: 48x48 gray faces, NCHW, 0-255 pixel values as floats."),
    ("svm", "# Not pixels: only ferbench computes these features"),
])
def test_an_export_benchmarks_with_the_saved_models_predictions(trained, tmp_path, run_args,
                                                                method, input_line, capsys):
    onnx_file = tmp_path / "out" / f"{method}.onnx"
    assert main(["export", str(trained), "--method", method, "--onnx", str(onnx_file),
                 "--plugins", str(TEST_PLUGINS)]) == 0
    assert f"exported {method} trained on toy-a to {onnx_file}" in capsys.readouterr().err
    toml = onnx_file.with_suffix(".toml")
    text = toml.read_text()
    assert text.startswith("# Exported by `ferbench export` from models/") and input_line in text
    described = read_model_description(toml)
    assert described.name == f"{method}-toy-a-onnx" and described.onnx == onnx_file
    assert main(run_args(tmp_path, "--methods", str(toml), "--datasets", "toy-a",
                         "--protocol", "within")) == 0
    native, exported = cell(trained, method), cell(tmp_path / "runs" / "r", described.name)
    assert exported["family"] == "pretrained" and exported["y_true"] == native["y_true"]
    assert exported["y_pred"] == native["y_pred"]
    assert np.allclose(exported["proba"], native["proba"], atol=1e-4)


def test_an_export_that_would_not_reproduce_the_model_writes_nothing(trained, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setattr(export, "TOLERANCE", 0.0)
    with pytest.raises(export.ExportError, match="differ from the saved model's by up to .* "
                                                 "so nothing was written"):
        export.export_model(trained, "svm", tmp_path / "svm.onnx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("method", "out", "error", "message"), [
    ("cnn+svm", "m.onnx", export.ExportError, "an ensemble is not one model"),
    ("svm", "m.pt", export.ExportError, "the file name must end in .onnx"),
    ("knn", "m.onnx", ModelChoiceError, "has no saved model for method=knn"),
])
def test_what_cannot_be_exported_is_named(trained, tmp_path, method, out, error, message):
    with pytest.raises(error, match=message):
        export.export_model(trained, method, tmp_path / out)


def test_xgboost_needs_onnxmltools(trained, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxmltools", None)
    with pytest.raises(ValueError, match="xgboost: its boosted trees convert to ONNX only with "
                                         "onnxmltools"):
        export.export_model(trained, "xgboost", tmp_path / "xgboost.onnx")
    assert list(tmp_path.iterdir()) == []


def test_a_step_skl2onnx_cannot_convert_or_a_missing_skl2onnx_is_named(monkeypatch):
    from sklearn.kernel_approximation import Nystroem
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from ferbench.classical import to_onnx

    rows = np.random.default_rng(0).normal(size=(20, 5))
    pipeline = make_pipeline(Nystroem(n_components=5), LinearSVC()).fit(rows, np.arange(20) % 2)
    with pytest.raises(ValueError, match="svm: skl2onnx cannot convert this pipeline .*Nystroem"):
        to_onnx(pipeline, 5, "svm")
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    with pytest.raises(ValueError, match=r"needs skl2onnx; .*pip install 'ferbench\[onnx\]'"):
        to_onnx(pipeline, 5, "svm")
