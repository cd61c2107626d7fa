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


def gallery_path(record: Record) -> Path:
    """The gallery file a record names, which must lie inside its run directory: a record is
    a file anyone may have edited, and a report never copies or points at a file outside it.
    Raises ValueError naming the record's cell."""
    run_dir, named = Path(record["run_dir"]), record["gallery"]
    inside = (isinstance(named, str) and "\x00" not in named and not Path(named).is_absolute()
              and run_dir.resolve() in (run_dir / named).resolve().parents)
    if not inside:
        raise ValueError(f"{run_dir}: the record of cell {record.get('cell')!r} names the "
                         f"explanation gallery {named!r}, which is not a file inside the run "
                         f"directory; the record was edited or comes from another run")
    return run_dir / named


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
        source = gallery_path(record)
        if record.get("gallery_public") and source.is_file():
            name = f"img/gallery__{plots.slug(method, dataset)}.png"
            shutil.copyfile(source, out_dir / name)
            out += [f"![{method} Grad-CAM on {dataset}]({name})", ""]
        else:
            out += [f"Not copied into the report: {dataset}'s faces belong to its licence "
                    f"holders. The gallery is `{source}`.", ""]
    return "\n".join(out)
