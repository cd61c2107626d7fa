"""Budgets: named presets per method, resolved per run, recorded per cell, shown per row."""

import pytest

from ferbench.cli import main
from ferbench.core.budgets import resolve_budget
from ferbench.core.errors import PluginError
from ferbench.core.registry import Registry
from ferbench.report.data import ReportData
from ferbench.report.leaderboard import within_table


def test_auto_budget_is_quick_only_when_every_dataset_is_embedded():
    assert resolve_budget("auto", [True, True]) == "quick"
    assert resolve_budget("auto", [True, False]) == "standard"
    assert resolve_budget("full", [True]) == "full"
    with pytest.raises(ValueError, match="--budget 'huge' is not one of auto, quick"):
        resolve_budget("huge", [True])


def test_explicit_parameters_override_the_budget_preset():
    registry = Registry("method")
    registry.register("m", budgets={"quick": {"epochs": 2, "lr": 0.1}, "full": {"epochs": 9}})(
        dict)
    entry = registry.get("m")
    assert entry.params_for("quick", {"epochs": 5}) == {"epochs": 5, "lr": 0.1}
    assert entry.params_for(None, {"epochs": 5}) == {"epochs": 5}
    with pytest.raises(ValueError, match="m has no budget 'standard'; it has quick, full"):
        entry.params_for("standard", {})


def test_a_preset_for_an_unknown_budget_is_a_plugin_error():
    with pytest.raises(PluginError, match="method 'm' registers unknown budget"):
        Registry("method").register("m", budgets={"huge": {}})(dict)


def test_each_cell_records_its_budget_and_the_leaderboard_shows_it(tmp_path, capsys, run_args,
                                                                   stored):
    assert main(run_args(tmp_path, "--methods", "sleepy,nearest-mean", "--protocol", "within",
                         "--budget", "quick")) == 0
    records = stored(tmp_path)
    sleepy = [r for r in records if r["method"] == "sleepy"]
    assert {r["budget"] for r in sleepy} == {"quick"}
    assert {r["params"]["delay"] for r in sleepy} == {0.01}
    assert {r["budget"] for r in records if r["method"] == "nearest-mean"} == {None}
    report = (tmp_path / "reports" / "r" / "README.md").read_text()
    assert "| method       | features   | budget" in report
    assert "| sleepy       | pixels     | quick" in report
    assert "| nearest-mean | pixels     | —" in report


def test_real_datasets_default_to_the_standard_budget(tmp_path, capsys, run_args, stored):
    assert main(run_args(tmp_path, "--methods", "sleepy", "--protocol", "within")) == 0
    assert "budget: standard" in capsys.readouterr().err
    assert {r["params"]["delay"] for r in stored(tmp_path)} == {0.02}


def _record(stopped_by: str, fold: int) -> dict:
    return {"method": "net", "protocol": "within", "train": "d", "test": "d", "status": "ok",
            "seed": 0, "fold": fold, "classes": ["happiness", "sadness"], "y_true": [3, 4, 3, 4],
            "y_pred": [3, 4, 4, 4], "budget": "standard", "n_train": 4, "fit_seconds": 1.0,
            "predict_seconds": 0.1, "method_info": {"stopped_by": stopped_by}}


def test_a_time_capped_fit_is_marked_in_the_leaderboard_row():
    table = within_table(ReportData([_record("time_budget", 0), _record("epochs", 1)], []))
    row = next(line for line in table.splitlines() if line.startswith("| net"))
    assert "standard" in row and "⏱ capped 1/2" in row
    clean = within_table(ReportData([_record("epochs", 0)], []))
    assert "capped" not in clean
