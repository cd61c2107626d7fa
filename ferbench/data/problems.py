"""Problems met while decoding a dataset, and the one policy for them.

A decoder never stops at the first bad row: it records every problem (where + what) and
drops the sample, so one run tells the user everything that is wrong. Afterwards
:meth:`Problems.enforce` either raises :class:`~ferbench.DatasetFormatError` listing the first
few problems and their total, or — with ``skip_bad`` — returns the facts that go into each
FaceSet's provenance.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ferbench.core.dataset import DatasetFormatError
from ferbench.core.labels import EMOTIONS

LISTED = 10
"""How many problems an error message quotes verbatim."""

REASONS_IN_PROVENANCE = 3
"""How many problems a skip_bad load keeps in provenance, and examples of each reason."""
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_DETAIL = re.compile(r"\S*/\S*|\d+(?:\.\d+)?")


def reason_of(message: str) -> str:
    """The kind of a problem: its message up to the first ``:``, ``;`` or `` (``, with quoted
    values, paths and numbers replaced by ``…``, so that "unknown label 'bored'" and
    "unknown label 'tired'" count as one reason."""
    unquoted = _QUOTED.sub("…", message)
    head = re.split(r"[:;]|\s\(", unquoted, maxsplit=1)[0]
    return " ".join(_DETAIL.sub("…", head).split()) or message


class Problems:
    """The problems of one dataset: the first :data:`LISTED` verbatim, all of them counted,
    and the skipped samples counted by reason with the first few places of each."""

    def __init__(self, dataset: str, listed: list[str] | None = None, count: int = 0,
                 skipped: int = 0, reasons: Mapping[str, int] | None = None,
                 examples: Mapping[str, list[str]] | None = None):
        self.dataset = dataset
        self.listed = list(listed or [])
        self.count = count
        self.skipped = skipped
        self.reasons: Counter[str] = Counter(reasons or {})
        self.examples: dict[str, list[str]] = {k: list(v) for k, v in (examples or {}).items()}

    def add(self, where: object, message: str, samples: int = 1) -> None:
        """Record a problem at ``where`` (file, file line N, …) that drops ``samples`` samples."""
        self.count += 1
        self.skipped += samples
        if len(self.listed) < LISTED:
            self.listed.append(f"{where}: {message}")
        if not samples:
            return
        reason = reason_of(message)
        self.reasons[reason] += samples
        places = self.examples.setdefault(reason, [])
        if len(places) < REASONS_IN_PROVENANCE:
            places.append(str(where))

    def breakdown(self) -> str:
        """``no face found 931, duplicate row 8``: skipped samples by reason, most first."""
        return ", ".join(f"{reason} {n}" for reason, n in self.reasons.most_common())

    def to_json(self) -> dict[str, Any]:
        return {"listed": self.listed, "count": self.count, "skipped": self.skipped,
                "reasons": dict(self.reasons), "examples": self.examples}

    @classmethod
    def from_json(cls, dataset: str, data: Mapping[str, Any]) -> Problems:
        """The inverse of :meth:`to_json`; a KeyError when a field is missing."""
        return cls(dataset, data["listed"], data["count"], data["skipped"], data["reasons"],
                   data["examples"])

    def __len__(self) -> int:
        return self.count

    def enforce(self, skip_bad: bool) -> dict[str, Any]:
        """Raise unless ``skip_bad``; else the provenance facts ``skipped`` and its reasons."""
        if self.count and not skip_bad:
            shown = "\n".join(f"  - {line}" for line in self.listed)
            more = f"\n  … and {self.count - len(self.listed)} more" if self.count > LISTED else ""
            raise DatasetFormatError(
                f"dataset {self.dataset!r}: {self.count} problem(s) in its files"
                f"{f' (first {LISTED} listed)' if self.count > LISTED else ''}:\n{shown}{more}\n"
                "Fix the files, or skip the bad samples with --skip-bad "
                "(DataContext.skip_bad); skipped counts are recorded in provenance."
            )
        facts: dict[str, Any] = {"skipped": self.skipped}
        if self.count:
            facts["skipped_reasons"] = self.listed[:REASONS_IN_PROVENANCE]
            facts["skipped_by_reason"] = dict(self.reasons.most_common())
            facts["skipped_examples"] = self.examples
        return facts


def unknown_code(codes: Mapping[Any, int], code: object) -> str:
    """The problem message for a label code a dataset does not define, listing those it does."""
    known = ", ".join(f"{c} {EMOTIONS[i]}" for c, i in codes.items())
    return f"unknown label code {code!r}; known codes: {known}"
