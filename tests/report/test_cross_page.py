"""The cross page as CD-FER prints it: sources as rows, their within cell first, a mean across
the targets; and, with RAF-DB as source, the published CD-FER rows beside ours, shown but
never ranked."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

from ferbench.report import cross, reference
from ferbench.report.data import ReportData
from ferbench.report.write import write
from tests.report.records import answers, cell, failed


def _row(page: str, first: str) -> list[str]:
    line = next(line for line in page.splitlines() if line.startswith(f"| {first} "))
    return [part.strip() for part in line.strip("|").split("|")]


def test_the_mean_column_averages_the_targets_not_the_within_cell():
    data = ReportData([cell("svm", *answers(90), train="src"),
                       cell("svm", *answers(60), protocol="cross", train="src", test="b"),
                       cell("svm", *answers(40), protocol="cross", train="src", test="a")], [])
    page = cross.cross_table(data, "svm")
    assert _row(page, "train ↓ test →") == ["train ↓ test →", "src", "a", "b",
                                               "mean across targets"]
    assert _row(page, "src") == ["src", "*0.900 / 0.900*", "0.400 / 0.400", "0.600 / 0.600",
                                 "0.500 / 0.500"]


def test_a_target_without_a_score_is_counted_out_of_the_mean():
    data = ReportData([cell("svm", *answers(60), protocol="cross", train="src", test="a"),
                       failed("svm", protocol="cross", train="src", test="b")], [])
    assert _row(cross.cross_table(data, "svm"), "src")[1:] == [
        "0.600 / 0.600", "failed / failed", "0.600 / 0.600 (1 of 2 targets)"]


def _rafdb_run(run_dir: Path) -> list[dict]:
    return [cell("svm", *answers(80), train="rafdb", run_dir=str(run_dir)),
            cell("svm", *answers(55), protocol="cross", train="rafdb", test="ckplus",
                 run_dir=str(run_dir)),
            cell("svm", *answers(45), protocol="cross", train="rafdb", test="jaffe",
                 run_dir=str(run_dir)),
            cell("svm", *answers(30), protocol="cross", train="rafdb", test="affectnet",
                 run_dir=str(run_dir))]


@pytest.fixture(scope="module")
def rafdb_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cdfer")
    (root / "run").mkdir()
    write(ReportData(_rafdb_run(root / "run"), []), root / "out")
    return root / "out"


def test_published_rows_stand_beside_ours_on_the_shared_targets(rafdb_report):
    page = (rafdb_report / "cross.md").read_text()
    section = page[page.index("## Beside published results: rafdb as source"):]
    assert _row(section, "rafdb → target") == ["rafdb → target", "ckplus", "jaffe",
                                                  "mean of these targets"]
    assert _row(section, "svm") == ["svm", "55.00", "45.00", "50.00"]
    assert _row(section, "*ResNet-50,") == ["*ResNet-50, mean of methods (published)*",
                                            "*75.87*", "*54.30*", "*65.09*"]
    assert _row(section, "*ResNet-18,")[0] == "*ResNet-18, mean of methods (published)*"
    assert _row(section, "*MobileNet")[1:] == ["*60.78*", "*45.15*", "*52.97*"]
    assert "AGRA" not in section.split("Citation")[0]  # only the mean-of-methods rows
    assert "validation splits" in section and "all of JAFFE" in section
    assert "TPAMI 2021" in section


def test_published_numbers_never_enter_the_leaderboard_or_the_csv(rafdb_report):
    for name in ("README.md", "results.csv", "per_class.md", "confusion.md"):
        text = (rafdb_report / name).read_text()
        assert "75.87" not in text and "ResNet-50" not in text, name


def test_no_published_section_without_rafdb_as_source(tmp_path):
    records = [cell("svm", *answers(55), protocol="cross", train="fer2013", test="ckplus"),
               cell("svm", *answers(55), protocol="cross", train="ckplus", test="rafdb")]
    write(ReportData(records, []), tmp_path)
    assert "Beside published results" not in (tmp_path / "cross.md").read_text()
    unshared = [cell("svm", *answers(55), protocol="cross", train="rafdb", test="affectnet")]
    write(ReportData(unshared, []), tmp_path)
    assert "Beside published results" not in (tmp_path / "cross.md").read_text()


def test_the_published_table_ships_inside_the_package():
    shipped = files("ferbench.report").joinpath(reference.FILE)
    assert shipped.is_file()
    assert Path(reference.__file__).with_name(reference.FILE).read_text() == shipped.read_text()
    rows = reference.published("rafdb")
    assert [r.backbone for r in rows] == ["ResNet-50", "ResNet-18", "MobileNet V2"]
    assert rows[0].accuracy == {"ckplus": 75.87, "jaffe": 54.30, "sfew": 54.49,
                                "fer2013": 54.82, "expw": 62.09}
    assert [r.accuracy["ckplus"] for r in reference.published("rafdb", "AGRA")] == [
        85.27, 77.52, 72.87]
    assert reference.published("fer2013") == []
    assert reference.citation().startswith("Published cross-domain FER results")
