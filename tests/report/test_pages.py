"""The written report: a page per analysis that has data, figures under the names the pages
link, and a results.csv pandas reads in one call."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from ferbench.report import plots
from ferbench.report.data import ReportData
from ferbench.report.results_csv import CELL_COLUMNS
from ferbench.report.write import write
from tests.report.records import answers, cell, failed

ALWAYS = ["cross.md", "per_class.md", "confusion.md", "results.csv"]
OPTIONAL = ["calibration.md", "curves.md", "robustness.md", "explanations.md"]


def _every_analysis(run_dir: Path) -> list[dict]:
    """Cells for every page: scores, cross, a corruption, a learning curve, a gallery."""
    run_dir.mkdir()
    (run_dir / "gallery.png").write_bytes(b"a png")
    base = {"run_dir": str(run_dir)}
    return [
        cell("svm", *answers(80), proba=True, family="classical", **base),
        cell("svm", *answers(70), train="e", **base),
        cell("svm", *answers(60), protocol="cross", test="e", proba=True,
             excluded={"test_only": {"surprise": 10}, "train_only": ["neutral"]}, **base),
        cell("svm", *answers(50), protocol="robust", corruption="blur", severity=2, **base),
        cell("svm", *answers(70), protocol="curve", train_fraction=0.5, family="classical",
             **base),
        cell("cnn+svm", *answers(90), proba=True, family="deep", gallery="gallery.png",
             gallery_public=True, **base),
        failed("explode"),
    ]


@pytest.fixture(scope="module")
def full_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report of :func:`_every_analysis`, written once for the tests that read it."""
    root = tmp_path_factory.mktemp("report")
    write(ReportData(_every_analysis(root / "run"), []), root / "out")
    return root / "out"


def _links(page: str) -> list[str]:
    return re.findall(r"\]\(([^)]+)\)", page)


def test_only_the_pages_with_data_are_written_and_linked(tmp_path):
    readme = write(ReportData([cell("svm", *answers(80))], []), tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    assert written == sorted(["README.md", *ALWAYS])
    assert _links(readme.read_text()) == ALWAYS


def test_every_analysis_gets_a_linked_page(full_report):
    assert _links((full_report / "README.md").read_text()) == [*ALWAYS, *OPTIONAL]
    assert all((full_report / name).is_file() for name in ALWAYS + OPTIONAL)


def test_figures_are_written_under_the_names_the_pages_link(full_report):
    out = full_report
    linked = {link for page in out.glob("*.md") for link in _links(page.read_text())
              if link.startswith("img/")}
    drawn = {f"img/{p.name}" for p in (out / "img").iterdir()}
    assert linked == drawn
    assert {"img/confusion__cnn_svm__d.png", "img/cross__svm.png", "img/reliability__d.png",
            "img/robustness__d.png", "img/curves__d.png", "img/gallery__cnn_svm__d.png"} <= drawn
    assert (out / "img" / "gallery__cnn_svm__d.png").read_bytes() == b"a png"
    assert (out / "img" / "cross__svm.png").read_bytes()[:4] == b"\x89PNG"


def test_excluded_classes_are_noted_on_the_cross_page(full_report):
    page = (full_report / "cross.md").read_text()
    assert "## Classes excluded from scoring" in page
    assert ("- d → e: test-only classes dropped: surprise (10 faces); train-only classes not "
            "predicted: neutral") in page
    assert "| d                | *0.800 / 0.800* | 0.600 / 0.600 |" in page


def test_licensed_faces_stay_out_of_the_report(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "gallery.png").write_bytes(b"a png")
    record = cell("cnn", *answers(90), gallery="gallery.png", gallery_public=False,
                  run_dir=str(tmp_path / "run"))
    write(ReportData([record], []), tmp_path / "out")
    page = (tmp_path / "out" / "explanations.md").read_text()
    assert "Not copied into the report: d's faces belong to its licence holders." in page
    assert not list((tmp_path / "out" / "img").glob("gallery__*"))


def test_results_csv_has_one_row_per_cell_with_the_documented_columns(tmp_path):
    records = [cell("svm", *answers(80), fold=0, budget="quick",
                    method_info={"features": "hog", "stopped_by": "time_budget"}),
               cell("svm", *answers(60), fold=1), failed("explode", error="Boom: x")]
    write(ReportData(records, []), tmp_path)
    cells = pd.read_csv(tmp_path / "results.csv")
    assert list(cells.columns) == list(CELL_COLUMNS)
    assert len(cells) == 3
    explode = cells[cells.method == "explode"].iloc[0]
    assert explode.status == "failed" and explode.error == "Boom: x"
    assert pd.isna(explode.accuracy)
    svm = cells[cells.method == "svm"].sort_values("fold")
    assert svm.accuracy.tolist() == pytest.approx([0.8, 0.6])
    assert svm.capped.tolist() == [True, False] and svm.features.tolist()[0] == "hog"


def test_draw_each_names_each_figure_after_its_key(tmp_path):
    (tmp_path / "img").mkdir()
    drawn = []
    images = plots.draw_each(tmp_path, "kind", {("a b", "d/x"): 1, ("c", "d"): 2}, "{} on {}",
                             lambda value, title, path: drawn.append((value, title, path)))
    assert images == {("a b", "d/x"): "img/kind__a_b__d_x.png", ("c", "d"): "img/kind__c__d.png"}
    assert drawn == [(1, "a b on d/x", tmp_path / images["a b", "d/x"]),
                     (2, "c on d", tmp_path / images["c", "d"])]


def test_per_class_and_confusion_pages_show_each_cross_pair_after_the_within_datasets(
        full_report):
    per_class = (full_report / "per_class.md").read_text()
    assert per_class.index("## d\n") < per_class.index("## d → e\n")
    confusion = (full_report / "confusion.md").read_text()
    assert confusion.index("## svm on d\n") < confusion.index("## svm on d → e\n")
    assert "![svm on d → e](img/confusion__svm__d_e.png)" in confusion


def test_a_cross_only_run_says_where_its_scores_are_and_still_times_its_fits(tmp_path):
    readme = write(ReportData([cell("svm", *answers(60), protocol="cross", test="e")], []),
                   tmp_path).read_text()
    leaderboard = readme.split("## Within-dataset leaderboard")[1].split("##")[0]
    assert "`--protocol cross`" in leaderboard and "(cross.md)" in leaderboard
    assert "|" not in leaderboard
    timing = readme.split("## Timing")[1].split("##")[0]
    assert "| svm      | d → e     | 50" in timing
    per_class = (tmp_path / "per_class.md").read_text()
    assert "## d → e" in per_class and "0.600" in per_class
    assert "## svm on d → e" in (tmp_path / "confusion.md").read_text()


def test_no_per_class_or_confusion_page_without_a_scored_cell(tmp_path):
    write(ReportData([failed("explode")], []), tmp_path)
    assert not (tmp_path / "per_class.md").exists()
    assert not (tmp_path / "confusion.md").exists()
