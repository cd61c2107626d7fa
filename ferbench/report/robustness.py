"""``robustness.md``: accuracy of each method on its within test sets corrupted at test time
(``--corruptions``), as a table and a figure per dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ferbench.eval.protocols import ROBUST
from ferbench.report import plots
from ferbench.report.data import ReportData
from ferbench.report.tables import table

Curves = dict[str, dict[str, list[float | None]]]
"""method → corruption → accuracy at severity 0 (clean), 1, 2, 3 (None: not scored)."""


def robustness(data: ReportData, dataset: str) -> Curves:
    """The :data:`Curves` of every method with a scored clean cell on ``dataset``."""
    out: Curves = {}
    for method in data.methods:
        clean = data.scored_within(method, dataset)
        if not clean:
            continue
        for group in data.groups.values():
            if (group.method, group.protocol, group.train) != (method, ROBUST, dataset):
                continue
            name, severity = group.condition.rsplit(" ", 1)
            curve = out.setdefault(method, {}).setdefault(
                name, [clean.scores[0]["accuracy"], None, None, None])
            curve[int(severity)] = group.scores[0]["accuracy"] if group.ok else None
    return out


def robustness_table(curves: Curves) -> str:
    """Per method: clean accuracy, severities 1 / 2 / 3 per corruption, mean relative drop."""
    names = sorted({name for by_name in curves.values() for name in by_name})
    rows = []
    for method, by_name in sorted(curves.items()):
        row: list[Any] = [method, f"{next(iter(by_name.values()))[0]:.3f}"]
        drops = []
        for name in names:
            curve = by_name.get(name)
            row.append(" / ".join("—" if a is None else f"{a:.3f}"
                                  for a in curve[1:]) if curve else "")
            drops += [(curve[0] - a) / curve[0] for a in (curve or [])[1:]
                      if a is not None and curve[0]]
        row.append(f"{np.mean(drops):.1%}" if drops else "—")
        rows.append(row)
    return table(rows, ["method", "clean", *names, "mean relative drop"])


def render(data: ReportData, out_dir: Path) -> str | None:
    """The page, a section and figure per dataset; None when the run scored no corruption."""
    if not data.has_protocol(ROBUST):
        return None
    tables = {d: curves for d in data.within_datasets if (curves := robustness(data, d))}
    images = plots.draw_each(out_dir, "robustness", tables, "robustness on {}",
                             plots.robustness_figure)
    out = ["# Robustness", "",
           "Accuracy on each within test set corrupted on the fly (`--corruptions`, seeded, "
           "never stored), models not retrained: `clean` then severities 1 / 2 / 3. "
           "`mean relative drop`: the mean over every corruption and severity of "
           "(clean − corrupted) / clean; lower is more robust. First seed, folds pooled.",
           ""]
    for dataset, curves in tables.items():
        labelled = {data.label(method): curve for method, curve in curves.items()}
        out += [f"## {dataset}", "", robustness_table(labelled), "",
                f"![robustness on {dataset}]({images[dataset]})", ""]
    return "\n".join(out)
