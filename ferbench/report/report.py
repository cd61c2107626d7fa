"""Markdown leaderboards generated from stored results alone.

A report never trains: it reads the records of one or more run directories, pools the folds
of each (method, protocol, train, test, seed), and writes into ``REPORTS/<run>/``:

- ``README.md``: provenance and the within-dataset leaderboard, with 95 % bootstrap CIs and
  McNemar significance marks, linking the pages below;
- ``cross.md``: train × test matrices per method, with heatmaps;
- ``per_class.md``: F1 per emotion; ``confusion.md``: confusion matrices, with heatmaps;
- ``calibration.md``: expected calibration error and reliability diagrams;
- ``robustness.md``: accuracy under test-time corruptions (``--corruptions``);
- ``curves.md``: learning curves (``--train-fractions``);
- ``results.csv``: one tidy row per cell, which pandas reads in one call.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tabulate import tabulate

from ferbench.core.labels import EMOTIONS
from ferbench.eval import calibration, metrics, stats
from ferbench.eval.protocols import CURVE, PROTOCOLS, ROBUST
from ferbench.report import plots
from ferbench.results.store import ResultStore

SUMMARY_METRICS = ("accuracy", "macro_f1", "balanced_accuracy")
CELL_COLUMNS = ("method", "protocol", "train", "test", "fold", "seed", "status",
                *SUMMARY_METRICS, "n_train", "n_test", "fit_seconds", "predict_seconds",
                "train_fraction", "corruption", "severity", "budget", "capped", "features",
                "model", "run_dir", "error")
"""Columns of ``results.csv`` and of :func:`load_results`."""
ALPHA = 0.05


@dataclass
class Group:
    """All cells of one (method, protocol, train, test), across folds and seeds."""

    method: str
    protocol: str
    train: str
    test: str
    condition: str = ""
    """What was done to the test faces ("blur 2" under ``--corruptions``; "" for none)."""
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

    def confidence(self, seed: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Top score and whether it was right, per test face of one seed (folds pooled);
        None when a cell stores no class scores (results of an older ferbench)."""
        cells = [r for r in self.ok if r["seed"] == seed]
        if not cells or any("proba" not in r for r in cells):
            return None
        top = [np.asarray(r["proba"], dtype=float).max(axis=1) for r in cells]
        correct = [np.asarray(r["y_pred"]) == np.asarray(r["y_true"]) for r in cells]
        return np.concatenate(top), np.concatenate(correct)

    def reliability(self) -> calibration.Reliability | None:
        """Reliability bins of the first seed's pooled test faces."""
        pooled = self.confidence(self.seeds()[0]) if self.ok else None
        if pooled is None:
            return None
        return calibration.reliability(*pooled)

    @cached_property
    def scores(self) -> list[dict[str, Any]]:
        """Metrics of each seed, from its pooled folds."""
        return [metrics.score(*self.pooled(seed)) for seed in self.seeds()]

    @cached_property
    def ci(self) -> dict[str, tuple[float, float]]:
        """95 % stratified bootstrap interval of the first seed's pooled predictions."""
        return stats.bootstrap_ci(*self.pooled(self.seeds()[0])) if self.ok else {}

    def summary(self, metric: str) -> tuple[float, float] | None:
        """Mean and standard deviation across seeds; None when every cell failed."""
        values = [s[metric] for s in self.scores]
        return (float(np.mean(values)), float(np.std(values))) if values else None

    def method_info(self) -> dict[str, Any]:
        return self.ok[0].get("method_info", {}) if self.ok else {}

    def budget(self) -> str:
        """The budget(s) its cells ran under; "—" for methods that train the same under all."""
        return " + ".join(sorted({r.get("budget") or "—" for r in self.ok})) or "—"

    def capped_note(self) -> str:
        """" ⏱ capped k/n": how many of its fits a time cap cut before their schedule ended."""
        capped = sum(r.get("method_info", {}).get("stopped_by") == "time_budget" for r in self.ok)
        return f" ⏱ capped {capped}/{len(self.ok)}" if capped else ""

    def mixed_note(self) -> str:
        """" ⚠ k parameter sets": its cells were computed under different method parameters
        or revisions (an interrupted rerun after an upgrade or a ``--set``, or several run
        directories)."""
        keys = {r.get("params_key") for r in self.ok}
        return f" ⚠ {len(keys)} parameter sets" if len(keys) > 1 else ""


