"""End-to-end runs of the harness on tiny toy datasets (tests/plugins)."""

import dataclasses
import inspect
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import ferbench
from ferbench.cli import main
from ferbench.results.store import ResultStore


def test_run_writes_within_and_cross_rows_including_a_user_plugin(tmp_path, capsys, run_args,
                                                                  stored):
    assert main(run_args(tmp_path, "--methods", "svm,nearest-mean")) == 0
    pages = tmp_path / "reports" / "r"
    report = (pages / "README.md").read_text()
    assert "## Within-dataset leaderboard" in report and "[cross-database](cross.md)" in report
    assert "| nearest-mean" in report and "| svm" in report
    cross = (pages / "cross.md").read_text()
    assert "## svm" in cross and "![svm cross-database accuracy](img/cross__svm.png)" in cross
    assert (pages / "img" / "cross__svm.png").stat().st_size > 1000
    confusion = (pages / "confusion.md").read_text()
    assert "img/confusion__nearest-mean__toy-a.png" in confusion
    assert "ferbench run --plugins" in report  # the command that produced it
    records = stored(tmp_path)
    protocols = {(r["method"], r["protocol"], r["train"], r["test"]) for r in records}
    assert ("svm", "cross", "toy-a", "toy-b") in protocols
    assert ("nearest-mean", "within", "toy-b", "toy-b") in protocols
    assert {r["fold"] for r in records if r["train"] == "toy-b" and r["protocol"] == "within"} \
        == {0, 1, 2}
    toy_a_to_b = next(r for r in records if r["protocol"] == "cross" and r["train"] == "toy-a")
    assert toy_a_to_b["excluded"] == {"train_only": ["neutral"], "test_only": {"surprise": 10}}
    assert (tmp_path / "reports" / "r" / "results.csv").read_text().count("\n") == len(records) + 1


def test_rerun_computes_nothing_again(tmp_path, capsys, run_args, stored):
    assert main(run_args(tmp_path, "--methods", "nearest-mean")) == 0
    first = {r["cell"]: r["finished"] for r in stored(tmp_path)}
    capsys.readouterr()
    assert main(run_args(tmp_path, "--methods", "nearest-mean")) == 0
    assert "0 cell(s) computed, 6 already stored" in capsys.readouterr().err
    assert {r["cell"]: r["finished"] for r in stored(tmp_path)} == first


def test_failing_plugin_is_recorded_and_the_rest_completes(tmp_path, capsys, run_args, stored):
    assert main(run_args(tmp_path, "--methods", "explode,nearest-mean")) == 1
    records = stored(tmp_path)
    failed = [r for r in records if r["status"] == "failed"]
    assert failed and all(r["method"] == "explode" for r in failed)
    assert "boom: this plugin always fails" in failed[0]["error"]
    assert "Traceback" in failed[0]["traceback"]
    assert sum(r["status"] == "ok" for r in records) == 6
    report = (tmp_path / "reports" / "r" / "README.md").read_text()
    assert "## Failed cells" in report and "| nearest-mean" in report
    assert "| explode" in report and "failed" in report


def test_load_results_gives_every_cell_as_a_dataframe(tmp_path, capsys, run_args, stored):
    assert main(run_args(tmp_path, "--methods", "explode,nearest-mean")) == 1
    cells = ferbench.load_results(tmp_path / "runs" / "r")
    assert len(cells) == len(stored(tmp_path)) == 12
    ok = cells[cells.status == "ok"]
    assert set(ok.method) == {"nearest-mean"} and ok.accuracy.between(0, 1).all()
    failed = cells[cells.status == "failed"]
    assert failed.accuracy.isna().all() and failed.error.str.contains("boom").all()
    within_b = ok[(ok.protocol == "within") & (ok.train == "toy-b")]
    assert sorted(within_b.fold) == [0, 1, 2]
    with pytest.raises(FileNotFoundError, match="holds no results"):
        ferbench.load_results(tmp_path / "nowhere")


def test_second_run_on_the_same_directory_is_refused(tmp_path, capsys, run_args):
    with ResultStore(tmp_path / "runs" / "r").locked():
        assert main(run_args(tmp_path, "--methods", "nearest-mean")) == 2
    assert "is in use by another ferbench run" in capsys.readouterr().err


def test_unknown_method_suggests_and_bad_setting_is_explained(tmp_path, capsys, run_args):
    assert main(run_args(tmp_path, "--methods", "nearest-men")) == 2
    assert "did you mean 'nearest-mean'" in capsys.readouterr().err
    assert main(run_args(tmp_path, "--methods", "svm", "--set", "svm=3")) == 2
    assert "expected NAME.PARAM=VALUE" in capsys.readouterr().err
    assert main(run_args(tmp_path, "--methods", "svm", "--set", "svn.C=3")) == 2
    assert "neither a method nor a dataset" in capsys.readouterr().err
    assert not (tmp_path / "runs" / "r" / "results").exists()


