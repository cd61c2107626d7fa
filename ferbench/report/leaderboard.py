"""The report's ``README.md``: the within-dataset leaderboard with its significance marks,
ensembles, failed cells, timing, landmark face boxes and provenance, linking the other
pages."""

from __future__ import annotations

from collections import Counter

import numpy as np

from ferbench.data.contrast import equalized_note
from ferbench.data.framing import faces_note
from ferbench.data.inventory import skipped_note
from ferbench.eval import stats
from ferbench.report import ensembles
from ferbench.report.data import ALPHA, ReportData
from ferbench.report.tables import score_cell, section_title, table


def within_table(data: ReportData) -> str:
    """Methods × datasets: accuracy and macro-F1 with CIs, rows sorted by mean macro-F1;
    bold = tied with the best."""
    headers = ["method", "features", "budget"]
    for dataset in data.within_datasets:
        headers += [f"{dataset} accuracy", f"{dataset} macro-F1"]
    tied = {d: tied for d, (tied, _) in data.significance.items()}
    rows, order = [], []
    for method in data.methods:
        groups = [data.within(method, d) for d in data.within_datasets]
        if not any(groups):
            continue
        info = next((g.method_info() for g in groups if g), {})
        budgets = {g.budget() for g in groups if g and g.ok}
        row = [data.label(method), info.get("features", "pixels"),
               " / ".join(sorted(budgets)) or "—"]
        f1s = []
        for dataset, group in zip(data.within_datasets, groups):
            accuracy = score_cell(group, "accuracy", data.multi_seed)
            if method in tied[dataset]:
                accuracy = f"**{accuracy}**"
            notes = group.capped_note() + group.mixed_note() if group else ""
            row += [accuracy + notes, score_cell(group, "macro_f1", data.multi_seed)]
            if group and group.ok:
                f1s.append(group.summary("macro_f1")[0])
        rows.append(row)
        order.append(np.mean(f1s) if f1s else -1.0)
    rows = [rows[i] for i in np.argsort(order, kind="stable")[::-1]]
    return table(rows, headers)


def mixed_legend(data: ReportData) -> str:
    """The ⚠ mark explained, only when some row carries it."""
    if not any(g.mixed_note() for g in data.groups.values() if g.protocol == "within"):
        return ""
    return (" ⚠ k parameter sets: the row pools cells computed under k different sets of "
            "method parameters (or method revisions); rerun its command to the end so that "
            "one set remains.")


def failures(data: ReportData, status: str = "failed") -> list[str]:
    """One bullet per cell of ``status`` ("failed" or "incomplete"), with why, sorted."""
    lines = []
    for group in data.groups.values():
        for record in group.failed if status == "failed" else group.incomplete:
            fold = f" fold {record['fold']}" if record.get("fold") is not None else ""
            lines.append(
                f"- **{data.label(group.method)}** {group.protocol} {group.train} → "
                f"{' '.join(filter(None, (group.test, group.condition)))}{fold} "
                f"(seed {record['seed']}): `{record.get('error', 'unknown error')}`"
            )
    return sorted(lines)


def timing_table(data: ReportData) -> str:
    """Mean fit and predict seconds per method and training dataset, and what ended
    training; "" when nothing scored. A source without a within score is timed by its first
    target's cells (the fit is the same for every target)."""
    rows = []
    for method in data.methods:
        for source in [*data.within_datasets, *data.cross_only_sources]:
            group = data.scored_within(method, source) or next(
                (g for train, test in data.cross_pairs if train == source
                 and (g := data.scored(method, train, test))), None)
            if not group:
                continue
            fit = np.mean([r["fit_seconds"] for r in group.ok])
            predict = np.mean([r["predict_seconds"] for r in group.ok])
            ended = group.method_info().get("stopped_by", "")
            sizes = sorted({r["n_train"] for r in group.ok})
            faces = str(sizes[0]) if len(sizes) == 1 else f"{sizes[0]}–{sizes[-1]}"
            rows.append([data.label(method), section_title(group.train, group.test), faces,
                         f"{fit:.2f}", f"{predict:.3f}", ended])
    if not rows:
        return ""
    return table(rows, ["method", "dataset", "train faces", "fit s", "predict s",
                        "training ended by"])


def landmark_boxes(data: ReportData) -> list[str]:
    """Per method and dataset using landmarks: faces located by dlib's box or whole image."""
    lines = []
    for method in data.methods:
        for dataset in data.within_datasets:
            group = data.within(method, dataset)
            boxes = group.method_info().get("landmark_boxes") if group else None
            if boxes:
                lines.append(f"- {method} on {dataset}: detector box {boxes['detector_box']}, "
                             f"whole image {boxes['whole_image']}")
    return lines


