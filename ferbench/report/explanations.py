"""``explanations.md``: per deep method and dataset, the Grad-CAM gallery the run saved of
correctly and wrongly classified test faces."""

from __future__ import annotations

import shutil
from pathlib import Path

from ferbench.report import plots
from ferbench.report.data import ReportData
from ferbench.report.groups import Record


def galleries(data: ReportData) -> dict[tuple[str, str], Record]:
    """Per (method, dataset): the within record of the first seed and fold that has an
    explanation gallery."""
    chosen: dict[tuple[str, str], Record] = {}
    for record in sorted((r for r in data.records if r.get("status") == "ok"
                          and r.get("gallery") and r["protocol"] == "within"),
                         key=lambda r: (r["seed"], r["fold"] if r["fold"] is not None else -1)):
        chosen.setdefault((record["method"], record["test"]), record)
    return chosen


def render(data: ReportData, out_dir: Path) -> str | None:
    """The page; None when no record has a gallery. Faces of embedded (synthetic) datasets
    are copied into ``out_dir/img``; faces of real datasets stay in the run directory, never
    in a report."""
    chosen = galleries(data)
    if not chosen:
        return None
    out = ["# What the networks look at", "",
           "Grad-CAM (captum, last convolution) of the predicted class on test faces of "
           "the first fold and seed: the top row correctly classified, the bottom row "
           "wrongly, each titled true → predicted.", ""]
    for (method, dataset), record in sorted(chosen.items()):
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