def within_knn(run_args, tmp_path, k):
    return run_args(tmp_path, "--methods", "knn", "--datasets", "toy-a", "--protocol", "within",
                    "--set", f"knn.k={k}")


def test_new_parameters_supersede_the_stored_cells_and_the_old_ones_come_back(tmp_path, capsys,
                                                                              stored, run_args):
    assert main(within_knn(run_args, tmp_path, 3)) == 0
    assert main(within_knn(run_args, tmp_path, 5)) == 0
    assert [r["params"]["k"] for r in stored(tmp_path)] == [5]
    superseded = ResultStore(tmp_path / "runs" / "r").superseded_dir
    assert [json.loads(p.read_text())["params"]["k"] for p in superseded.glob("*.json")] == [3]
    report = (tmp_path / "reports" / "r" / "README.md").read_text()
    assert "| knn" in report and "parameter sets" not in report
    capsys.readouterr()
    assert main(within_knn(run_args, tmp_path, 3)) == 0
    assert "0 cell(s) computed, 1 already stored" in capsys.readouterr().err
    assert [r["params"]["k"] for r in stored(tmp_path)] == [3]


def test_a_changed_method_default_recomputes_its_cells(tmp_path, capsys, monkeypatch, run_args,
                                                       stored):
    from ferbench import create_method

    knn_init = type(create_method("knn")).__init__
    within_a = ["--methods", "knn", "--datasets", "toy-a", "--protocol", "within"]
    assert main(run_args(tmp_path, *within_a)) == 0
    assert main(run_args(tmp_path, *within_a)) == 0
    assert "0 cell(s) computed, 1 already stored" in capsys.readouterr().err
    [before] = stored(tmp_path)
    parameters = inspect.signature(knn_init).parameters.items()
    defaults = {name: p.default for name, p in parameters if p.default is not p.empty}
    monkeypatch.setattr(knn_init, "__defaults__", tuple({**defaults, "k": 3}.values()))
    assert main(run_args(tmp_path, *within_a)) == 0
    assert "1 cell(s) computed, 0 already stored" in capsys.readouterr().err
    [after] = stored(tmp_path)
    assert after["params_key"] != before["params_key"]
    superseded = ResultStore(tmp_path / "runs" / "r").superseded_dir
    assert [p.stem for p in superseded.glob("*.json")] == [before["cell"]]


def test_a_raised_method_revision_recomputes_its_cells(tmp_path, capsys, monkeypatch, run_args,
                                                       stored):
    from ferbench.core.registry import METHODS

    within_a = ["--methods", "knn", "--datasets", "toy-a", "--protocol", "within"]
    assert main(run_args(tmp_path, *within_a)) == 0
    [before] = stored(tmp_path)
    assert before["revision"] == 1
    revised = dataclasses.replace(METHODS.get("knn"), revision=2)
    monkeypatch.setitem(METHODS._entries, "knn", revised)
    capsys.readouterr()
    assert main(run_args(tmp_path, *within_a)) == 0
    assert "1 cell(s) computed, 0 already stored" in capsys.readouterr().err
    [after] = stored(tmp_path)
    assert after["revision"] == 2 and after["params"] == before["params"]
    assert after["params_key"] != before["params_key"]
    superseded = ResultStore(tmp_path / "runs" / "r").superseded_dir
    assert [p.stem for p in superseded.glob("*.json")] == [before["cell"]]


def test_a_row_pooling_two_parameter_sets_is_marked(tmp_path, run_args):
    assert main(within_knn(run_args, tmp_path / "one", 3)) == 0
    assert main(within_knn(run_args, tmp_path / "two", 5)) == 0
    merged = tmp_path / "merged"
    assert main(["report", str(tmp_path / "one" / "runs" / "r"),
                 str(tmp_path / "two" / "runs" / "r"), "--to", str(merged)]) == 0
    readme = (merged / "README.md").read_text()
    knn_row = next(line for line in readme.splitlines() if line.startswith("| knn"))
    assert "⚠ 2 parameter sets" in knn_row
    assert "rerun its command to the end" in readme


