"""`ferbench datasets` reports: the inventory of the data root and the leak audit."""

from __future__ import annotations

import re

from ferbench.data.inventory import audit_report, inventory_report
from tests.datasets.csv_layouts import fer2013_line, fer2013_lines, write_fer2013_csv
from tests.datasets.data_context import context
from tests.datasets.folder_layouts import write_ck48
from tests.datasets.label_list_layouts import write_rafdb_basic


def test_inventory_shows_found_counts_and_what_is_missing_where(tmp_path):
    ctx = context(tmp_path)
    write_fer2013_csv(ctx.data_root, fer2013_lines(14, 7, 7))
    write_ck48(ctx.data_root, {"anger": ["S010_004_00000017.png"],
                               "happy": ["S011_006_00000013.png", "S011_006_00000014.png"]})
    label_file = ctx.data_root / "rafdb" / "EmoLabel" / "list_patition_label.txt"
    label_file.parent.mkdir(parents=True)
    label_file.write_text("train_00001.jpg 1\n")
    report = inventory_report(["fer2013", "ckplus", "rafdb", "ferplus"], ctx)
    rows = {cells[1].strip(): [c.strip() for c in cells[2:-1]]
            for cells in (line.split("|") for line in report.splitlines())
            if len(cells) > 2 and cells[1].strip() in {"fer2013", "ckplus", "rafdb", "ferplus"}}
    assert rows["fer2013"][:6] == ["found", "csv", "14", "7", "7", "28"]
    assert rows["ckplus"][:6] == ["found", "ck+48", "3", "—", "— (10-fold by subject)", "3"]
    assert rows["rafdb"][0] == "missing" and rows["ferplus"][0] == "missing"
    assert re.search(r"\| train +\| +2 +\| +2 +\| +2 +\| +2 +\| +2 +\| +2 +\| +2 +\| +14 +\|",
                     report)
    assert (f"Expected: {ctx.data_root / 'rafdb' / 'Image'}/ to complete the basic layout "
            f"(found {label_file})") in report
    assert "Obtain: http://www.whdeng.cn/raf/model1.html" in report
    assert str(ctx.data_root / "ferplus" / "fer2013new.csv") in report


def test_inventory_reports_a_malformed_dataset_instead_of_failing(tmp_path):
    ctx = context(tmp_path)
    write_rafdb_basic(ctx.data_root, [("train_00001.jpg", 1)], listed=["train_00001.jpg 42"])
    report = inventory_report(["rafdb"], ctx)
    assert "| rafdb     | unreadable | aligned" in report
    assert "unknown label code '42'" in report


def test_audit_finds_identical_images_across_splits(tmp_path):
    ctx = context(tmp_path)
    lines = fer2013_lines(7, 2, 2)
    lines[-1] = fer2013_line(3, 3, "PrivateTest")  # row 10 repeats row 3's pixels
    write_fer2013_csv(ctx.data_root, lines)
    report = audit_report("fer2013", ctx)
    assert "**1 distinct images appear in more than one split** (2 samples)" in report
    assert "train:row3 · test:row10" in report


def write_ck48_subjects(ctx, subjects):
    names = [f"S{subject:03d}_001_0000000{frame}.png" for subject in range(10, 10 + subjects)
             for frame in (1, 2)]
    half = len(names) // 2
    write_ck48(ctx.data_root, {"anger": names[:half], "happy": names[half:]})


def test_audit_checks_that_subject_kfold_keeps_subjects_apart(tmp_path):
    ctx = context(tmp_path)
    write_ck48_subjects(ctx, subjects=12)
    report = audit_report("ckplus", ctx)
    assert "No image appears in more than one split." in report
    assert "## Subject-independent 10-fold (seed 0)" in report
    assert len(re.findall(r"^\| +\d+ \| +\d+ \| +\d+ \| +\d+ \| +0 \| +0 \|$", report,
                          re.MULTILINE)) == 10
    assert "Folds are subject-disjoint with no shared images." in report


def test_audit_says_when_folds_cannot_be_built(tmp_path):
    ctx = context(tmp_path)
    write_ck48_subjects(ctx, subjects=6)
    report = audit_report("ckplus", ctx)
    assert "Cannot build the folds: subject_kfold: 6 subjects cannot fill k=10 folds" in report
