"""A report is written whole or not at all, and reads nothing outside its run directories."""

from __future__ import annotations

import pytest

from ferbench.report import results_csv
from ferbench.report.data import ReportData
from ferbench.report.write import write
from tests.report.records import answers, cell


def test_a_report_interrupted_mid_write_keeps_the_previous_whole_files(tmp_path, monkeypatch):
    write(ReportData([cell("svm", *answers(80))], []), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert {"README.md", "results.csv", "cross.md"} <= set(before)

    def killed_halfway(data, path):
        path.write_text("method,proto")
        raise KeyboardInterrupt

    monkeypatch.setattr(results_csv, "write_csv", killed_halfway)
    with pytest.raises(KeyboardInterrupt):
        write(ReportData([cell("svm", *answers(60)), cell("knn", *answers(70))], []), tmp_path)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after["results.csv"] == before["results.csv"]
    assert after["README.md"] == before["README.md"]
    assert set(after) == set(before)  # no temporary file left behind


@pytest.mark.parametrize("named", ["../../etc/passwd", "/etc/passwd", "img/../../outside.png"])
@pytest.mark.parametrize("public", [True, False])
def test_a_gallery_named_outside_its_run_directory_is_refused(tmp_path, named, public):
    run = tmp_path / "runs" / "r"
    run.mkdir(parents=True)
    (tmp_path / "runs" / "outside.png").write_bytes(b"not the run's")
    record = cell("cnn", *answers(90), gallery=named, gallery_public=public, run_dir=str(run))
    with pytest.raises(ValueError, match=f"record of cell {record['cell']!r} names the "
                                         f"explanation gallery {named!r}, which is not a file "
                                         f"inside the run directory"):
        write(ReportData([record], []), tmp_path / "out")
    assert not (tmp_path / "out" / "explanations.md").exists()


def test_a_gallery_inside_its_run_directory_is_copied(tmp_path):
    run = tmp_path / "run"
    (run / "explanations").mkdir(parents=True)
    (run / "explanations" / "g.png").write_bytes(b"a png")
    record = cell("cnn", *answers(90), gallery="explanations/g.png", gallery_public=True,
                  run_dir=str(run))
    write(ReportData([record], []), tmp_path / "out")
    copied = list((tmp_path / "out" / "img").glob("gallery__*.png"))
    assert [p.read_bytes() for p in copied] == [b"a png"]
