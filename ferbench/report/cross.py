"""``cross.md``: per method, a source × target matrix of accuracy / macro-F1 with its mean
across targets and its heatmap; with RAF-DB as a source, the published CD-FER results beside
ours; and the classes left out of scoring because only one side has them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ferbench.eval.protocols import PROTOCOLS
from ferbench.report import plots, reference
from ferbench.report.data import ReportData
from ferbench.report.tables import score_cell, table


def cross_matrix(data: ReportData, method: str, metric: str
                 ) -> tuple[list[str], list[str], np.ndarray]:
    """Train datasets, test datasets (the trained ones first, as the diagonal), and the metric
    matrix (NaN where not run/failed)."""
    keys = [g for g in data.groups.values() if g.method == method and g.protocol in PROTOCOLS]
    trains = sorted({g.train for g in keys if g.protocol == "cross"})
    tested = {g.test for g in keys}
    tests = [t for t in trains if t in tested] + sorted(tested - set(trains))
    matrix = np.full((len(trains), len(tests)), np.nan)
    for i, train in enumerate(trains):
        for j, test in enumerate(tests):
            group = data.group(method, "within" if train == test else "cross", train, test)
            summary = group.summary(metric) if group else None
            if summary:
                matrix[i, j] = summary[0]
    return trains, tests, matrix


def target_mean(data: ReportData, method: str, train: str, tests: list[str]) -> str:
    """Mean accuracy / macro-F1 of ``train``'s cross cells (its within cell left out), as
    CD-FER's "mean" column; "(k of n targets)" when some target has no score."""
    groups = [g for test in tests if test != train
              and (g := data.group(method, "cross", train, test))]
    scored = [g for g in groups if g.ok]
    if not scored:
        return ""
    accuracy = np.mean([g.summary("accuracy")[0] for g in scored])
    macro_f1 = np.mean([g.summary("macro_f1")[0] for g in scored])
    missing = f" ({len(scored)} of {len(groups)} targets)" if len(scored) < len(groups) else ""
    return f"{accuracy:.3f} / {macro_f1:.3f}{missing}"


def cross_table(data: ReportData, method: str) -> str:
    """``accuracy / macro-F1`` per source (rows) and test (columns), the diagonal in italics,
    then the mean across targets."""
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
        rows.append([*row, target_mean(data, method, train, tests)])
    return table(rows, ["train ↓ test →", *tests, "mean across targets"])


def _percent(data: ReportData, method: str, test: str) -> float | None:
    group = data.group(method, "cross", reference.SOURCE, test)
    summary = group.summary("accuracy") if group else None
    return 100 * summary[0] if summary else None


def published_section(data: ReportData) -> list[str]:
    """Our accuracy (%) with RAF-DB as source beside CD-FER's published rows (italic), on
    the targets both have; nothing when the run did not train on RAF-DB."""
    tested = {g.test for g in data.groups.values()
              if g.protocol == "cross" and g.train == reference.SOURCE}
    targets = [name for name in reference.COLUMNS.values() if name in tested]
    published = reference.published(reference.SOURCE)
    if not targets or not published:
        return []
    rows = []
    for method in data.methods:
        ours = {t: _percent(data, method, t) for t in targets
                if data.group(method, "cross", reference.SOURCE, t)}
        if ours:
            mean = reference.mean_over(ours, targets)
            rows.append([method, *(f"{ours[t]:.2f}" if ours.get(t) is not None else ""
                                   for t in targets), "" if mean is None else f"{mean:.2f}"])
    for row in published:
        mean = reference.mean_over(row.accuracy, targets)
        rows.append([f"*{row.label} (published)*",
                     *(f"*{row.accuracy[t]:.2f}*" for t in targets), f"*{mean:.2f}*"])
    return [f"## Beside published results: {reference.SOURCE} as source", "",
            "Accuracy in percent of models trained on RAF-DB, on the targets this run shares "
            "with the CD-FER benchmark. *Italic rows are published figures*, not computed "
            "here (their mean is taken here over the same targets). "
            f"{reference.CONVENTION}", "",
            table(rows, [f"{reference.SOURCE} → target", *targets, "mean of these targets"]),
            "", f"Citation ({reference.FILE}): {reference.citation()}", ""]


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
           "Accuracy / macro-F1 of a model trained on the row (source) dataset and tested on "
           "the column dataset; the diagonal (italic) is the source's within-dataset score, "
           "and the last column the mean over the other columns, the targets. Only classes "
           "present on both sides are scored. A target's faces are first brought to the "
           "size and colour of the source's faces, as `ferbench predict` brings a photo's "
           "face.", ""]
    if data.pretrained:
        out += [data.pretrained_note(), ""]
    for method in matrices:
        out += [f"## {data.label(method)}", "", cross_table(data, method), "",
                f"![{method} cross-database accuracy]({images[method]})", ""]
    out += published_section(data)
    notes = excluded_notes(data)
    if notes:
        out += ["## Classes excluded from scoring", "", *(f"- {n}" for n in notes), ""]
    return "\n".join(out)
