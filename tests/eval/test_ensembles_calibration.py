"""Soft-vote ensembles from stored scores, and calibration error in the report."""

import numpy as np
import pytest

import ferbench
from ferbench.cli import main
from ferbench.eval.calibration import reliability
from ferbench.results.store import ResultStore


def stored(tmp_path):
    return ResultStore(tmp_path / "runs" / "r").records()


def test_ece_is_zero_when_scores_match_accuracy_and_the_gap_when_overconfident():
    rng = np.random.default_rng(0)
    confidence = np.full(1000, 0.9)
    assert reliability(confidence, rng.random(1000) < 0.5).ece == pytest.approx(0.4, abs=0.05)
    assert reliability(confidence, np.arange(1000) % 10 != 0).ece == pytest.approx(0.0)
    curve = reliability(np.array([0.15, 0.15, 0.95, 1.0]), np.array([True, False, True, True]))
    assert curve.count.tolist() == [2, 2] and curve.accuracy.tolist() == [0.5, 1.0]
    with pytest.raises(ValueError, match="N top scores and N outcomes"):
        reliability(np.ones(3), np.ones(2, dtype=bool))


def test_ensemble_cells_average_the_members_stored_scores(tmp_path, capsys, run_args, stored):
    args = run_args(tmp_path, "--methods", "svm,knn", "--ensembles", "svm+knn")
    assert main(args) == 0
    records = {(r["method"], r["protocol"], r["train"], r["test"], r["fold"]): r
               for r in stored(tmp_path)}
    for key, blended in records.items():
        if key[0] != "svm+knn":
            continue
        svm, knn = records[("svm", *key[1:])], records[("knn", *key[1:])]
        assert blended["members"] == {"svm": svm["cell"], "knn": knn["cell"]}
        mean = (np.asarray(svm["proba"]) + np.asarray(knn["proba"])) / 2
        np.testing.assert_allclose(blended["proba"], mean, atol=1e-5)
        classes = [ferbench.emotion_index(c) for c in blended["classes"]]
        assert blended["y_pred"] == [classes[i] for i in np.argmax(mean, axis=1)]
        assert blended["y_true"] == svm["y_true"]
    assert sum(k[0] == "svm+knn" for k in records) == 6
    for record in records.values():
        np.testing.assert_allclose(np.sum(record["proba"], axis=1), 1, atol=1e-4)
    report = (tmp_path / "reports" / "r" / "README.md").read_text()
    assert "## Ensembles against their best member" in report and "| svm+knn" in report
    cells = ferbench.load_results(tmp_path / "runs" / "r")
    assert (cells.method == "svm+knn").sum() == 6
    capsys.readouterr()
    assert main(args) == 0
    assert "0 cell(s) computed, 18 already stored" in capsys.readouterr().err


def test_ensemble_of_a_failing_member_fails_alone_and_names_it(tmp_path, capsys, run_args, stored):
    assert main(run_args(tmp_path, "--methods", "explode,svm",
                         "--ensembles", "explode+svm")) == 1
    records = stored(tmp_path)
    blended = [r for r in records if r["method"] == "explode+svm"]
    assert len(blended) == 6 and all(r["status"] == "failed" for r in blended)
    assert "member explode failed on this cell" in blended[0]["error"]
    assert all(r["status"] == "ok" for r in records if r["method"] == "svm")


@pytest.mark.parametrize("value,problem", [
    ("svm+cnn", "cnn not among the run's methods (svm, knn)"),
    ("svm", "name two or more different methods"),
    ("svm+svm", "name two or more different methods"),
])
def test_bad_ensemble_stops_before_any_work(tmp_path, capsys, value, problem, run_args):
    assert main(run_args(tmp_path, "--methods", "svm,knn", "--ensembles", value)) == 2
    assert problem in capsys.readouterr().err
    assert not (tmp_path / "runs" / "r").exists()


def test_calibration_page_lists_each_methods_error_and_what_its_scores_are(tmp_path, run_args):
    assert main(run_args(tmp_path, "--methods", "svm,nearest-mean")) == 0
    pages = tmp_path / "reports" / "r"
    assert "[calibration](calibration.md)" in (pages / "README.md").read_text()
    page = (pages / "calibration.md").read_text()
    svm_row = next(line for line in page.splitlines() if line.startswith("| svm"))
    assert "softmax of one-vs-rest SVM decision values: a ranking, not a probability" in svm_row
    ece = [float(cell) for cell in svm_row.strip("|").split("|")[2:]]
    assert len(ece) == 2 and all(0 <= value <= 1 for value in ece)
    assert (pages / "img" / "reliability__toy-a.png").stat().st_size > 1000
