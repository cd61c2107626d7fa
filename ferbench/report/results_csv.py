"""``results.csv``: every stored cell as one tidy row, failed ones included, which
``pandas.read_csv`` reads in one call."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ferbench.report.data import ReportData

SUMMARY_METRICS = ("accuracy", "macro_f1", "balanced_accuracy")
CELL_COLUMNS = ("method", "protocol", "train", "test", "fold", "seed", "status",
                *SUMMARY_METRICS, "n_train", "n_test", "fit_seconds", "predict_seconds",
                "train_fraction", "corruption", "severity", "budget", "capped", "features",
                "model", "pretrained", "run_dir", "commit", "error")
"""Columns of ``results.csv`` and of :func:`ferbench.load_results`."""


def frame(data: ReportData) -> pd.DataFrame:
    """One row per stored cell, failed ones included (their ``error`` says why)."""
    rows = []
    for record, commit in sorted(zip(data.records, data.commits), key=lambda p: p[0]["cell"]):
        row = {key: record.get(key) for key in CELL_COLUMNS}
        if record.get("status") == "ok":
            row.update({m: record["metrics"][m] for m in SUMMARY_METRICS})
        info = record.get("method_info", {})
        row["features"] = info.get("features")
        row["capped"] = info.get("stopped_by") == "time_budget"
        row["pretrained"] = record["method"] in data.pretrained
        row["commit"] = commit
        rows.append(row)
    return pd.DataFrame(rows, columns=list(CELL_COLUMNS))


def write_csv(data: ReportData, path: Path) -> None:
    """The cells as a tidy table at ``path``."""
    frame(data).to_csv(path, index=False)
