"""The leaderboard's "Ensembles against their best member" section: each soft-vote ensemble
(``--ensembles``) compared with its most accurate member on the same test faces."""

from __future__ import annotations

from typing import Any

import numpy as np

from ferbench.eval import stats
from ferbench.report.data import ALPHA, ReportData
from ferbench.report.tables import table


def ensemble_rows(data: ReportData) -> list[list[Any]]:
    """Each soft-vote ensemble against its most accurate member on every within dataset:
    exact McNemar on the same test faces, Holm-corrected over all rows."""
    rows, p_values = [], []
    for method in data.methods:
        for dataset in data.within_datasets:
            group = data.scored_within(method, dataset)
            members = group.ok[0].get("ensemble") if group else None
            groups = [g for m in members or [] if (g := data.scored_within(m, dataset))]
            if not members or len(groups) != len(members):
                continue
            best = max(groups, key=lambda g: g.scores[0]["accuracy"])
            y_true, y_pred, _ = group.first_pooled()
            best_true, best_pred, _ = best.pooled(group.seeds()[0])
            if not np.array_equal(y_true, best_true):
                continue
            test = stats.mcnemar(y_true, y_pred, best_pred)
            accuracy, member_accuracy = group.scores[0]["accuracy"], best.scores[0]["accuracy"]
            rows.append([data.label(method), dataset, f"{accuracy:.3f}",
                         f"{data.label(best.method)} {member_accuracy:.3f}",
                         f"{accuracy - member_accuracy:+.3f}",
                         f"{test['only_a']} / {test['only_b']}"])
            p_values.append(test["p_value"])
    for row, p_value in zip(rows, stats.holm(p_values)):
        row.append(f"{p_value:.3g}" + (" *" if p_value < ALPHA else ""))
    return rows


def section(data: ReportData) -> list[str]:
    """The section's markdown lines; none when the report holds no ensemble."""
    rows = ensemble_rows(data)
    if not rows:
        return []
    return ["## Ensembles against their best member", "",
            "Soft votes (`--ensembles`): the members' stored class scores averaged, "
            "no retraining. `only ensemble / only member right`: the faces one of "
            "the two gets right and the other wrong; p: exact McNemar test, "
            f"Holm-corrected over these rows (* below {ALPHA}).", "",
            table(rows, ["ensemble", "dataset", "accuracy", "best member", "difference",
                         "only ensemble / only member right", "p"]), ""]