def test_killed_run_resumes_to_the_same_results(tmp_path, run_args, stored):
    command = [sys.executable, "-m", "ferbench.cli", *run_args(tmp_path, "--methods", "sleepy",
                                                              "--set", "sleepy.delay=0.6")]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, env=dict(os.environ))
    results = tmp_path / "runs" / "r" / "results"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(results.glob("*.json"))) < 2:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = {p.name for p in results.glob("*.json")}
    assert 2 <= len(partial) < 6, "the run should have been killed mid-way"
    for path in results.glob("*.json"):
        json.loads(path.read_text())  # every stored record is complete JSON

    resumed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{6 - len(partial)} cell(s) computed, {len(partial)} already stored" in resumed.stderr

    uninterrupted = tmp_path / "clean"
    clean = subprocess.run(
        [sys.executable, "-m", "ferbench.cli", *run_args(uninterrupted, "--methods", "sleepy",
                                                         "--set", "sleepy.delay=0")],
        capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stderr

    def outcome(records):
        return sorted((r["protocol"], r["train"], r["test"], r["fold"], r["y_pred"])
                      for r in records)

    assert outcome(stored(tmp_path)) == outcome(stored(uninterrupted))


def test_missing_real_dataset_fails_fast_naming_root_and_docs(tmp_path, capsys, run_args):
    code = main(run_args(tmp_path, "--methods", "svm", "--datasets", "toy-a,fer2013",
                         "--data-root", str(tmp_path / "nowhere")))
    assert code == 2
    err = capsys.readouterr().err
    assert "fer2013" in err and str(tmp_path / "nowhere") in err and "datasets/README.md" in err
    assert not (tmp_path / "runs" / "r" / "results").exists()


@pytest.mark.parametrize("command", [["--help"], ["run", "--help"], ["list", "--help"],
                                     ["report", "--help"], ["datasets", "--help"]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(command)
    assert exit_info.value.code == 0
    assert "usage: ferbench" in capsys.readouterr().out


def test_report_regenerates_from_stored_results_alone(tmp_path, capsys, run_args):
    assert main(run_args(tmp_path, "--methods", "nearest-mean")) == 0
    readme = tmp_path / "reports" / "r" / "README.md"
    expected = readme.read_text()
    readme.unlink()
    assert main(["report", str(tmp_path / "runs" / "r"), "--to", str(readme.parent)]) == 0
    assert readme.read_text() == expected


def test_parallel_jobs_give_the_same_results(tmp_path, run_args, stored):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    assert main(run_args(serial, "--methods", "svm,nearest-mean")) == 0
    assert main(run_args(parallel, "--methods", "svm,nearest-mean", "--jobs", "2")) == 0

    def outcome(records):
        return sorted((r["method"], r["protocol"], r["train"], r["test"], r["fold"], r["y_pred"])
                      for r in records)

    assert outcome(stored(parallel)) == outcome(stored(serial))
    assert main(run_args(parallel, "--methods", "svm", "--jobs", "0")) == 2


def test_report_merges_several_run_directories(tmp_path, capsys, run_args):
    assert main(run_args(tmp_path / "one", "--methods", "nearest-mean")) == 0
    assert main(run_args(tmp_path / "two", "--methods", "knn", "--protocol", "within")) == 0
    merged = tmp_path / "merged"
    assert main(["report", str(tmp_path / "one" / "runs" / "r"),
                 str(tmp_path / "two" / "runs" / "r"), "--to", str(merged)]) == 0
    readme = (merged / "README.md").read_text()
    assert "| nearest-mean" in readme and "| knn" in readme
    assert readme.count("`ferbench run --plugins") == 2
    assert main(["report", str(tmp_path / "nothing-here")]) == 2
    assert "holds no results" in capsys.readouterr().err


@pytest.mark.parametrize("setting, problem", [("svm.bogus=1", "unexpected keyword"),
                                              ("svm.C=-1", "C must be > 0")])
def test_bad_method_parameter_stops_before_any_data_is_read(tmp_path, capsys, setting, problem):
    started = time.perf_counter()
    code = main(["run", "--methods", "knn,svm", "--datasets", "fer2013", "--set", setting,
                 "--data-root", str(tmp_path / "no-data-here"), "--out", str(tmp_path / "r")])
    error = capsys.readouterr().err
    assert code == 2 and time.perf_counter() - started < 10
    assert problem in error and "method 'svm'" in error
    assert "Its parameters (defaults): C=10.0" in error and "features='hog+landmarks'" in error
    assert "not found under data root" not in error
    assert not (tmp_path / "r").exists()


def test_a_fit_stopped_by_a_time_cap_is_incomplete_unranked_and_recomputed(tmp_path, capsys,
                                                                           run_args, stored):
    args = run_args(tmp_path, "--methods", "capped,nearest-mean", "--datasets", "toy-a",
                    "--protocol", "within")
    assert main(args) == 0
    assert "1 incomplete (a time cap stopped training" in capsys.readouterr().err
    status = {r["method"]: r["status"] for r in stored(tmp_path)}
    assert status == {"capped": "incomplete", "nearest-mean": "ok"}
    report = (tmp_path / "reports" / "r" / "README.md").read_text()
    leaderboard = report.split("## Within-dataset leaderboard")[1].split("##")[0]
    capped_row = next(line for line in leaderboard.splitlines() if line.startswith("| capped"))
    assert "incomplete" in capped_row and not any(c.isdigit() for c in capped_row)
    assert "Significance tests" not in report or "capped" not in report.split(
        "Significance tests")[1].split("\n")[0]
    incomplete = report.split("## Incomplete cells")[1].split("##")[0]
    assert "**capped** within toy-a → toy-a (seed 0): `a time cap stopped training" in incomplete
    assert main(args) == 0
    assert "0 cell(s) computed, 1 already stored, 0 failed, 1 incomplete" \
        in capsys.readouterr().err
