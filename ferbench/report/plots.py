"""Pictures for the report: confusion matrices, cross-database accuracy, reliability,
robustness and learning curves."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def slug(*parts: str) -> str:
    """``parts`` joined by ``__`` with anything unsafe in a file name replaced by ``_``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "__".join(parts))


def _heatmap(axis, matrix: np.ndarray, rows: list[str], columns: list[str], title: str,
             fmt: str) -> None:
    shown = np.nan_to_num(matrix, nan=0.0)
    axis.imshow(shown, cmap="Blues", vmin=0, vmax=max(float(np.nanmax(shown)), 1e-9))
    axis.set_xticks(range(len(columns)), columns, rotation=45, ha="right")
    axis.set_yticks(range(len(rows)), rows)
    axis.set_title(title, fontsize=10)
    threshold = np.nanmax(shown) / 2
    for (i, j), value in np.ndenumerate(matrix):
        text = "—" if np.isnan(value) else format(value, fmt)
        axis.text(j, i, text, ha="center", va="center", fontsize=8,
                  color="white" if shown[i, j] > threshold else "black")


def confusion_figure(confusion: np.ndarray, names: list[str], title: str, path: Path) -> None:
    """Counts and row-normalised confusion side by side."""
    plt = _pyplot()
    support = confusion.sum(axis=1, keepdims=True)
    normalised = np.divide(confusion, support, out=np.zeros(confusion.shape), where=support > 0)
    figure, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    _heatmap(axes[0], confusion.astype(float), names, names, "counts", ".0f")
    _heatmap(axes[1], normalised, names, names, "row-normalised (recall)", ".2f")
    for axis in axes:
        axis.set_xlabel("predicted")
        axis.set_ylabel("true")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def cross_figure(matrix: np.ndarray, trains: list[str], tests: list[str], title: str,
                 path: Path) -> None:
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(1.6 + 1.3 * len(tests), 1.4 + 0.8 * len(trains)))
    _heatmap(axis, matrix, trains, tests, title, ".3f")
    axis.set_xlabel("test dataset")
    axis.set_ylabel("train dataset")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def reliability_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str,
                       path: Path) -> None:
    """Accuracy against mean top score per bin, one line per method; the diagonal is perfect
    calibration."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5.2, 4.6))
    axis.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="calibrated")
    for name, (confidence, accuracy) in curves.items():
        axis.plot(confidence, accuracy, marker="o", markersize=3, linewidth=1.2, label=name)
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_xlabel("mean top score in bin")
    axis.set_ylabel("accuracy in bin")
    axis.set_title(title, fontsize=10)
    axis.legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def robustness_figure(table: dict[str, dict[str, list[float | None]]], title: str,
                      path: Path) -> None:
    """Accuracy against severity (0 = clean), one panel per corruption, one line per method."""
    plt = _pyplot()
    names = sorted({name for curves in table.values() for name in curves})
    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.4 * columns, 2.8 * rows),
                                squeeze=False, sharey=True)
    for axis, name in zip(axes.flat, names):
        for method, curves in sorted(table.items()):
            if name in curves:
                values = [np.nan if a is None else a for a in curves[name]]
                axis.plot(range(4), values, marker="o", markersize=3, label=method)
        axis.set_title(name, fontsize=9)
        axis.set_xticks(range(4), ["clean", "1", "2", "3"])
        axis.set_ylim(0, 1)
    for axis in axes.flat[len(names):]:
        axis.set_visible(False)
    axes.flat[0].set_ylabel("accuracy")
    axes.flat[0].legend(fontsize=7)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def learning_curve_figure(lines: dict[str, list[tuple[float, ...]]], title: str,
                          path: Path) -> None:
    """Accuracy and macro-F1 against training faces (log x), one line per method with its CI
    band; each point is (n, accuracy, low, high, macro-F1, low, high)."""
    plt = _pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    for method, points in sorted(lines.items()):
        values = np.array(points, dtype=float)
        for axis, column in zip(axes, (1, 4)):
            (line,) = axis.plot(values[:, 0], values[:, column], marker="o", markersize=3,
                                label=method)
            axis.fill_between(values[:, 0], values[:, column + 1], values[:, column + 2],
                              color=line.get_color(), alpha=0.15)
    sizes = sorted({point[0] for points in lines.values() for point in points})
    for axis, metric in zip(axes, ("accuracy", "macro-F1")):
        axis.set_xscale("log")
        axis.set_xticks(sizes, [f"{size:,.0f}" for size in sizes])
        axis.minorticks_off()
        axis.set_xlabel("training faces")
        axis.set_title(metric, fontsize=10)
    axes[0].legend(fontsize=7)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
