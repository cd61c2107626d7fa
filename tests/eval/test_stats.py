import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score

from ferbench.eval import stats


def predictions(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y_true = rng.choice([0, 3, 6], size=n, p=[0.2, 0.5, 0.3])
    y_pred = np.where(rng.random(n) < 0.7, y_true, rng.choice([0, 3, 6], size=n))
    return y_true, y_pred, np.array([0, 3, 6])


def reference_bootstrap(y_true, y_pred, replicates, seed):
    """A plain loop: resample each class with replacement, score with scikit-learn."""
    rng = np.random.default_rng(seed)
    draws = []
    members = [np.flatnonzero(y_true == c) for c in np.unique(y_true)]
    for c in members:
        draws.append(c[rng.integers(0, len(c), (replicates, len(c)))])
    indices = np.concatenate(draws, axis=1)
    accuracy = [accuracy_score(y_true[i], y_pred[i]) for i in indices]
    macro_f1 = [f1_score(y_true[i], y_pred[i], average="macro") for i in indices]
    return {"accuracy": np.percentile(accuracy, [2.5, 97.5]),
            "macro_f1": np.percentile(macro_f1, [2.5, 97.5])}


def test_bootstrap_ci_matches_a_reference_bootstrap():
    y_true, y_pred, classes = predictions()
    ours = stats.bootstrap_ci(y_true, y_pred, classes, replicates=300, seed=7)
    reference = reference_bootstrap(y_true, y_pred, replicates=300, seed=7)
    for metric in ("accuracy", "macro_f1"):
        assert ours[metric] == pytest.approx(tuple(reference[metric]), abs=1e-12)


def test_bootstrap_ci_brackets_the_estimate_and_narrows_with_more_faces():
    small = stats.bootstrap_ci(*predictions(n=100), seed=1)["accuracy"]
    large = stats.bootstrap_ci(*predictions(n=3000), seed=1)["accuracy"]
    y_true, y_pred, _ = predictions(n=3000)
    assert large[0] <= accuracy_score(y_true, y_pred) <= large[1]
    assert large[1] - large[0] < small[1] - small[0]


def test_mcnemar_on_a_known_table():
    # 10 faces only A gets right, 2 only B gets right, 50 both, 8 neither.
    y_true = np.zeros(70, dtype=int)
    pred_a = np.array([0] * 10 + [1] * 2 + [0] * 50 + [1] * 8)
    pred_b = np.array([1] * 10 + [0] * 2 + [0] * 50 + [1] * 8)
    result = stats.mcnemar(y_true, pred_a, pred_b)
    assert (result["only_a"], result["only_b"]) == (10, 2)
    assert result["p_value"] == pytest.approx(2 * (1 + 12 + 66) / 2**12)  # exact binomial
    assert stats.mcnemar(y_true, pred_a, pred_a)["p_value"] == 1.0
    with pytest.raises(ValueError, match="same test faces"):
        stats.mcnemar(y_true, pred_a[:5], pred_b)


def test_holm_adjustment():
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([0.5]) == [0.5]


def test_results_csv_is_one_pandas_call(tmp_path):
    from ferbench.cli import main
    from tests.conftest import TEST_PLUGINS

    assert main(["run", "--plugins", str(TEST_PLUGINS), "--methods", "nearest-mean",
                 "--datasets", "toy-a,toy-b", "--seeds", "0,1", "--out", str(tmp_path / "r"),
                 "--reports", str(tmp_path / "rep")]) == 0
    table = pd.read_csv(tmp_path / "rep" / "r" / "results.csv")
    assert set(table["seed"]) == {0, 1} and (table["status"] == "ok").all()
    assert table["accuracy"].between(0, 1).all()
    assert "± " in (tmp_path / "rep" / "r" / "README.md").read_text()  # mean ± std over seeds
