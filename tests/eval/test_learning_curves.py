"""Learning curves: nested training shares, scored on the same test set."""

import numpy as np
import pytest

from ferbench import FaceSet
from ferbench.cli import main
from ferbench.eval.protocols import nested_subset, parse_fractions
from ferbench.report.curves import deep_overtakes
from ferbench.report.data import ReportData
from ferbench.results.store import ResultStore


def faces(subjects=None):
    labels = np.repeat(np.arange(4), [40, 80, 120, 160])
    images = np.zeros((len(labels), 8, 8), dtype=np.uint8)
    return FaceSet(images, labels, subjects=subjects)


def test_smaller_shares_are_subsets_of_larger_ones_and_keep_class_proportions():
    data = faces()
    shares = [set(nested_subset(data, f, seed=2)) for f in (0.1, 0.25, 0.5, 1.0)]
    assert all(small <= large for small, large in zip(shares, shares[1:]))
    assert len(shares[-1]) == len(data)
    counts = np.bincount(data.labels[sorted(shares[1])], minlength=4)
    assert counts.tolist() == [10, 20, 30, 40]
    assert shares[0] != set(nested_subset(data, 0.1, seed=3))


def test_with_subjects_whole_subjects_are_taken():
    subjects = np.repeat([f"s{i}" for i in range(40)], 10)
    data = faces(subjects)
    chosen = nested_subset(data, 0.25, seed=0)
    taken = set(subjects[chosen])
    assert len(chosen) == 10 * len(taken) and 100 <= len(chosen) <= 110
    assert set(chosen) <= set(nested_subset(data, 0.5, seed=0))


def test_fractions_are_parsed_or_refused():
    assert parse_fractions("0.5,0.1,1") == [0.1, 0.5]
    with pytest.raises(ValueError, match="in \\(0, 1\\]"):
        parse_fractions("0,0.5")
    with pytest.raises(ValueError, match="expected numbers"):
        parse_fractions("half")


def test_curve_cells_train_on_shares_and_score_the_within_test_set(tmp_path, capsys, run_args):
    assert main(run_args(tmp_path, "--methods", "svm", "--train-fractions", "0.5,1")) == 0
    records = ResultStore(tmp_path / "runs" / "r").records()
    within = {(r["train"], r["fold"]): r for r in records if r["protocol"] == "within"}
    curve = [r for r in records if r["protocol"] == "curve"]
    assert len(curve) == len(within) == 4  # toy-a's split and toy-b's three folds
    for record in curve:
        full = within[record["train"], record["fold"]]
        assert record["train_fraction"] == 0.5 and record["test"] == record["train"]
        assert record["y_true"] == full["y_true"]
        assert full["n_train"] / 2 <= record["n_train"] < full["n_train"]
    page = (tmp_path / "reports" / "r" / "curves.md").read_text()
    assert "## toy-b" in page and "| svm" in page and "0.5: accuracy / macro-F1" in page
    assert (tmp_path / "reports" / "r" / "img" / "curves__toy-a.png").is_file()


def _record(method, family, fraction, y_true, y_pred):
    record = {"method": method, "protocol": "curve" if fraction < 1 else "within",
              "train": "d", "test": "d", "fold": None, "seed": 0, "status": "ok",
              "family": family, "n_train": int(1000 * fraction), "classes": ["anger", "sadness"],
              "y_true": y_true.tolist(), "y_pred": y_pred.tolist(), "cell": f"{method}{fraction}"}
    if fraction < 1:
        record["train_fraction"] = fraction
    return record


def test_report_names_the_size_at_which_deep_first_significantly_wins():
    y_true = np.array([0, 4] * 100)
    wrong = np.where(y_true == 0, 4, 0)
    right_until = lambda k: np.concatenate([y_true[:k], wrong[k:]])  # noqa: E731
    records = [
        _record("svm", "classical", 0.1, y_true, right_until(120)),
        _record("cnn", "deep", 0.1, y_true, right_until(110)),
        _record("svm", "classical", 0.5, y_true, right_until(130)),
        _record("cnn", "deep", 0.5, y_true, right_until(190)),
        _record("svm", "classical", 1.0, y_true, right_until(140)),
        _record("cnn", "deep", 1.0, y_true, right_until(195)),
    ]
    sentence = deep_overtakes(ReportData(records, []), "d")
    assert "best deep method (cnn, 0.950) first significantly beats the best classical one " \
           "(svm, 0.650) at 500 training faces (fraction 0.5" in sentence
