"""Markdown leaderboards generated from stored results alone.

A report never trains: it reads the records of one or more run directories, pools the folds
of each (method, protocol, train, test, seed), averages seeds, and writes
``REPORTS/<run>/README.md`` plus a tidy ``results.csv`` that pandas reads in one call.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tabulate import tabulate

from ferbench import metrics
from ferbench.labels import EMOTIONS
from ferbench.store import ResultStore

SUMMARY_METRICS = ("accuracy", "macro_f1", "balanced_accuracy")


@dataclass
class Group:
    """All cells of one (method, protocol, train, test), across folds and seeds."""

    method: str
    protocol: str
    train: str
    test: str
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["status"] == "ok"]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["status"] != "ok"]

    def seeds(self) -> list[int]:
        return sorted({r["seed"] for r in self.ok})

    def pooled(self, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """True labels, predictions and scored classes of one seed, folds concatenated."""
        cells = sorted((r for r in self.ok if r["seed"] == seed), key=lambda r: r["fold"] or 0)
        y_true = np.concatenate([r["y_true"] for r in cells]).astype(np.int64)
        y_pred = np.concatenate([r["y_pred"] for r in cells]).astype(np.int64)
        names = sorted({c for r in cells for c in r["classes"]}, key=EMOTIONS.index)
        return y_true, y_pred, np.array([EMOTIONS.index(c) for c in names])

    def scores(self) -> list[dict[str, Any]]:
        """Metrics of each seed, from its pooled folds."""
        return [metrics.score(*self.pooled(seed)) for seed in self.seeds()]

    def summary(self, metric: str) -> tuple[float, float] | None:
        """Mean and standard deviation across seeds; None when every cell failed."""
        values = [s[metric] for s in self.scores()]
        return (float(np.mean(values)), float(np.std(values))) if values else None

    def method_info(self) -> dict[str, Any]:
        return self.ok[0].get("method_info", {}) if self.ok else {}


def group_records(records: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str, str], Group]:
    groups: dict[tuple[str, str, str, str], Group] = {}
    for record in records:
        key = (record["method"], record["protocol"], record["train"], record["test"])
        groups.setdefault(key, Group(*key)).records.append(record)
    return groups


def _fmt(summary: tuple[float, float] | None, with_std: bool) -> str:
    if summary is None:
        return "failed"
    mean, std = summary
    return f"{mean:.3f} ± {std:.3f}" if with_std else f"{mean:.3f}"


def _ordered(names: Iterable[str]) -> list[str]:
    return sorted(set(names))


class Report:
    """The leaderboards of a set of records, rendered to markdown."""

    def __init__(self, records: list[dict[str, Any]], runs: list[dict[str, Any]]):
        self.records = records
        self.runs = runs
        self.groups = group_records(records)
        self.methods = _ordered(g.method for g in self.groups.values())
        self.datasets = _ordered([g.train for g in self.groups.values()]
                                 + [g.test for g in self.groups.values()])
        self.multi_seed = any(len(g.seeds()) > 1 for g in self.groups.values())

    def group(self, method: str, protocol: str, train: str, test: str) -> Group | None:
        return self.groups.get((method, protocol, train, test))

    def within_table(self) -> str:
        """Methods × datasets: accuracy and macro-F1 (the within-dataset leaderboard)."""
        within = [d for d in self.datasets if any(
            self.group(m, "within", d, d) for m in self.methods)]
        headers = ["method", "features"]
        for dataset in within:
            headers += [f"{dataset} acc", f"{dataset} macro-F1"]
        rows = []
        for method in self.methods:
            groups = [self.group(method, "within", d, d) for d in within]
            if not any(groups):
                continue
            info = next((g.method_info() for g in groups if g), {})
            row = [method, info.get("features", "—")]
            for group in groups:
                for metric in ("accuracy", "macro_f1"):
                    row.append(_fmt(group.summary(metric), self.multi_seed) if group else "")
            rows.append(row)
        rows.sort(key=_mean_of_row, reverse=True)
        return tabulate(rows, headers, tablefmt="github", disable_numparse=True)

    def cross_tables(self) -> list[tuple[str, str]]:
        """Per method: train × test accuracy (diagonal: within) and the classes scored."""
        tables = []
        for method in self.methods:
            trains = _ordered(g.train for g in self.groups.values()
                              if g.method == method and g.protocol == "cross")
            if not trains:
                continue
            tests = _ordered(g.test for g in self.groups.values() if g.method == method)
            rows = []
            for train in trains:
                row = [train]
                for test in tests:
                    protocol = "within" if train == test else "cross"
                    group = self.group(method, protocol, train, test)
                    cell = ""
                    if group:
                        acc = _fmt(group.summary("accuracy"), False)
                        f1 = _fmt(group.summary("macro_f1"), False)
                        cell = f"{acc} / {f1}"
                    row.append(f"*{cell}*" if protocol == "within" and cell else cell)
                rows.append(row)
            headers = ["train ↓ test →", *tests]
            tables.append((method, tabulate(rows, headers, tablefmt="github",
                                            disable_numparse=True)))
        return tables

    def excluded_notes(self) -> list[str]:
        notes = set()
        for group in self.groups.values():
            for record in group.ok:
                excluded = record.get("excluded", {})
                test_only = excluded.get("test_only", {})
                train_only = excluded.get("train_only", [])
                if test_only or train_only:
                    dropped = ", ".join(f"{k} ({v} faces)" for k, v in test_only.items())
                    notes.add(
                        f"{group.train} → {group.test}: "
                        + (f"test-only classes dropped: {dropped}; " if dropped else "")
                        + (f"train-only classes not predicted: {', '.join(train_only)}"
                           if train_only else "")
                    )
        return sorted(notes)

    def per_class_table(self, dataset: str) -> str:
        """F1 per emotion for every method, within ``dataset`` (first seed's pooled folds)."""
        rows, present = [], []
        for method in self.methods:
            group = self.group(method, "within", dataset, dataset)
            if not group or not group.ok:
                continue
            y_true, y_pred, classes = group.pooled(group.seeds()[0])
            score = metrics.score(y_true, y_pred, classes)
            present = [EMOTIONS[c] for c in classes]
            rows.append([method, *(f"{v:.3f}" for v in score["per_class"]["f1"])])
        return tabulate(rows, ["method", *present], tablefmt="github", disable_numparse=True)

    def confusion_table(self, group: Group) -> str:
        y_true, y_pred, classes = group.pooled(group.seeds()[0])
        confusion = metrics.confusion_matrix(y_true, y_pred, classes)
        names = [EMOTIONS[c] for c in classes]
        rows = [[name, *counts] for name, counts in zip(names, confusion.tolist())]
        return tabulate(rows, ["true ↓ predicted →", *names], tablefmt="github")

    def timing_table(self) -> str:
        rows = []
        for method in self.methods:
            for group in self.groups.values():
                if group.method != method or group.protocol != "within" or not group.ok:
                    continue
                fit = np.mean([r["fit_seconds"] for r in group.ok])
                predict = np.mean([r["predict_seconds"] for r in group.ok])
                rows.append([method, group.train, group.ok[0]["n_train"],
                             f"{fit:.2f}", f"{predict:.3f}"])
        return tabulate(rows, ["method", "dataset", "train faces", "fit s", "predict s"],
                        tablefmt="github")

    def failures(self) -> list[str]:
        lines = []
        for group in self.groups.values():
            for record in group.failed:
                fold = f" fold {record['fold']}" if record.get("fold") is not None else ""
                lines.append(
                    f"- **{group.method}** {group.protocol} {group.train} → {group.test}{fold} "
                    f"(seed {record['seed']}): `{record.get('error', 'unknown error')}`"
                )
        return sorted(lines)

    def provenance(self) -> list[str]:
        lines = []
        for run in self.runs:
            info = run["info"]
            if not info:
                lines.append(f"- run `{run['dir']}`: no provenance recorded")
                continue
            lines.append(f"- run `{run['dir']}`: `{info.get('command', '?')}` "
                         f"(started {info.get('started', '?')})")
            lines.append(f"  - ferbench commit `{info.get('git_commit')}`, "
                         f"hardware: {info.get('hardware', '?')}")
            versions = ", ".join(f"{k} {v}" for k, v in info.get("versions", {}).items())
            lines.append(f"  - versions: {versions}")
            variants = info.get("variants", {})
            for name, parts in info.get("data", {}).items():
                sizes = ", ".join(f"{p} {v['n']}" for p, v in parts.items())
                prints = ", ".join(f"{p} `{v['fingerprint'][:12]}`" for p, v in parts.items())
                lines.append(f"  - data {name} ({variants.get(name, '?')}): {sizes}; "
                             f"fingerprints {prints}")
        return lines

    def markdown(self) -> str:
        out = ["# ferbench leaderboard", "", "Generated by `ferbench report` from stored results; "
               "do not edit by hand.", "", "## Provenance", "", *self.provenance(), ""]
        out += ["## Within-dataset leaderboard", "",
                "Official test split, or pooled subject-independent folds where a dataset has "
                "no official split. Rows sorted by mean macro-F1."
                + (" Mean ± std across seeds." if self.multi_seed else ""), "",
                self.within_table(), ""]
        cross = self.cross_tables()
        if cross:
            out += ["## Cross-database", "",
                    "Accuracy / macro-F1 of a model trained on the row dataset and tested on the "
                    "column dataset; the diagonal (italic) is the within-dataset score. Only "
                    "classes present on both sides are scored.", ""]
            for method, table in cross:
                out += [f"### {method}", "", table, ""]
            notes = self.excluded_notes()
            if notes:
                out += ["Classes excluded from cross-database scoring:", "",
                        *(f"- {n}" for n in notes), ""]
        within_datasets = [d for d in self.datasets
                           if any(self.group(m, "within", d, d) for m in self.methods)]
        if within_datasets:
            out += ["## Per-class F1 (within)", ""]
            for dataset in within_datasets:
                out += [f"### {dataset}", "", self.per_class_table(dataset), ""]
            out += ["## Confusion matrices (within)", ""]
            for dataset in within_datasets:
                for method in self.methods:
                    group = self.group(method, "within", dataset, dataset)
                    if group and group.ok:
                        out += [f"### {method} on {dataset}", "", self.confusion_table(group), ""]
            out += ["## Timing", "", "Mean wall time per fit and per prediction of the test set.",
                    "", self.timing_table(), ""]
        failures = self.failures()
        if failures:
            out += ["## Failed cells", "", *failures, ""]
        return "\n".join(out)

    def write_csv(self, path: Path) -> None:
        """One row per stored cell: a tidy table (``pandas.read_csv`` reads it in one call)."""
        columns = ["method", "protocol", "train", "test", "fold", "seed", "status",
                   *SUMMARY_METRICS, "n_train", "n_test", "fit_seconds", "predict_seconds",
                   "features", "error"]
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            for record in sorted(self.records, key=lambda r: r["cell"]):
                row = {key: record.get(key) for key in columns}
                if record.get("status") == "ok":
                    row.update({m: record["metrics"][m] for m in SUMMARY_METRICS})
                row["features"] = record.get("method_info", {}).get("features")
                writer.writerow(row)


def _mean_of_row(row: list[str]) -> float:
    values = [float(cell.split()[0]) for cell in row[3::2] if cell and cell != "failed"]
    return float(np.mean(values)) if values else -1.0


def write_report(run_dirs: list[Path], out_dir: Path) -> Path:
    """Render the records of ``run_dirs`` (merged) into ``out_dir``; return the README path."""
    records, runs = [], []
    for run_dir in run_dirs:
        store = ResultStore(run_dir)
        if not store.results_dir.is_dir():
            raise FileNotFoundError(f"{run_dir} holds no results (no {store.results_dir})")
        records += store.records()
        invocations = store.invocations() or [{}]
        runs += [{"dir": str(run_dir), "info": info} for info in invocations]
    report = Report(records, runs)
    out_dir.mkdir(parents=True, exist_ok=True)
    readme = out_dir / "README.md"
    readme.write_text(report.markdown(), encoding="utf-8")
    report.write_csv(out_dir / "results.csv")
    return readme
