"""What every page of a report reads: the grouped records of its run directories, their
provenance, and which methods are tied with the best on each dataset."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

from ferbench.eval import stats
from ferbench.pretrained import NOT_CONTROLLED, PRETRAINED
from ferbench.report.groups import Group, Record, group_records

ALPHA = 0.05
"""Significance level of every McNemar test the report makes."""


class ReportData:
    """The records of one report, grouped; the pages render from this alone.

    ``runs`` holds one entry per recorded invocation: ``{"dir": run directory, "info":
    its provenance}``.
    """

    def __init__(self, records: list[Record], runs: list[dict[str, Any]]):
        self.records = records
        self.runs = runs
        self.groups = group_records(records)
        self.methods = sorted({g.method for g in self.groups.values()})
        self.within_datasets = sorted({g.train for g in self.groups.values()
                                       if g.protocol == "within"})
        self.cross_pairs = sorted({(g.train, g.test) for g in self.groups.values()
                                   if g.protocol == "cross" and not g.condition})
        """(source, target) of every cross-dataset score, on clean faces."""
        self.cross_only_sources = sorted({train for train, _ in self.cross_pairs}
                                         - set(self.within_datasets))
        """Sources scored only on other datasets (``--protocol cross``)."""
        self.multi_seed = any(len(g.seeds()) > 1 for g in self.groups.values())
        self.pretrained = {r["method"] for r in records
                           if PRETRAINED in str(r.get("family", "")).split("+")}
        """Pretrained models, run as they are and never trained here, and the ensembles
        (``--ensembles``) with one among their members."""

    def label(self, method: str) -> str:
        """How every table names ``method``: a pretrained model's rows carry the mark."""
        return f"{method} — {NOT_CONTROLLED}" if method in self.pretrained else method

    def pretrained_note(self) -> str:
        """What the mark means; "" when no row carries it."""
        if not self.pretrained:
            return ""
        return (f"Rows marked *{NOT_CONTROLLED}* are published models run as they are "
                f"(`--methods model.toml`): ferbench does not know what they were trained "
                f"on, so a within-dataset score may include faces the model was trained on, "
                f"and cross-dataset scores may not be cross-dataset for them. Their fit only "
                f"records the training set's classes, which they are scored on.")

    @cached_property
    def computed_by(self) -> list[int | None]:
        """Per record (in ``records``' order), the index in ``runs`` of the invocation that
        computed it: the last one of its run directory started before it finished; None when
        none says when it started."""
        indices = []
        for record in self.records:
            finished, index = str(record.get("finished", "")), None
            for position, run in enumerate(self.runs):
                started = run["info"].get("started")
                if run["dir"] == record.get("run_dir") and started and started <= finished:
                    index = position
            indices.append(index)
        return indices

    @cached_property
    def commits(self) -> list[str | None]:
        """Per record, the ferbench commit of the invocation that computed it."""
        return [None if index is None else self.runs[index]["info"].get("git_commit")
                for index in self.computed_by]

    def group(self, method: str, protocol: str, train: str, test: str, condition: str = ""
              ) -> Group | None:
        return self.groups.get((method, protocol, train, test, condition))

    def within(self, method: str, dataset: str) -> Group | None:
        return self.group(method, "within", dataset, dataset)

    def scored_within(self, method: str, dataset: str) -> Group | None:
        """The within group of ``method`` on ``dataset`` if at least one of its cells scored."""
        return self.scored(method, dataset, dataset)

    def scored(self, method: str, train: str, test: str) -> Group | None:
        """The within (``train == test``) or cross group of ``method`` if one of its cells
        scored."""
        protocol = "within" if train == test else "cross"
        group = self.group(method, protocol, train, test)
        return group if group and group.ok else None

    def scored_pairs(self) -> list[tuple[str, str]]:
        """(train, test) of every within dataset, then every cross pair: the sections of
        the per-class and confusion pages."""
        return [(d, d) for d in self.within_datasets] + self.cross_pairs

    def has_protocol(self, protocol: str) -> bool:
        return any(g.protocol == protocol for g in self.groups.values())

    @cached_property
    def significance(self) -> dict[str, tuple[set[str], str]]:
        """:meth:`tied_with_best` of every within dataset, computed once per report."""
        return {d: self.tied_with_best(d) for d in self.within_datasets}

    def tied_with_best(self, dataset: str) -> tuple[set[str], str]:
        """Methods whose accuracy is not significantly different from the best (McNemar, Holm).

        Returns the set (the best included) and a sentence saying what was compared.
        """
        groups = {m: g for m in self.methods if (g := self.scored_within(m, dataset))}
        if len(groups) < 2:
            return set(groups), ""
        first = {m: g.first_pooled() for m, g in groups.items()}
        best = max(groups, key=lambda m: groups[m].scores[0]["accuracy"])
        y_true = first[best][0]
        comparable = [m for m in groups if m != best and np.array_equal(first[m][0], y_true)]
        p_values = [stats.mcnemar(y_true, first[best][1], first[m][1])["p_value"]
                    for m in comparable]
        adjusted = stats.holm(p_values)
        tied = {best} | {m for m, p in zip(comparable, adjusted) if p >= ALPHA}
        return tied, f"{dataset}: best {best}, {len(comparable)} comparison(s)"
