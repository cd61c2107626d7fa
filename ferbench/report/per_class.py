"""``per_class.md``: F1 per emotion of every method, within each dataset and across."""

from __future__ import annotations

from pathlib import Path

from ferbench.core.labels import EMOTIONS
from ferbench.report.data import ReportData
from ferbench.report.tables import section_title, table


def per_class_table(data: ReportData, train: str, test: str) -> str:
    """F1 per emotion for every method trained on ``train`` and scored on ``test`` (the same
    name: within), first seed's pooled folds; "" when no method scored there."""
    rows, present = [], []
    for method in data.methods:
        group = data.scored(method, train, test)
        if not group:
            continue
        score = group.scores[0]
        present = [EMOTIONS[c] for c in group.first_pooled()[2]]
        rows.append([data.label(method), *(f"{v:.3f}" for v in score["per_class"]["f1"])])
    return table(rows, ["method", *present]) if rows else ""


def render(data: ReportData, out_dir: Path) -> str | None:
    """The page (None without a scored cell); it has no figures, so ``out_dir`` is unused."""
    sections = [(pair, text) for pair in data.scored_pairs()
                if (text := per_class_table(data, *pair))]
    if not sections:
        return None
    out = ["# Per-class F1", "",
           "Within each dataset, then across: `A → B` is trained on A and scored on B's test "
           "faces, over the classes both define.", ""]
    for pair, text in sections:
        out += [f"## {section_title(*pair)}", "", text, ""]
    return "\n".join(out)
