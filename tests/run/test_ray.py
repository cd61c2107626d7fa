"""--executor ray: one Ray task per job on a local Ray (2 CPUs) shared by these tests."""

import sys

import numpy as np
import pytest

from ferbench.cli import main
from ferbench.results.store import ResultStore


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'ferbench[ray]')")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def cells(run_dir):
    return {r["cell"]: r for r in ResultStore(run_dir).records()}


def model_files(run_dir):
    return sorted(p.relative_to(run_dir).as_posix() for p in (run_dir / "models").rglob("*")
                  if p.is_file())


def test_ray_gives_the_same_results_and_models_as_local(tmp_path, local_ray, capsys, run_args):
    extra = ("--methods", "svm,nearest-mean", "--corruptions", "blur:1",
             "--ensembles", "svm+nearest-mean")
    assert main(run_args(tmp_path / "local", *extra)) == 0
    assert main(run_args(tmp_path / "ray", *extra, "--executor", "ray")) == 0
    local, remote = cells(tmp_path / "local/runs/r"), cells(tmp_path / "ray/runs/r")
    assert set(local) == set(remote) and len(local) == 30
    for cid, record in local.items():
        assert remote[cid]["status"] == record["status"] == "ok"
        assert remote[cid]["y_pred"] == record["y_pred"]
        assert remote[cid]["metrics"] == record["metrics"]
        # Ray's workers run BLAS on one thread: scores may differ in the 5th decimal
        np.testing.assert_allclose(remote[cid]["proba"], record["proba"], atol=1e-4)
    assert model_files(tmp_path / "ray/runs/r") == model_files(tmp_path / "local/runs/r")
    report = (tmp_path / "ray/reports/r/README.md").read_text()
    assert "| svm+nearest-mean" in report
    capsys.readouterr()
    assert main(run_args(tmp_path / "ray", *extra, "--executor", "ray")) == 0
    assert "0 cell(s) computed, 30 already stored" in capsys.readouterr().err


def test_a_dead_worker_fails_its_cells_and_a_rerun_retries_them(tmp_path, local_ray, capsys,
                                                                run_args):
    args = run_args(tmp_path, "--methods", "die,nearest-mean", "--executor", "ray")
    assert main(args) == 1
    records = cells(tmp_path / "runs/r")
    dead = [r for r in records.values() if r["method"] == "die"]
    assert len(dead) == 6 and all(r["status"] == "failed" for r in dead)
    assert "the Ray worker running this job died or raised" in dead[0]["error"]
    assert all(r["status"] == "ok" for r in records.values() if r["method"] == "nearest-mean")
    capsys.readouterr()
    assert main(args) == 1
    assert "0 cell(s) computed, 6 already stored, 6 failed" in capsys.readouterr().err


def test_without_ray_the_executor_says_how_to_install_it(tmp_path, capsys, monkeypatch, run_args):
    monkeypatch.setitem(sys.modules, "ray", None)
    assert main(run_args(tmp_path, "--methods", "svm", "--executor", "ray")) == 2
    assert "pip install 'ferbench[ray]'" in capsys.readouterr().err
    assert not (tmp_path / "runs" / "r").exists()
