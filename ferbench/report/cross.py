"""``cross.md``: per method, a train × test matrix of accuracy / macro-F1 with its heatmap,
and the classes left out of scoring because only one side has them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ferbench.eval.protocols import PROTOCOLS
from ferbench.report import plots
from ferbench.report.data import ReportData
from ferbench.report.tables import score_cell, table


def cross_matrix(data: ReportData, method: str, metric: str
                 ) -> tuple[list[str], list[str], np.ndarray]:
    """Train datasets, test datasets, and the metric matrix (NaN where not run/failed)."""
    keys = [g for g in data.groups.values() if g.method == method and g.protocol in PROTOCOLS]
    trains = sorted({g.train for g in keys if g.protocol == "cross"})
    tests = sorted({g.test for g in keys})
    matrix = np.full((len(trains), len(tests)), np.nan)
    for i, train in enumerate(trains):
        for j, test in enumerate(tests):
            group = data.group(method, "within" if train == test else "cross", train, test)
            summary = group.summary(metric) if group else None
            if summary:
                matrix[i, j] = summary[0]
    return trains, tests, matrix


def cross_table(data: ReportData, method: str) -> str:
    """``accuracy / macro-F1`` per train (rows) and test (columns); the diagonal in italics."""
    trains, tests, _ = cross_matrix(data, method, "accuracy")
    rows = []
    for train in trains:
        row = [train]
        for test in tests:
            protocol = "within" if train == test else "cross"
            group = data.group(method, protocol, train, test)
            text = (f"{score_cell(group, 'accuracy', False, False)} / "
                    f"{score_cell(group, 'macro_f1', False, False)}") if group else ""
            row.append(f"*{text}*" if protocol == "within" and group else text)
        rows.append(row)
    return table(rows, ["train ↓ test →", *tests])


def excluded_notes(data: ReportData) -> list[str]:
    """"train → test: ..." for every pair whose scored cells dropped test-only classes or
    could not predict train-only ones."""
    notes = set()
    for group in data.groups.values():
        for record in group.ok:
            excluded = record.get("excluded", {})
            parts = []
            if test_only := excluded.get("test_only"):
                dropped = ", ".join(f"{k} ({v} faces)" for k, v in test_only.items())
                parts.append(f"test-only classes dropped: {dropped}")
            if excluded.get("train_only"):
                parts.append(f"train-only classes not predicted: "
                             f"{', '.join(excluded['train_only'])}")
            if parts:
                notes.add(f"{group.train} → {group.test}: {'; '.join(parts)}")
    return sorted(notes)


def render(data: ReportData, out_dir: Path) -> str:
    """The page, with one accuracy heatmap per method trained across datasets."""
    matrices = {}
    for method in data.methods:
        trains, tests, matrix = cross_matrix(data, method, "accuracy")
        if trains:
            matrices[method] = (trains, tests, matrix)
    images = plots.draw_each(out_dir, "cross", matrices, "{}: accuracy, train × test",
                             plots.cross_figure)
    out = ["# Cross-database results", "",
           "Accuracy / macro-F1 of a model trained on the row dataset and tested on the "
           "column dataset; the diagonal (italic) is the within-dataset score. Only classes "
           "present on both sides are scored.", ""]
    if data.pretrained:
        out += [data.pretrained_note(), ""]
    for method in matrices:
        out += [f"## {data.label(method)}", "", cross_table(data, method), "",
                f"![{method} cross-database accuracy]({images[method]})", ""]
    notes = excluded_notes(data)
    if notes:
        out += ["## Classes excluded from scoring", "", *(f"- {n}" for n in notes), ""]
    return "\n".join(out)
