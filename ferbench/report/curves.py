"""``curves.md``: learning curves (``--train-fractions``): every method's scores against the
share of the training set it was fitted on, and where deep methods overtake classical ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ferbench.eval import stats
from ferbench.eval.protocols import CURVE
from ferbench.report import plots
from ferbench.report.data import ALPHA, ReportData
from ferbench.report.groups import Group
from ferbench.report.tables import table


@dataclass(frozen=True)
class CurvePoint:
    """One method at one training-set size: mean training faces per fit, first-seed scores
    with their 95 % intervals, and the group they come from."""

    n_train: float
    fraction: float
    accuracy: float
    macro_f1: float
    ci: dict[str, tuple[float, float]]
    group: Group


def curves(data: ReportData, dataset: str) -> dict[str, list[CurvePoint]]:
    """method → its learning curve on ``dataset`` (only methods with a fraction below 1)."""
    out: dict[str, list[CurvePoint]] = {}
    for method in data.methods:
        groups = [g for g in data.groups.values()
                  if (g.method, g.protocol, g.train) == (method, CURVE, dataset) and g.ok]
        full = data.scored_within(method, dataset)
        if not groups:
            continue
        points = []
        for group in [*groups, *([full] if full else [])]:
            fraction = group.ok[0].get("train_fraction") or 1.0
            points.append(CurvePoint(
                float(np.mean([r["n_train"] for r in group.ok])), fraction,
                group.scores[0]["accuracy"], group.scores[0]["macro_f1"], group.ci, group))
        out[method] = sorted(points, key=lambda point: point.fraction)
    return out


def deep_overtakes(data: ReportData, dataset: str) -> str:
    """The smallest training size at which the best deep method is significantly more
    accurate than the best classical one (exact McNemar, α = 0.05), as a sentence."""
    lines = curves(data, dataset)
    families = {m: points[0].group.ok[0].get("family") for m, points in lines.items()}
    fractions = sorted({p.fraction for points in lines.values() for p in points})
    for fraction in fractions:
        at = {m: p for m, points in lines.items() for p in points if p.fraction == fraction}
        best = {}
        for family in ("deep", "classical"):
            members = [m for m in at if families[m] == family]
            if members:
                best[family] = max(members, key=lambda m: at[m].accuracy)
        if len(best) < 2:
            return ""
        deep, classical = at[best["deep"]], at[best["classical"]]
        y_true, deep_pred, _ = deep.group.first_pooled()
        true_c, classical_pred, _ = classical.group.first_pooled()
        if not np.array_equal(y_true, true_c) or deep.accuracy <= classical.accuracy:
            continue
        p_value = stats.mcnemar(y_true, deep_pred, classical_pred)["p_value"]
        if p_value < ALPHA:
            return (f"On {dataset} the best deep method ({best['deep']}, "
                    f"{deep.accuracy:.3f}) first significantly beats the best classical "
                    f"one ({best['classical']}, {classical.accuracy:.3f}) at "
                    f"{deep.n_train:,.0f} training faces (fraction {fraction:g}; exact "
                    f"McNemar p = {p_value:.2g}).")
    return (f"On {dataset} no deep method significantly beats the best classical one at "
            f"any training size run (exact McNemar, α = {ALPHA}).")


def curves_table(lines: dict[str, list[CurvePoint]]) -> str:
    """Per method: accuracy / macro-F1 and training faces at each fraction."""
    fractions = sorted({p.fraction for points in lines.values() for p in points})
    rows = []
    for method, points in lines.items():
        at = {p.fraction: p for p in points}
        rows.append([method, *(f"{at[f].accuracy:.3f} / {at[f].macro_f1:.3f} "
                               f"(n {at[f].n_train:,.0f})" if f in at else ""
                               for f in fractions)])
    return table(rows, ["method", *(f"{f:g}: accuracy / macro-F1" for f in fractions)])


def _figure_lines(lines: dict[str, list[CurvePoint]]) -> dict[str, list[tuple[float, ...]]]:
    return {m: [(p.n_train, p.accuracy, *p.ci["accuracy"], p.macro_f1, *p.ci["macro_f1"])
                for p in points] for m, points in lines.items()}


def render(data: ReportData, out_dir: Path) -> str | None:
    """The page, a section and figure per dataset; None when the run made no curve cell."""
    if not data.has_protocol(CURVE):
        return None
    by_dataset = {d: lines for d in data.within_datasets if (lines := curves(data, d))}
    images = plots.draw_each(out_dir, "curves",
                             {d: _figure_lines(lines) for d, lines in by_dataset.items()},
                             "learning curves on {}", plots.learning_curve_figure)
    out = ["# Learning curves", "",
           "Each method trained on nested shares of the training set (`--train-fractions`; "
           "whole subjects where subjects are known, else stratified by class) and scored "
           "on the same test set. `n`: training faces per fit. Scores: first seed, folds "
           "pooled, with 95 % bootstrap intervals in the figures.", ""]
    for dataset, lines in by_dataset.items():
        labelled = {data.label(method): points for method, points in lines.items()}
        out += [f"## {dataset}", "", deep_overtakes(data, dataset), "", curves_table(labelled),
                "",
                f"![learning curves on {dataset}]({images[dataset]})", ""]
    return "\n".join(out)
