"""`ferbench run` on real datasets laid out as datasets/README.md documents.

FER2013 and CK+48 come from the real samples in ../shared/data when present; RAF-DB has no
real sample here, so it is generated in its exact published layout.
"""

import os

from ferbench.cli import main
from ferbench.results.store import ResultStore
from tests.datasets.label_list_layouts import write_rafdb_basic


def raf_entries(per_class: int, split: str, start: int) -> list[tuple[str, int]]:
    return [(f"{split}_{start + i * 7 + code:05d}.jpg", code)
            for i in range(per_class) for code in range(1, 8)]


def test_svm_within_and_cross_on_fer2013_rafdb_ckplus(tmp_path, shared_data, capsys):
    root = tmp_path / "data"
    (root / "fer2013").mkdir(parents=True)
    os.symlink(shared_data / "fer2013-csv" / "fer2013.csv", root / "fer2013" / "fer2013.csv")
    (root / "ckplus").mkdir()
    os.symlink(shared_data / "ckplus48" / "CK+48", root / "ckplus" / "CK+48")
    write_rafdb_basic(root, raf_entries(6, "train", 1) + raf_entries(3, "test", 1))

    code = main(["run", "--methods", "svm", "--datasets", "fer2013,rafdb,ckplus",
                 "--data-root", str(root), "--folds", "5", "--budget", "quick",
                 "--out", str(tmp_path / "run"),
                 "--reports", str(tmp_path / "reports"), "--cache-dir", str(tmp_path / "cache")])
    assert code == 0, capsys.readouterr().err
    records = ResultStore(tmp_path / "run").records()
    cells = {(r["protocol"], r["train"], r["test"]) for r in records}
    for train in ("fer2013", "rafdb", "ckplus"):
        assert ("within", train, train) in cells
        assert {("cross", train, test) for test in ("fer2013", "rafdb", "ckplus")
                if test != train} <= cells
    ck_folds = [r for r in records if r["protocol"] == "within" and r["train"] == "ckplus"]
    assert sorted(r["fold"] for r in ck_folds) == [0, 1, 2, 3, 4]
    assert sum(r["n_test"] for r in ck_folds) == 240  # every CK+48 sample tested exactly once
    to_ck = next(r for r in records if r["protocol"] == "cross" and r["test"] == "ckplus"
                 and r["train"] == "fer2013")
    assert to_ck["excluded"]["train_only"] == ["neutral"]  # CK+48 has no neutral class
    report = (tmp_path / "reports" / "run" / "cross.md").read_text()
    assert "fer2013 → ckplus" in report
    # The shared FER2013 sample comes from a histogram-equalized copy; CK+48 and RAF-DB do not.
    warned = [line for line in capsys.readouterr().err.splitlines() if "WARNING" in line]
    assert len(warned) == 1 and warned[0].startswith("loaded fer2013"), warned
    assert "histogram-equalized" in (tmp_path / "reports" / "run" / "README.md").read_text()
