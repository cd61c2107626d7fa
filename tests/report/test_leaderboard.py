"""The README leaderboard: what a reader compares methods by."""

from __future__ import annotations

from ferbench.report import calibration, leaderboard, results_csv
from ferbench.report.data import ReportData
from ferbench.report.leaderboard import provenance, within_table
from tests.report.records import ANGER, HAPPINESS, answers, cell, failed


def _rows(table: str) -> dict[str, list[str]]:
    """Method → its cells, from a markdown table."""
    lines = [line.split("|")[1:-1] for line in table.splitlines()[2:]]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in lines}


def _methods(table: str) -> list[str]:
    return list(_rows(table))


def test_rows_are_sorted_by_mean_macro_f1_not_accuracy_or_name():
    y_true = [ANGER] * 80 + [HAPPINESS] * 20
    always_anger = [ANGER] * 100  # accuracy 0.80, macro-F1 0.44
    balanced = [ANGER] * 55 + [HAPPINESS] * 45  # accuracy 0.75, macro-F1 0.72
    records = [cell("always-anger", y_true, always_anger), cell("balanced", y_true, balanced),
               failed("broken")]
    table = within_table(ReportData(records, []))
    assert _methods(table) == ["balanced", "always-anger", "broken"]
    assert _rows(table)["broken"][2:] == ["failed", "failed"]


def test_mean_over_datasets_decides_the_order():
    records = [cell("a", *answers(90), train="d1"), cell("a", *answers(50), train="d2"),
               cell("b", *answers(75), train="d1"), cell("b", *answers(75), train="d2")]
    assert _methods(within_table(ReportData(records, []))) == ["b", "a"]


def test_methods_tied_with_the_best_are_bold_and_the_comparisons_named():
    records = [cell("best", *answers(95)), cell("close", *answers(93)),
               cell("far", *answers(40))]
    data = ReportData(records, [])
    rows = _rows(within_table(data))
    assert rows["best"][2].startswith("**0.950 [")
    assert rows["close"][2].startswith("**0.930 [")
    assert rows["far"][2].startswith("0.400 [")
    assert "Significance tests: d: best best, 2 comparison(s)." in leaderboard.render(data, {})


def test_several_seeds_show_mean_and_std_and_say_so():
    records = [cell("m", *answers(80), seed=0), cell("m", *answers(70), seed=1)]
    data = ReportData(records, [])
    assert _rows(within_table(data))["m"][2].startswith("**0.750 ± 0.050 [")
    assert "`mean ± std` is across seeds." in leaderboard.render(data, {})


def test_a_row_pooling_several_parameter_sets_is_marked_and_explained():
    mixed = [cell("m", *answers(80), fold=0, params_key="p0"),
             cell("m", *answers(80), fold=1, params_key="p1")]
    data = ReportData(mixed, [])
    assert _rows(within_table(data))["m"][2].endswith("⚠ 2 parameter sets")
    assert "⚠ k parameter sets: the row pools cells" in leaderboard.render(data, {})
    same = ReportData([{**r, "params_key": "p0"} for r in mixed], [])
    assert "⚠" not in leaderboard.render(same, {})


def test_failed_cells_are_listed_with_their_error():
    records = [cell("ok", *answers(80)),
               failed("bad", protocol="cross", train="d", test="e", fold=2, error="Boom: x")]
    page = leaderboard.render(ReportData(records, []), {})
    assert "## Failed cells" in page
    assert "- **bad** cross d → e fold 2 (seed 0): `Boom: x`" in page
    assert "## Failed cells" not in leaderboard.render(ReportData(records[:1], []), {})


def test_ensembles_are_compared_with_their_best_member():
    y_true, member = answers(60)
    records = [cell("a", y_true, member), cell("b", *answers(50)),
               cell("a+b", *answers(90), ensemble=["a", "b"])]
    page = leaderboard.render(ReportData(records, []), {})
    section = page.split("## Ensembles against their best member")[1]
    row = next(line for line in section.splitlines() if line.startswith("| a+b"))
    cells = [c.strip() for c in row.split("|")[1:-1]]
    assert cells[:6] == ["a+b", "d", "0.900", "a 0.600", "+0.300", "30 / 0"]
    assert cells[6].endswith(" *")  # significant at α = 0.05


