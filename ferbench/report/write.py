"""Reading run directories into a report and writing its pages.

A report never trains: it reads the records of one or more run directories, pools the folds
of each (method, protocol, train, test, seed), and writes into ``REPORTS/<run>/`` the
``README.md`` leaderboard (:mod:`~ferbench.report.leaderboard`) linking one page per
analysis that has data, their figures under ``img/``, and ``results.csv``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ferbench.report import (
    calibration,
    confusion,
    cross,
    curves,
    explanations,
    leaderboard,
    per_class,
    results_csv,
    robustness,
)
from ferbench.report.data import ReportData
from ferbench.results.store import ResultStore

CSV = "results.csv"
PAGES: dict[str, Callable[[ReportData, Path], str | None]] = {
    "cross.md": cross.render,
    "per_class.md": per_class.render,
    "confusion.md": confusion.render,
    "calibration.md": calibration.render,
    "curves.md": curves.render,
    "robustness.md": robustness.render,
    "explanations.md": explanations.render,
}
"""Each markdown page and what renders it (None: the page has no data and is not written)."""
TITLES = {"cross.md": "cross-database", "per_class.md": "per-class F1",
          "confusion.md": "confusion matrices", CSV: "all cells (CSV)",
          "calibration.md": "calibration", "curves.md": "learning curves",
          "robustness.md": "robustness", "explanations.md": "Grad-CAM galleries"}
"""The README's links, in their order."""


def load_report(run_dirs: list[Path]) -> ReportData:
    """The merged records and provenance of ``run_dirs``."""
    records, runs = [], []
    for run_dir in run_dirs:
        store = ResultStore(run_dir)
        if not store.results_dir.is_dir():
            raise FileNotFoundError(f"{run_dir} holds no results (no {store.results_dir})")
        records += [{**r, "run_dir": str(run_dir)} for r in store.records()]
        runs += [{"dir": str(run_dir), "info": info} for info in store.invocations() or [{}]]
    return ReportData(records, runs)


def load_results(*run_dirs: str | Path) -> pd.DataFrame:
    """Every stored cell of ``run_dirs`` (merged) as a DataFrame, one row per cell.

    The same table as a report's ``results.csv``, for analyses the report does not make.
    """
    if not run_dirs:
        raise ValueError("load_results: give at least one run directory")
    return results_csv.frame(load_report([Path(d) for d in run_dirs]))


def write(data: ReportData, out_dir: Path) -> Path:
    """Write every page with data, its figures and the CSV into ``out_dir``; return the
    README path."""
    (out_dir / "img").mkdir(parents=True, exist_ok=True)
    written = {CSV}
    for name, render in PAGES.items():
        text = render(data, out_dir)
        if text is not None:
            _write_text(out_dir / name, text)
            written.add(name)
    _replace(out_dir / CSV, lambda temporary: results_csv.write_csv(data, temporary))
    readme = out_dir / "README.md"
    pages = {name: title for name, title in TITLES.items() if name in written}
    _write_text(readme, leaderboard.render(data, pages))
    return readme


def _write_text(path: Path, text: str) -> None:
    _replace(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def _replace(path: Path, write_to: Callable[[Path], None]) -> None:
    """Write ``path`` through ``write_to`` on a temporary file beside it, then rename it over
    ``path``: a report interrupted mid-write keeps the previous whole file, never half a one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write_to(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_report(run_dirs: list[Path], out_dir: Path) -> Path:
    """Render the records of ``run_dirs`` (merged) into ``out_dir``; return the README path."""
    return write(load_report(run_dirs), out_dir)
