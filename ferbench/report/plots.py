"""Pictures for the report: confusion matrices, cross-database accuracy, reliability,
robustness and learning curves.

Figures are built with matplotlib's object-oriented API (:class:`~matplotlib.figure.Figure`),
which renders to PNG without pyplot, a backend switch or global figure state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

K = TypeVar("K", str, tuple[str, ...])
V = TypeVar("V")
DPI = 80


def slug(*parts: str) -> str:
    """``parts`` joined by ``__`` with anything unsafe in a file name replaced by ``_``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "__".join(parts))


def draw_each(out_dir: Path, kind: str, figures: Mapping[K, V], title: str,
              draw: Callable[[V, str, Path], None]) -> dict[K, str]:
    """One picture per key of ``figures``: ``draw(value, title, path)`` with ``title``
    formatted with the key's parts, into ``out_dir/img/<kind>__<slug of the key>.png``.

    Returns each key's path relative to ``out_dir``, which is the link its page uses.
    """
    images: dict[K, str] = {}
    for key, value in figures.items():
        parts = key if isinstance(key, tuple) else (key,)
        name = f"img/{kind}__{slug(*parts)}.png"
        draw(value, title.format(*parts), out_dir / name)
        images[key] = name
    return images


def _heatmap(axis: Axes, matrix: np.ndarray, rows: list[str], columns: list[str], title: str,
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


def _save(figure: Figure, path: Path, title: str | None = None) -> None:
    if title is not None:
        figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)


def confusion_figure(confusion: tuple[np.ndarray, list[str]], title: str, path: Path) -> None:
    """Counts and row-normalised confusion side by side; ``confusion`` is (counts, class
    names)."""
    counts, names = confusion
    support = counts.sum(axis=1, keepdims=True)
    normalised = np.divide(counts, support, out=np.zeros(counts.shape), where=support > 0)
    figure = Figure(figsize=(10, 4.6))
    axes = figure.subplots(1, 2)
    _heatmap(axes[0], counts.astype(float), names, names, "counts", ".0f")
    _heatmap(axes[1], normalised, names, names, "row-normalised (recall)", ".2f")
    for axis in axes:
        axis.set_xlabel("predicted")
        axis.set_ylabel("true")
    _save(figure, path, title)


def cross_figure(cross: tuple[list[str], list[str], np.ndarray], title: str,
                 path: Path) -> None:
    """Train × test heatmap; ``cross`` is (train datasets, test datasets, matrix)."""
    trains, tests, matrix = cross
    figure = Figure(figsize=(1.6 + 1.3 * len(tests), 1.4 + 0.8 * len(trains)))
    axis = figure.subplots()
    _heatmap(axis, matrix, trains, tests, title, ".3f")
    axis.set_xlabel("test dataset")
    axis.set_ylabel("train dataset")
    _save(figure, path)


def reliability_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str,
                       path: Path) -> None:
    """Accuracy against mean top score per bin, one line per method; the diagonal is perfect
    calibration."""
    figure = Figure(figsize=(5.2, 4.6))
    axis = figure.subplots()
    axis.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="calibrated")
    for name, (confidence, accuracy) in curves.items():
        axis.plot(confidence, accuracy, marker="o", markersize=3, linewidth=1.2, label=name)
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_xlabel("mean top score in bin")
    axis.set_ylabel("accuracy in bin")
    axis.set_title(title, fontsize=10)
    axis.legend(fontsize=7, loc="upper left")
    _save(figure, path)


def robustness_figure(table: dict[str, dict[str, list[float | None]]], title: str,
                      path: Path) -> None:
    """Accuracy against severity (0 = clean), one panel per corruption, one line per method."""
    names = sorted({name for curves in table.values() for name in curves})
    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    figure = Figure(figsize=(3.4 * columns, 2.8 * rows))
    axes = figure.subplots(rows, columns, squeeze=False, sharey=True)
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
    _save(figure, path, title)


def learning_curve_figure(lines: dict[str, list[tuple[float, ...]]], title: str,
                          path: Path) -> None:
    """Accuracy and macro-F1 against training faces (log x), one line per method with its CI
    band; each point is (n, accuracy, low, high, macro-F1, low, high)."""
    figure = Figure(figsize=(10, 4.2))
    axes = figure.subplots(1, 2, sharey=True)
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
    _save(figure, path, title)
