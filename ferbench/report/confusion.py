"""``confusion.md``: the confusion matrix of every method within each dataset and across, as
a table and as counts and recall heatmaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ferbench.core.labels import EMOTIONS
from ferbench.eval import metrics
from ferbench.report import plots
from ferbench.report.data import ReportData
from ferbench.report.groups import Group
from ferbench.report.tables import section_title, table


def confusion(group: Group) -> tuple[np.ndarray, list[str]]:
    """Counts (rows: true, columns: predicted) of the first seed's pooled folds, and the
    names of the scored classes."""
    y_true, y_pred, classes = group.first_pooled()
    return metrics.confusion_matrix(y_true, y_pred, classes), [EMOTIONS[c] for c in classes]


def confusion_table(group: Group) -> str:
    """:func:`confusion` as a markdown table, one row per true class."""
    counts, names = confusion(group)
    rows = [[name, *row] for name, row in zip(names, counts.tolist())]
    return table(rows, ["true ↓ predicted →", *names])


def render(data: ReportData, out_dir: Path) -> str | None:
    """The page, one section and heatmap per method and (train, test) pair with scored
    cells, within datasets first; None when there is none."""
    groups = {(method, section_title(train, test)): group
              for train, test in data.scored_pairs() for method in data.methods
              if (group := data.scored(method, train, test))}
    if not groups:
        return None
    images = plots.draw_each(out_dir, "confusion",
                             {key: confusion(group) for key, group in groups.items()},
                             "{} on {}", plots.confusion_figure)
    out = ["# Confusion matrices", "",
           "Rows: true emotion; columns: predicted. Within each dataset, then across: "
           "`A → B` is trained on A and scored on B's test faces. Folds pooled; first seed.",
           ""]
    for (method, where), group in groups.items():
        out += [f"## {data.label(method)} on {where}", "", confusion_table(group), "",
                f"![{method} on {where}]({images[method, where]})", ""]
    return "\n".join(out)
