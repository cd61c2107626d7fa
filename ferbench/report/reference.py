"""Published cross-domain FER results, shown beside a run's own on the cross page.

``cd_fer_benchmark.csv`` (shipped inside the package) copies the CD-FER benchmark's table:
accuracy in percent of models trained on RAF-DB and tested on five target datasets, under
CD-FER's own conventions (its comment lines cite it and state them). The report only ever
displays these numbers: they never enter a ranking, a best-of marker or a significance test.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files

FILE = "cd_fer_benchmark.csv"
SOURCE = "rafdb"
"""The only source dataset the published table has."""
COLUMNS = {"ck+": "ckplus", "jaffe": "jaffe", "sfew2.0": "sfew", "fer2013": "fer2013",
           "expw": "expw"}
"""The table's target columns → ferbench's dataset names."""
MEANS = "mean of methods"
"""The rows shown by default: per backbone, the mean of the adaptation methods CD-FER lists."""
CONVENTION = ("CD-FER aligns the faces of every dataset, reports accuracy on validation "
              "splits and uses all of JAFFE as a target; ferbench scores each target's test "
              "split (all of a dataset without an official split), its faces framed as the "
              "provenance says (aligned unless --faces as-published). The published rows "
              "stand beside ours for orientation and are never ranked.")


@dataclass(frozen=True)
class Published:
    """One published row: a backbone and method, and its accuracy (%) per target dataset."""

    backbone: str
    method: str
    accuracy: Mapping[str, float]
    """ferbench dataset name → accuracy in percent."""

    @property
    def label(self) -> str:
        return f"{self.backbone}, {self.method}"


def _text() -> str:
    return files("ferbench.report").joinpath(FILE).read_text(encoding="utf-8")


def citation() -> str:
    """The file's comment lines, joined: where the numbers come from and their protocol."""
    lines = [line.lstrip("#").strip() for line in _text().splitlines() if line.startswith("#")]
    return " ".join(line for line in lines if line)


def published(source: str, method: str = MEANS) -> list[Published]:
    """The published rows of ``method`` with ``source`` as source dataset, in file order;
    empty for a source the table does not cover."""
    if source != SOURCE:
        return []
    body = "\n".join(line for line in _text().splitlines() if not line.startswith("#"))
    rows = []
    for row in csv.DictReader(io.StringIO(body)):
        if row["method"] != method:
            continue
        try:
            accuracy = {name: float(row[column]) for column, name in COLUMNS.items()}
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{FILE}: row {row} lacks a number in a target column "
                             f"{sorted(COLUMNS)}: {error}") from None
        rows.append(Published(row["backbone"], row["method"], accuracy))
    return rows


def mean_over(accuracy: Mapping[str, float | None], targets: Sequence[str]) -> float | None:
    """The mean of ``accuracy`` over ``targets``; None unless every target has a value."""
    values = [accuracy.get(target) for target in targets]
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known and len(known) == len(values) else None
