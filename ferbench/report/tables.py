"""Markdown tables and score cells, formatted the same way on every page."""

from __future__ import annotations

from typing import Any

from tabulate import tabulate

from ferbench.report.groups import Group


def score_cell(group: Group | None, metric: str, with_std: bool, with_ci: bool = True) -> str:
    """"0.812 ± 0.010 [0.700, 0.900]": mean (± std across seeds) [95 % interval];
    "incomplete" when no cell finished but a time cap stopped some, "failed" when every cell
    failed, "" when there is no group."""
    if group is None:
        return ""
    summary = group.summary(metric)
    if summary is None:
        return "incomplete" if group.incomplete else "failed"
    mean, std = summary
    text = f"{mean:.3f} ± {std:.3f}" if with_std else f"{mean:.3f}"
    if with_ci:
        low, high = group.ci[metric]
        text += f" [{low:.3f}, {high:.3f}]"
    return text


def table(rows: list[list[Any]], headers: list[str]) -> str:
    """A GitHub markdown table; cells are shown as given, never reformatted as numbers."""
    return tabulate(rows, headers, tablefmt="github", disable_numparse=True)


def section_title(train: str, test: str) -> str:
    """``fer2013``, or ``fer2013 → ckplus`` for a model trained on one and scored on the
    other."""
    return train if train == test else f"{train} → {test}"