def test_pages_are_linked_in_the_order_given_and_provenance_is_listed():
    runs = [{"dir": "runs/r", "info": {}},
            {"dir": "runs/s", "info": {"command": "ferbench run", "started": "today",
                                       "git_commit": "abc", "versions": {"numpy": "2"},
                                       "data": {"d": {"test": {"n": 100,
                                                               "fingerprint": "f" * 40}}},
                                       "variants": {"d": "v1"}}}]
    page = leaderboard.render(ReportData([cell("m", *answers(80))], runs),
                              {"cross.md": "cross-database", "results.csv": "all cells"})
    assert "Pages: [cross-database](cross.md) · [all cells](results.csv)" in page
    assert "- run `runs/r`: no provenance recorded" in page
    assert ("- `ferbench run` (started today, run directory `runs/s`; computed 0 of the 1 "
            "cells)") in page
    assert f"  - data d (v1): test 100; fingerprints test `{'f' * 12}`" in page


def _invocation(commit: str, started: str) -> dict:
    return {"dir": "runs/r", "info": {"command": "ferbench run", "started": started,
                                      "git_commit": commit}}


def test_each_invocation_says_how_many_cells_it_computed_and_one_commit_gives_no_warning():
    runs = [_invocation("abc", "2026-12-04T10:00:00+00:00")]
    records = [cell(m, *answers(80), finished="2026-12-04T11:00:00+00:00") for m in "ab"]
    lines = provenance(ReportData(records, runs))
    assert lines[0].endswith("run directory `runs/r`; computed 2 of the 2 cells)")
    assert not any("commits" in line for line in lines)
    assert set(results_csv.frame(ReportData(records, runs))["commit"]) == {"abc"}


def test_cells_reused_from_an_earlier_commits_invocation_are_counted_and_flagged():
    runs = [_invocation("old", "2026-12-04T10:00:00+00:00"),
            _invocation("new", "2026-12-04T12:00:00+00:00")]
    records = [cell("a", *answers(80), finished="2026-12-04T11:00:00+00:00"),
               cell("b", *answers(70), finished="2026-12-04T12:00:00+00:00"),
               cell("c", *answers(60), finished="2026-12-04T13:00:00+00:00")]
    data = ReportData(records, runs)
    lines = provenance(data)
    assert lines[0].startswith("**Cells from 2 commits** (`new` 2, `old` 1): this report is "
                               "not one run of one commit")
    computed = [line for line in lines if line.startswith("- `ferbench run`")]
    assert computed[0].endswith("computed 1 of the 3 cells)")
    assert computed[1].endswith("computed 2 of the 3 cells)")
    commits = results_csv.frame(data).set_index("method")["commit"]
    assert commits.to_dict() == {"a": "old", "b": "new", "c": "new"}


def test_provenance_breaks_skipped_samples_down_by_reason_once_per_dataset(tmp_path):
    facts = {"skipped": 9, "skipped_by_reason": {"unknown label …": 7, "no face found": 2},
             "skipped_examples": {"unknown label …": ["a.csv line 3"], "no face found": ["x.jpg"]}}
    parts = {p: {"n": 10, "fingerprint": "0" * 32, "provenance": facts}
             for p in ("train", "val", "test")}
    runs = [{"dir": str(tmp_path), "info": {"data": {"mine": parts}, "variants": {}}}]
    [line] = [line for line in provenance(ReportData([], runs)) if "data mine" in line]
    assert ("9 bad samples skipped: unknown label … 7 (e.g. a.csv line 3); no face found 2 "
            "(e.g. x.jpg)") in line


def test_a_pretrained_models_rows_are_marked_and_explained_only_when_present():
    mark = "hsemotion — pretrained (training data not controlled)"
    records = [cell("hsemotion", *answers(90), family="pretrained", proba=True),
               cell("svm", *answers(80), family="classical", proba=True),
               cell("hsemotion+svm", *answers(85), family="classical+pretrained")]
    data = ReportData(records, [])
    assert _methods(within_table(data)) == [
        mark, "hsemotion+svm — pretrained (training data not controlled)", "svm"]
    readme = leaderboard.render(data, {})
    assert "may include faces the model was trained on" in readme
    assert f"| {mark}" in leaderboard.timing_table(data)
    assert f"| {mark}" in calibration.calibration_table(data)
    assert results_csv.frame(data).set_index("method")["pretrained"].to_dict() == {
        "hsemotion": True, "hsemotion+svm": True, "svm": False}
    plain = ReportData(records[1:2], [])
    assert "trained on" not in leaderboard.render(plain, {}) and not plain.pretrained_note()
