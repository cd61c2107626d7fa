"""``per_class.md``: F1 per emotion of every method, within each dataset."""

from __future__ import annotations

from pathlib import Path

from ferbench.core.labels import EMOTIONS
from ferbench.report.data import ReportData
from ferbench.report.tables import table


def per_class_table(data: ReportData, dataset: str) -> str:
    """F1 per emotion for every method, within ``dataset`` (first seed's pooled folds)."""
    rows, present = [], []
    for method in data.methods:
        group = data.scored_within(method, dataset)
        if not group:
            continue
        score = group.scores[0]
        present = [EMOTIONS[c] for c in group.first_pooled()[2]]
        rows.append([data.label(method), *(f"{v:.3f}" for v in score["per_class"]["f1"])])
    return table(rows, ["method", *present])


def render(data: ReportData, out_dir: Path) -> str:
    """The page; it has no figures, so ``out_dir`` is unused."""
    out = ["# Per-class F1 (within-dataset)", ""]
    for dataset in data.within_datasets:
        out += [f"## {dataset}", "", per_class_table(data, dataset), ""]
    return "\n".join(out)