GroupKey = tuple[str, str, str, str, str]


def condition(record: dict[str, Any]) -> str:
    """"blur 2" for a cell scored on corrupted faces, "fraction 0.25" for one trained on a
    share of the training set, "" otherwise."""
    if record.get("corruption"):
        return f"{record['corruption']} {record['severity']}"
    if record.get("train_fraction") is not None:
        return f"fraction {record['train_fraction']:g}"
    return ""


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


def group_records(records: Iterable[dict[str, Any]]) -> dict[GroupKey, Group]:
    groups: dict[GroupKey, Group] = {}
    for record in records:
        key = (record["method"], record["protocol"], record["train"], record["test"],
               condition(record))
        groups.setdefault(key, Group(*key)).records.append(record)
    return groups


def _cell(group: Group | None, metric: str, with_std: bool, with_ci: bool = True) -> str:
    if group is None:
        return ""
    summary = group.summary(metric)
    if summary is None:
        return "failed"
    mean, std = summary
    text = f"{mean:.3f} ± {std:.3f}" if with_std else f"{mean:.3f}"
    if with_ci:
        low, high = group.ci[metric]
        text += f" [{low:.3f}, {high:.3f}]"
    return text


def _table(rows: list[list[Any]], headers: list[str]) -> str:
    return tabulate(rows, headers, tablefmt="github", disable_numparse=True)


