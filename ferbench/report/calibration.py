"""``calibration.md``: expected calibration error per method and dataset, and one
reliability diagram per dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ferbench.eval.calibration import BINS
from ferbench.report import plots
from ferbench.report.data import ReportData
from ferbench.report.tables import table


def calibration_table(data: ReportData) -> str:
    """Expected calibration error per method and within dataset, with what its scores are;
    "" when no cell stores class scores."""
    headers = ["method", "scores", *(f"{d} ECE" for d in data.within_datasets)]
    rows = []
    for method in data.methods:
        groups = [data.within(method, d) for d in data.within_datasets]
        curves = [g.reliability() if g else None for g in groups]
        if not any(curves):
            continue
        kind = next((g.ok[0].get("score_kind") for g in groups if g and g.ok), None)
        rows.append([data.label(method), kind or "—",
                     *(f"{c.ece:.3f}" if c else "—" for c in curves)])
    return table(rows, headers) if rows else ""


def reliability_curves(data: ReportData, dataset: str
                       ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """method → (mean top score, accuracy) per bin on ``dataset``, for methods with scores."""
    return {m: (c.confidence, c.accuracy) for m in data.methods
            if (g := data.within(m, dataset)) and (c := g.reliability())}


def render(data: ReportData, out_dir: Path) -> str | None:
    """The page, with a reliability diagram per dataset; None when no method has scores."""
    ece = calibration_table(data)
    if not ece:
        return None
    curves = {d: c for d in data.within_datasets if (c := reliability_curves(data, d))}
    images = plots.draw_each(out_dir, "reliability", curves, "reliability on {}",
                             plots.reliability_figure)
    out = ["# Calibration", "",
           f"Expected calibration error (ECE): test faces binned by the score of the "
           f"predicted class ({BINS} equal-width bins), the face-weighted mean "
           "gap between each bin's mean score and its accuracy (first seed, folds "
           "pooled). 0 is perfect: a score of 0.8 is then right 80 % of the time. "
           "`scores` says what each method's numbers are; only some are meant as "
           "probabilities, so a large ECE is a warning against reading them as such, not "
           "a fault of the classifier's ranking.", "", ece, ""]
    for dataset, image in images.items():
        out += [f"## {dataset}", "", f"![reliability on {dataset}]({image})", ""]
    return "\n".join(out)