def provenance(data: ReportData) -> list[str]:
    """Per recorded invocation: its command, commit, hardware, versions, data and how many
    of the report's cells it computed; first a warning when those came from several
    commits."""
    lines = mixed_commits(data)
    for index, run in enumerate(data.runs):
        info = run["info"]
        if not info:
            lines.append(f"- run `{run['dir']}`: no provenance recorded")
            continue
        computed = data.computed_by.count(index)
        lines.append(f"- `{info.get('command', '?')}` (started {info.get('started', '?')}, "
                     f"run directory `{run['dir']}`; computed {computed} of the "
                     f"{len(data.records)} cells)")
        lines.append(f"  - ferbench commit `{info.get('git_commit')}`; "
                     f"hardware: {info.get('hardware', '?')}")
        versions = ", ".join(f"{k} {v}" for k, v in info.get("versions", {}).items())
        lines.append(f"  - versions: {versions}")
        variants = info.get("variants", {})
        for name, parts in info.get("data", {}).items():
            sizes = ", ".join(f"{p} {v['n']}" for p, v in parts.items())
            prints = ", ".join(f"{p} `{v['fingerprint'][:12]}`" for p, v in parts.items())
            dataset_facts = next(iter(parts.values()), {}).get("provenance", {})
            bad = f"; {skipped_note(dataset_facts)}" if dataset_facts.get("skipped") else ""
            framed = faces_note(dataset_facts)
            bad += f"; {framed}" if framed else ""
            filtered = equalized_note(dataset_facts)
            bad += f"; **{filtered}**" if filtered else ""
            lines.append(f"  - data {name} ({variants.get(name, '?')}): {sizes}{bad}; "
                         f"fingerprints {prints}")
    return lines


def mixed_commits(data: ReportData) -> list[str]:
    """A warning line when the report's cells were computed by more than one commit."""
    counts = Counter(commit or "unknown" for commit in data.commits)
    if len(counts) < 2:
        return []
    listed = ", ".join(f"`{commit}` {n}" for commit, n in sorted(counts.items()))
    return [f"**Cells from {len(counts)} commits** ({listed}): this report is not one "
            f"run of one commit; `results.csv`'s `commit` column says which cell came "
            f"from which.", ""]


def _legend(data: ReportData) -> str:
    return ("Official test split, or pooled subject-independent folds where a dataset has "
            "no official split; rows sorted by mean macro-F1. Each score shows its 95 % "
            "confidence interval `[low, high]` (stratified bootstrap over test faces, "
            f"{stats.BOOTSTRAP_REPLICATES} replicates"
            + (", first seed" if data.multi_seed else "") + "). "
            + ("`mean ± std` is across seeds. " if data.multi_seed else "")
            + "`budget`: the training budget of methods that have one (`--budget`); "
            "⏱ capped k/n: a time cap stopped k of the n fits before their schedule ended. "
            "**Bold** accuracy: not significantly different from the best method on that "
            "dataset (exact McNemar test on the same test faces, Holm-corrected, "
            f"α = {ALPHA})." + mixed_legend(data))


def render(data: ReportData, pages: dict[str, str]) -> str:
    """The README page, linking ``pages`` (file name → title) in their order."""
    out = ["# ferbench leaderboard", "",
           "Generated by `ferbench report` from stored results; do not edit by hand.", ""]
    out += [f"Pages: {' · '.join(f'[{title}]({name})' for name, title in pages.items())}", ""]
    out += ["## Within-dataset leaderboard", ""]
    if data.within_datasets:
        out += [_legend(data), "", within_table(data), ""]
    else:
        out += ["No model of this run was scored on its own dataset's test faces (`--protocol "
                "cross`): its scores are on the [cross-database page](cross.md).", ""]
    if data.pretrained:
        out += [data.pretrained_note(), ""]
    comparisons = [sentence for _, sentence in data.significance.values() if sentence]
    if comparisons:
        out += [f"Significance tests: {'; '.join(comparisons)}.", ""]
    out += ensembles.section(data)
    failed = failures(data)
    if failed:
        out += ["## Failed cells", "",
                "These cells raised; the rest of the run completed. Re-running the same "
                "command retries them.", "", *failed, ""]
    incomplete = failures(data, "incomplete")
    if incomplete:
        out += ["## Incomplete cells", "",
                "A time cap stopped these fits before their schedule ended, so they are not "
                "finished results: they are left out of every ranking and test above, and the "
                "same command computes them again.", "", *incomplete, ""]
    timing = timing_table(data)
    if timing:
        out += ["## Timing", "", "Mean wall time per fit and per prediction of the test set"
                + (" (`A → B`: of a source scored only across, B's)."
                   if data.cross_only_sources else "."),
                "", timing, ""]
    boxes = landmark_boxes(data)
    if boxes:
        out += ["## Landmark face boxes", "",
                "Training faces whose landmarks came from dlib's detector box, and those "
                "for which it found no face and the whole image was used.", "", *boxes, ""]
    out += ["## Provenance", "", *provenance(data), ""]
    return "\n".join(out)
