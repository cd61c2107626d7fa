"""Test-time corruptions: seeded, derived on the fly, scored without retraining."""

import numpy as np
import pytest

from ferbench import FaceSet
from ferbench.cli import main
from ferbench.eval.corruptions import CORRUPTIONS, corrupt, parse_corruptions
from ferbench.results.store import ResultStore


def faces(shape):
    rng = np.random.default_rng(1)
    return FaceSet(rng.integers(40, 200, shape, dtype=np.uint8), np.arange(shape[0]) % 7)


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
@pytest.mark.parametrize("shape", [(6, 48, 48), (4, 100, 100, 3)])
def test_each_corruption_is_seeded_and_grows_with_severity(name, shape):
    clean = faces(shape)
    damage = []
    for severity in (1, 2, 3):
        corrupted = corrupt(clean, name, severity, seed=3)
        assert corrupted.images.shape == clean.images.shape
        assert corrupted.images.dtype == np.uint8
        np.testing.assert_array_equal(corrupted.labels, clean.labels)
        np.testing.assert_array_equal(corrupt(clean, name, severity, seed=3).images,
                                      corrupted.images)
        damage.append(np.abs(corrupted.images.astype(int) - clean.images).mean())
    assert 0 < damage[0] < damage[2], damage


def test_corruption_names_and_severities_are_parsed_or_refused():
    assert parse_corruptions("blur,jpeg:2") == [("blur", 1), ("blur", 2), ("blur", 3),
                                                 ("jpeg", 2)]
    assert len(parse_corruptions("all")) == 3 * len(CORRUPTIONS)
    with pytest.raises(ValueError, match="unknown corruption 'fog'.*gaussian_noise"):
        parse_corruptions("fog")
    with pytest.raises(ValueError, match="severity must be 1, 2 or 3"):
        parse_corruptions("blur:5")


def test_robust_cells_score_the_same_model_on_corrupted_test_faces(tmp_path, capsys, run_args):
    assert main(run_args(tmp_path, "--methods", "svm", "--corruptions", "blur,occlusion:3")) == 0
    cache_files = sorted(p.name for p in (tmp_path / "cache").rglob("*") if p.is_file())
    records = ResultStore(tmp_path / "runs" / "r").records()
    robust = [r for r in records if r["protocol"] == "robust"]
    within = [r for r in records if r["protocol"] == "within"]
    assert len(robust) == 4 * len(within)  # blur 1-3 and occlusion 3 per within cell
    assert {(r["corruption"], r["severity"]) for r in robust} == {
        ("blur", 1), ("blur", 2), ("blur", 3), ("occlusion", 3)}
    assert {r["job"] for r in robust} == {r["job"] for r in within}  # trained once
    for record in robust:
        twin = next(w for w in within if w["job"] == record["job"])
        assert record["y_true"] == twin["y_true"] and record["train"] == record["test"]
    page = (tmp_path / "reports" / "r" / "robustness.md").read_text()
    assert "| svm" in page and "mean relative drop" in page
    assert (tmp_path / "reports" / "r" / "img" / "robustness__toy-a.png").is_file()
    leaderboard = (tmp_path / "reports" / "r" / "README.md").read_text()
    assert "blur" not in leaderboard.split("## Timing")[0]
    capsys.readouterr()
    assert main(run_args(tmp_path, "--methods", "svm", "--corruptions", "blur,occlusion:3")) == 0
    assert "0 cell(s) computed" in capsys.readouterr().err
    clean_dir = tmp_path / "clean"
    assert main(run_args(clean_dir, "--methods", "svm")) == 0
    assert sorted(p.name for p in (clean_dir / "cache").rglob("*") if p.is_file()) \
        == cache_files  # corrupted faces' features never reach the cache


def test_unknown_corruption_stops_before_any_work(tmp_path, capsys, run_args):
    assert main(run_args(tmp_path, "--methods", "svm", "--corruptions", "fog")) == 2
    assert "unknown corruption 'fog'" in capsys.readouterr().err
    assert not (tmp_path / "runs" / "r").exists()