class Report:
    """The leaderboards of a set of records, rendered to markdown."""

    def __init__(self, records: list[dict[str, Any]], runs: list[dict[str, Any]]):
        self.records = records
        self.runs = runs
        self.groups = group_records(records)
        self.methods = sorted({g.method for g in self.groups.values()})
        self.within_datasets = sorted({g.train for g in self.groups.values()
                                       if g.protocol == "within"})
        self.multi_seed = any(len(g.seeds()) > 1 for g in self.groups.values())

    def group(self, method: str, protocol: str, train: str, test: str, condition: str = ""
              ) -> Group | None:
        return self.groups.get((method, protocol, train, test, condition))

    def within(self, method: str, dataset: str) -> Group | None:
        return self.group(method, "within", dataset, dataset)

    @cached_property
    def significance(self) -> dict[str, tuple[set[str], str]]:
        """:meth:`tied_with_best` of every within dataset, computed once per report."""
        return {d: self.tied_with_best(d) for d in self.within_datasets}

    def tied_with_best(self, dataset: str) -> tuple[set[str], str]:
        """Methods whose accuracy is not significantly different from the best (McNemar, Holm).

        Returns the set (the best included) and a sentence saying what was compared.
        """
        groups = {m: g for m in self.methods if (g := self.within(m, dataset)) and g.ok}
        if len(groups) < 2:
            return set(groups), ""
        first = {m: g.pooled(g.seeds()[0]) for m, g in groups.items()}
        best = max(groups, key=lambda m: groups[m].scores[0]["accuracy"])
        y_true = first[best][0]
        comparable = [m for m in groups if m != best and np.array_equal(first[m][0], y_true)]
        p_values = [stats.mcnemar(y_true, first[best][1], first[m][1])["p_value"]
                    for m in comparable]
        adjusted = stats.holm(p_values)
        tied = {best} | {m for m, p in zip(comparable, adjusted) if p >= ALPHA}
        return tied, f"{dataset}: best {best}, {len(comparable)} comparison(s)"

    def within_table(self) -> str:
        """Methods × datasets: accuracy and macro-F1 with CIs; bold = tied with the best."""
        headers = ["method", "features", "budget"]
        for dataset in self.within_datasets:
            headers += [f"{dataset} accuracy", f"{dataset} macro-F1"]
        tied = {d: tied for d, (tied, _) in self.significance.items()}
        rows, order = [], []
        for method in self.methods:
            groups = [self.within(method, d) for d in self.within_datasets]
            if not any(groups):
                continue
            info = next((g.method_info() for g in groups if g), {})
            budgets = {g.budget() for g in groups if g and g.ok}
            row = [method, info.get("features", "pixels"), " / ".join(sorted(budgets)) or "—"]
            f1s = []
            for dataset, group in zip(self.within_datasets, groups):
                accuracy = _cell(group, "accuracy", self.multi_seed)
                if method in tied[dataset]:
                    accuracy = f"**{accuracy}**"
                notes = group.capped_note() + group.mixed_note() if group else ""
                row += [accuracy + notes,
                        _cell(group, "macro_f1", self.multi_seed)]
                if group and group.ok:
                    f1s.append(group.summary("macro_f1")[0])
            rows.append(row)
            order.append(np.mean(f1s) if f1s else -1.0)
        rows = [rows[i] for i in np.argsort(order, kind="stable")[::-1]]
        return _table(rows, headers)

    def mixed_legend(self) -> str:
        """The ⚠ mark explained, only when some row carries it."""
        if not any(g.mixed_note() for g in self.groups.values() if g.protocol == "within"):
            return ""
        return (" ⚠ k parameter sets: the row pools cells computed under k different sets of "
                "method parameters (or method revisions); rerun its command to the end so that "
                "one set remains.")

    def cross_matrix(self, method: str, metric: str) -> tuple[list[str], list[str], np.ndarray]:
        """Train datasets, test datasets, and the metric matrix (NaN where not run/failed)."""
        keys = [g for g in self.groups.values()
                if g.method == method and g.protocol in PROTOCOLS]
        trains = sorted({g.train for g in keys if g.protocol == "cross"})
        tests = sorted({g.test for g in keys})
        matrix = np.full((len(trains), len(tests)), np.nan)
        for i, train in enumerate(trains):
            for j, test in enumerate(tests):
                group = self.group(method, "within" if train == test else "cross", train, test)
                summary = group.summary(metric) if group else None
                if summary:
                    matrix[i, j] = summary[0]
        return trains, tests, matrix

    def cross_table(self, method: str) -> str:
        trains, tests, _ = self.cross_matrix(method, "accuracy")
        rows = []
        for train in trains:
            row = [train]
            for test in tests:
                protocol = "within" if train == test else "cross"
                group = self.group(method, protocol, train, test)
                text = (f"{_cell(group, 'accuracy', False, False)} / "
                        f"{_cell(group, 'macro_f1', False, False)}") if group else ""
                row.append(f"*{text}*" if protocol == "within" and group else text)
            rows.append(row)
        return _table(rows, ["train ↓ test →", *tests])

    def excluded_notes(self) -> list[str]:
        notes = set()
        for group in self.groups.values():
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

    def per_class_table(self, dataset: str) -> str:
        """F1 per emotion for every method, within ``dataset`` (first seed's pooled folds)."""
        rows, present = [], []
        for method in self.methods:
            group = self.within(method, dataset)
            if not group or not group.ok:
                continue
            score = group.scores[0]
            present = [EMOTIONS[c] for c in group.pooled(group.seeds()[0])[2]]
            rows.append([method, *(f"{v:.3f}" for v in score["per_class"]["f1"])])
        return _table(rows, ["method", *present])

    def confusion_table(self, group: Group) -> str:
        y_true, y_pred, classes = group.pooled(group.seeds()[0])
        confusion = metrics.confusion_matrix(y_true, y_pred, classes)
        names = [EMOTIONS[c] for c in classes]
        rows = [[name, *counts] for name, counts in zip(names, confusion.tolist())]
        return _table(rows, ["true ↓ predicted →", *names])

    def timing_table(self) -> str:
        rows = []
        for method in self.methods:
            for dataset in self.within_datasets:
                group = self.within(method, dataset)
                if not group or not group.ok:
                    continue
                fit = np.mean([r["fit_seconds"] for r in group.ok])
                predict = np.mean([r["predict_seconds"] for r in group.ok])
                ended = group.method_info().get("stopped_by", "")
                sizes = sorted({r["n_train"] for r in group.ok})
                faces = str(sizes[0]) if len(sizes) == 1 else f"{sizes[0]}–{sizes[-1]}"
                rows.append([method, dataset, faces, f"{fit:.2f}",
                             f"{predict:.3f}", ended])
        return _table(rows, ["method", "dataset", "train faces", "fit s", "predict s",
                             "training ended by"])

    def failures(self) -> list[str]:
        lines = []
        for group in self.groups.values():
            for record in group.failed:
                fold = f" fold {record['fold']}" if record.get("fold") is not None else ""
                lines.append(
                    f"- **{group.method}** {group.protocol} {group.train} → "
                    f"{' '.join(filter(None, (group.test, group.condition)))}{fold} "
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
            lines.append(f"- `{info.get('command', '?')}` (started {info.get('started', '?')}, "
                         f"run directory `{run['dir']}`)")
            lines.append(f"  - ferbench commit `{info.get('git_commit')}`; "
                         f"hardware: {info.get('hardware', '?')}")
            versions = ", ".join(f"{k} {v}" for k, v in info.get("versions", {}).items())
            lines.append(f"  - versions: {versions}")
            variants = info.get("variants", {})
            for name, parts in info.get("data", {}).items():
                sizes = ", ".join(f"{p} {v['n']}" for p, v in parts.items())
                prints = ", ".join(f"{p} `{v['fingerprint'][:12]}`" for p, v in parts.items())
                skipped = sum(v.get("provenance", {}).get("skipped", 0) for v in parts.values())
                bad = f"; {skipped} malformed samples skipped" if skipped else ""
                lines.append(f"  - data {name} ({variants.get(name, '?')}): {sizes}{bad}; "
                             f"fingerprints {prints}")
        return lines

    def readme(self, pages: dict[str, str]) -> str:
        out = ["# ferbench leaderboard", "",
               "Generated by `ferbench report` from stored results; do not edit by hand.", ""]
        out += [f"Pages: {' · '.join(f'[{title}]({name})' for name, title in pages.items())}", ""]
        out += ["## Within-dataset leaderboard", "",
                "Official test split, or pooled subject-independent folds where a dataset has "
                "no official split; rows sorted by mean macro-F1. Each score shows its 95 % "
                f"confidence interval `[low, high]` (stratified bootstrap over test faces, "
                f"{stats.BOOTSTRAP_REPLICATES} replicates"
                + (", first seed" if self.multi_seed else "") + "). "
                + ("`mean ± std` is across seeds. " if self.multi_seed else "")
                + "`budget`: the training budget of methods that have one (`--budget`); "
                "⏱ capped k/n: a time cap stopped k of the n fits before their schedule ended. "
                "**Bold** accuracy: not significantly different from the best method on that "
                "dataset (exact McNemar test on the same test faces, Holm-corrected, "
                f"α = {ALPHA})." + self.mixed_legend(), "", self.within_table(), ""]
        comparisons = [sentence for _, sentence in self.significance.values() if sentence]
        if comparisons:
            out += [f"Significance tests: {'; '.join(comparisons)}.", ""]
        ensembles = self.ensemble_rows()
        if ensembles:
            out += ["## Ensembles against their best member", "",
                    "Soft votes (`--ensembles`): the members' stored class scores averaged, "
                    "no retraining. `only ensemble / only member right`: the faces one of "
                    "the two gets right and the other wrong; p: exact McNemar test, "
                    f"Holm-corrected over these rows (* below {ALPHA}).", "",
                    _table(ensembles, ["ensemble", "dataset", "accuracy", "best member",
                                       "difference", "only ensemble / only member right",
                                       "p"]), ""]
        failures = self.failures()
        if failures:
            out += ["## Failed cells", "",
                    "These cells raised; the rest of the run completed. Re-running the same "
                    "command retries them.", "", *failures, ""]
        if self.within_datasets:
            out += ["## Timing", "", "Mean wall time per fit and per prediction of the test set.",
                    "", self.timing_table(), ""]
        boxes = self.landmark_boxes()
        if boxes:
            out += ["## Landmark face boxes", "",
                    "Training faces whose landmarks came from dlib's detector box, and those "
                    "for which it found no face and the whole image was used.", "", *boxes, ""]
        out += ["## Provenance", "", *self.provenance(), ""]
        return "\n".join(out)

    def landmark_boxes(self) -> list[str]:
        lines = []
        for method in self.methods:
            for dataset in self.within_datasets:
                group = self.within(method, dataset)
                boxes = group.method_info().get("landmark_boxes") if group else None
                if boxes:
                    lines.append(f"- {method} on {dataset}: detector box {boxes['detector_box']}, "
                                 f"whole image {boxes['whole_image']}")
        return lines

    def galleries(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Per (method, dataset): the within record of the first seed and fold that has an
        explanation gallery."""
        chosen: dict[tuple[str, str], dict[str, Any]] = {}
        for record in sorted((r for r in self.records if r.get("status") == "ok"
                              and r.get("gallery") and r["protocol"] == "within"),
                             key=lambda r: (r["seed"], r["fold"] if r["fold"] is not None else -1)):
            chosen.setdefault((record["method"], record["test"]), record)
        return chosen

    def explanations_page(self, out_dir: Path) -> str:
        """Per deep method and dataset, a grid of correctly and wrongly classified test faces
        with Grad-CAM heatmaps. Faces of embedded (synthetic) datasets are copied into the
        report; faces of real datasets stay in the run directory, never in a report."""

        out = ["# What the networks look at", "",
               "Grad-CAM (captum, last convolution) of the predicted class on test faces of "
               "the first fold and seed: the top row correctly classified, the bottom row "
               "wrongly, each titled true → predicted.", ""]
        for (method, dataset), record in sorted(self.galleries().items()):
            out += [f"## {method} on {dataset}", ""]
            source = Path(record["run_dir"]) / record["gallery"]
            if record.get("gallery_public") and source.is_file():
                name = f"img/gallery__{plots.slug(method, dataset)}.png"
                shutil.copyfile(source, out_dir / name)
                out += [f"![{method} Grad-CAM on {dataset}]({name})", ""]
            else:
                out += [f"Not copied into the report: {dataset}'s faces belong to its licence "
                        f"holders. The gallery is `{source}`.", ""]
        return "\n".join(out)

    def ensemble_rows(self) -> list[list[Any]]:
        """Each soft-vote ensemble against its most accurate member on every within dataset:
        exact McNemar on the same test faces, Holm-corrected over all rows."""
        rows, p_values = [], []
        for method in self.methods:
            for dataset in self.within_datasets:
                group = self.within(method, dataset)
                members = group.ok[0].get("ensemble") if group and group.ok else None
                groups = [g for m in members or [] if (g := self.within(m, dataset)) and g.ok]
                if not members or len(groups) != len(members):
                    continue
                best = max(groups, key=lambda g: g.scores[0]["accuracy"])
                y_true, y_pred, _ = group.pooled(group.seeds()[0])
                best_true, best_pred, _ = best.pooled(group.seeds()[0])
                if not np.array_equal(y_true, best_true):
                    continue
                test = stats.mcnemar(y_true, y_pred, best_pred)
                accuracy, member_accuracy = group.scores[0]["accuracy"], best.scores[0]["accuracy"]
                rows.append([method, dataset, f"{accuracy:.3f}",
                             f"{best.method} {member_accuracy:.3f}",
                             f"{accuracy - member_accuracy:+.3f}",
                             f"{test['only_a']} / {test['only_b']}"])
                p_values.append(test["p_value"])
        for row, p_value in zip(rows, stats.holm(p_values)):
            row.append(f"{p_value:.3g}" + (" *" if p_value < ALPHA else ""))
        return rows

    def calibration_table(self) -> str:
        """Expected calibration error per method and within dataset, with what its scores are."""
        headers = ["method", "scores", *(f"{d} ECE" for d in self.within_datasets)]
        rows = []
        for method in self.methods:
            groups = [self.within(method, d) for d in self.within_datasets]
            curves = [g.reliability() if g else None for g in groups]
            if not any(curves):
                continue
            kind = next((g.ok[0].get("score_kind") for g in groups if g and g.ok), None)
            rows.append([method, kind or "—",
                         *(f"{c.ece:.3f}" if c else "—" for c in curves)])
        return _table(rows, headers) if rows else ""

    def calibration_page(self, images: dict[str, str]) -> str:
        out = ["# Calibration", "",
               f"Expected calibration error (ECE): test faces binned by the score of the "
               f"predicted class ({calibration.BINS} equal-width bins), the face-weighted mean "
               "gap between each bin's mean score and its accuracy (first seed, folds "
               "pooled). 0 is perfect: a score of 0.8 is then right 80 % of the time. "
               "`scores` says what each method's numbers are; only some are meant as "
               "probabilities, so a large ECE is a warning against reading them as such, not "
               "a fault of the classifier's ranking.", "", self.calibration_table(), ""]
        for dataset, image in images.items():
            out += [f"## {dataset}", "", f"![reliability on {dataset}]({image})", ""]
        return "\n".join(out)

    def robustness(self, dataset: str) -> dict[str, dict[str, list[float | None]]]:
        """method → corruption → accuracy at severity 0 (clean), 1, 2, 3 (None: not scored)."""
        out: dict[str, dict[str, list[float | None]]] = {}
        for method in self.methods:
            clean = self.within(method, dataset)
            if not clean or not clean.ok:
                continue
            for group in self.groups.values():
                if (group.method, group.protocol, group.train) != (method, ROBUST, dataset):
                    continue
                name, severity = group.condition.rsplit(" ", 1)
                curve = out.setdefault(method, {}).setdefault(
                    name, [clean.scores[0]["accuracy"], None, None, None])
                curve[int(severity)] = group.scores[0]["accuracy"] if group.ok else None
        return out

    def robustness_page(self, images: dict[str, str]) -> str:
        out = ["# Robustness", "",
               "Accuracy on each within test set corrupted on the fly (`--corruptions`, seeded, "
               "never stored), models not retrained: `clean` then severities 1 / 2 / 3. "
               "`mean relative drop`: the mean over every corruption and severity of "
               "(clean − corrupted) / clean; lower is more robust. First seed, folds pooled.",
               ""]
        for dataset in self.within_datasets:
            table = self.robustness(dataset)
            if not table:
                continue
            names = sorted({name for curves in table.values() for name in curves})
            rows = []
            for method, curves in sorted(table.items()):
                row: list[Any] = [method, f"{next(iter(curves.values()))[0]:.3f}"]
                drops = []
                for name in names:
                    curve = curves.get(name)
                    row.append(" / ".join("—" if a is None else f"{a:.3f}"
                                          for a in curve[1:]) if curve else "")
                    drops += [(curve[0] - a) / curve[0] for a in (curve or [])[1:]
                              if a is not None and curve[0]]
                row.append(f"{np.mean(drops):.1%}" if drops else "—")
                rows.append(row)
            out += [f"## {dataset}", "",
                    _table(rows, ["method", "clean", *names, "mean relative drop"]), ""]
            if dataset in images:
                out += [f"![robustness on {dataset}]({images[dataset]})", ""]
        return "\n".join(out)

    def curves(self, dataset: str) -> dict[str, list[CurvePoint]]:
        """method → its learning curve on ``dataset`` (only methods with a fraction below 1)."""
        out: dict[str, list[CurvePoint]] = {}
        for method in self.methods:
            groups = [g for g in self.groups.values()
                      if (g.method, g.protocol, g.train) == (method, CURVE, dataset) and g.ok]
            full = self.within(method, dataset)
            if not groups:
                continue
            points = []
            for group in [*groups, *([full] if full and full.ok else [])]:
                fraction = group.ok[0].get("train_fraction") or 1.0
                points.append(CurvePoint(
                    float(np.mean([r["n_train"] for r in group.ok])), fraction,
                    group.scores[0]["accuracy"], group.scores[0]["macro_f1"], group.ci, group))
            out[method] = sorted(points, key=lambda point: point.fraction)
        return out

    def deep_overtakes(self, dataset: str) -> str:
        """The smallest training size at which the best deep method is significantly more
        accurate than the best classical one (exact McNemar, α = 0.05), as a sentence."""
        curves = self.curves(dataset)
        families = {m: points[0].group.ok[0].get("family") for m, points in curves.items()}
        fractions = sorted({p.fraction for points in curves.values() for p in points})
        for fraction in fractions:
            at = {m: p for m, points in curves.items() for p in points if p.fraction == fraction}
            best = {}
            for family in ("deep", "classical"):
                members = [m for m in at if families[m] == family]
                if members:
                    best[family] = max(members, key=lambda m: at[m].accuracy)
            if len(best) < 2:
                return ""
            deep, classical = at[best["deep"]], at[best["classical"]]
            y_true, deep_pred, _ = deep.group.pooled(deep.group.seeds()[0])
            true_c, classical_pred, _ = classical.group.pooled(classical.group.seeds()[0])
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

    def curves_page(self, images: dict[str, str]) -> str:
        out = ["# Learning curves", "",
               "Each method trained on nested shares of the training set (`--train-fractions`; "
               "whole subjects where subjects are known, else stratified by class) and scored "
               "on the same test set. `n`: training faces per fit. Scores: first seed, folds "
               "pooled, with 95 % bootstrap intervals in the figures.", ""]
        for dataset in self.within_datasets:
            curves = self.curves(dataset)
            if not curves:
                continue
            fractions = sorted({p.fraction for points in curves.values() for p in points})
            rows = []
            for method, points in curves.items():
                at = {p.fraction: p for p in points}
                rows.append([method, *(f"{at[f].accuracy:.3f} / {at[f].macro_f1:.3f} "
                                       f"(n {at[f].n_train:,.0f})" if f in at else ""
                                       for f in fractions)])
            out += [f"## {dataset}", "", self.deep_overtakes(dataset), "",
                    _table(rows, ["method", *(f"{f:g}: accuracy / macro-F1" for f in fractions)]),
                    ""]
            if dataset in images:
                out += [f"![learning curves on {dataset}]({images[dataset]})", ""]
        return "\n".join(out)

    def cross_page(self, images: dict[str, str]) -> str:
        out = ["# Cross-database results", "",
               "Accuracy / macro-F1 of a model trained on the row dataset and tested on the "
               "column dataset; the diagonal (italic) is the within-dataset score. Only classes "
               "present on both sides are scored.", ""]
        for method in self.methods:
            if not self.cross_matrix(method, "accuracy")[0]:
                continue
            out += [f"## {method}", "", self.cross_table(method), ""]
            if method in images:
                out += [f"![{method} cross-database accuracy]({images[method]})", ""]
        notes = self.excluded_notes()
        if notes:
            out += ["## Classes excluded from scoring", "", *(f"- {n}" for n in notes), ""]
        return "\n".join(out)

    def per_class_page(self) -> str:
        out = ["# Per-class F1 (within-dataset)", ""]
        for dataset in self.within_datasets:
            out += [f"## {dataset}", "", self.per_class_table(dataset), ""]
        return "\n".join(out)

    def confusion_page(self, images: dict[tuple[str, str], str]) -> str:
        out = ["# Confusion matrices (within-dataset)", "",
               "Rows: true emotion; columns: predicted. Folds pooled; first seed.", ""]
        for dataset in self.within_datasets:
            for method in self.methods:
                group = self.within(method, dataset)
                if group and group.ok:
                    out += [f"## {method} on {dataset}", "", self.confusion_table(group), ""]
                    if (method, dataset) in images:
                        out += [f"![{method} on {dataset}]({images[method, dataset]})", ""]
        return "\n".join(out)

    def frame(self) -> pd.DataFrame:
        """One row per stored cell, failed ones included (their ``error`` says why)."""
        rows = []
        for record in sorted(self.records, key=lambda r: r["cell"]):
            row = {key: record.get(key) for key in CELL_COLUMNS}
            if record.get("status") == "ok":
                row.update({m: record["metrics"][m] for m in SUMMARY_METRICS})
            info = record.get("method_info", {})
            row["features"] = info.get("features")
            row["capped"] = info.get("stopped_by") == "time_budget"
            rows.append(row)
        return pd.DataFrame(rows, columns=list(CELL_COLUMNS))

    def write_csv(self, path: Path) -> None:
        """The cells as a tidy table (``pandas.read_csv`` reads it in one call)."""
        self.frame().to_csv(path, index=False)

    def draw_figures(self, out_dir: Path
                     ) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
        """Draw every figure into ``out_dir/img``; return their paths relative to ``out_dir``."""

        (out_dir / "img").mkdir(parents=True, exist_ok=True)
        confusion_images: dict[tuple[str, str], str] = {}
        for dataset in self.within_datasets:
            for method in self.methods:
                group = self.within(method, dataset)
                if not group or not group.ok:
                    continue
                y_true, y_pred, classes = group.pooled(group.seeds()[0])
                name = f"img/confusion__{plots.slug(method, dataset)}.png"
                plots.confusion_figure(metrics.confusion_matrix(y_true, y_pred, classes),
                                       [EMOTIONS[c] for c in classes], f"{method} on {dataset}",
                                       out_dir / name)
                confusion_images[method, dataset] = name
        cross_images: dict[str, str] = {}
        for method in self.methods:
            trains, tests, matrix = self.cross_matrix(method, "accuracy")
            if not trains:
                continue
            name = f"img/cross__{plots.slug(method)}.png"
            plots.cross_figure(matrix, trains, tests, f"{method}: accuracy, train × test",
                               out_dir / name)
            cross_images[method] = name
        return confusion_images, cross_images

    def draw_reliability(self, out_dir: Path) -> dict[str, str]:
        """One reliability diagram per within dataset, every method with stored scores."""

        images = {}
        for dataset in self.within_datasets:
            curves = {m: (c.confidence, c.accuracy) for m in self.methods
                      if (g := self.within(m, dataset)) and (c := g.reliability())}
            if curves:
                name = f"img/reliability__{plots.slug(dataset)}.png"
                plots.reliability_figure(curves, f"reliability on {dataset}", out_dir / name)
                images[dataset] = name
        return images

    def draw_robustness(self, out_dir: Path) -> dict[str, str]:
        """Accuracy against severity, one panel per corruption, per within dataset."""

        images = {}
        for dataset in self.within_datasets:
            table = self.robustness(dataset)
            if table:
                name = f"img/robustness__{plots.slug(dataset)}.png"
                plots.robustness_figure(table, f"robustness on {dataset}", out_dir / name)
                images[dataset] = name
        return images

    def draw_curves(self, out_dir: Path) -> dict[str, str]:
        """Accuracy and macro-F1 against training faces (log x) with CI bands, per dataset."""

        images = {}
        for dataset in self.within_datasets:
            curves = self.curves(dataset)
            if curves:
                lines = {m: [(p.n_train, p.accuracy, *p.ci["accuracy"], p.macro_f1,
                              *p.ci["macro_f1"]) for p in points]
                         for m, points in curves.items()}
                name = f"img/curves__{plots.slug(dataset)}.png"
                plots.learning_curve_figure(lines, f"learning curves on {dataset}",
                                            out_dir / name)
                images[dataset] = name
        return images

    def write(self, out_dir: Path) -> Path:
        """Write every page, picture and the CSV into ``out_dir``; return the README path."""
        out_dir.mkdir(parents=True, exist_ok=True)
        confusion_images, cross_images = self.draw_figures(out_dir)
        pages = {"cross.md": "cross-database", "per_class.md": "per-class F1",
                 "confusion.md": "confusion matrices", "results.csv": "all cells (CSV)"}
        (out_dir / "cross.md").write_text(self.cross_page(cross_images), encoding="utf-8")
        (out_dir / "per_class.md").write_text(self.per_class_page(), encoding="utf-8")
        (out_dir / "confusion.md").write_text(self.confusion_page(confusion_images),
                                              encoding="utf-8")
        if self.calibration_table():
            pages["calibration.md"] = "calibration"
            (out_dir / "calibration.md").write_text(
                self.calibration_page(self.draw_reliability(out_dir)), encoding="utf-8")
        if any(g.protocol == CURVE for g in self.groups.values()):
            pages["curves.md"] = "learning curves"
            (out_dir / "curves.md").write_text(self.curves_page(self.draw_curves(out_dir)),
                                               encoding="utf-8")
        if any(g.protocol == ROBUST for g in self.groups.values()):
            pages["robustness.md"] = "robustness"
            (out_dir / "robustness.md").write_text(
                self.robustness_page(self.draw_robustness(out_dir)), encoding="utf-8")
        if self.galleries():
            pages["explanations.md"] = "Grad-CAM galleries"
            (out_dir / "explanations.md").write_text(self.explanations_page(out_dir),
                                                     encoding="utf-8")
        self.write_csv(out_dir / "results.csv")
        readme = out_dir / "README.md"
        readme.write_text(self.readme(pages), encoding="utf-8")
        return readme


def load_report(run_dirs: list[Path]) -> Report:
    """The merged records and provenance of ``run_dirs``."""
    records, runs = [], []
    for run_dir in run_dirs:
        store = ResultStore(run_dir)
        if not store.results_dir.is_dir():
            raise FileNotFoundError(f"{run_dir} holds no results (no {store.results_dir})")
        records += [{**r, "run_dir": str(run_dir)} for r in store.records()]
        runs += [{"dir": str(run_dir), "info": info} for info in store.invocations() or [{}]]
    return Report(records, runs)


def load_results(*run_dirs: str | Path) -> pd.DataFrame:
    """Every stored cell of ``run_dirs`` (merged) as a DataFrame, one row per cell.

    The same table as a report's ``results.csv``, for analyses the report does not make.
    """
    if not run_dirs:
        raise ValueError("load_results: give at least one run directory")
    return load_report([Path(d) for d in run_dirs]).frame()


def write_report(run_dirs: list[Path], out_dir: Path) -> Path:
    """Render the records of ``run_dirs`` (merged) into ``out_dir``; return the README path."""
    return load_report(run_dirs).write(out_dir)
