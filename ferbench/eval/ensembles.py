"""Soft-vote ensembles built from stored class scores, without retraining.

``--ensembles cnn+seresnet`` averages the members' stored scores on every cell they share
(same training set, fold, seed and test faces) and stores the blend as a cell of its own,
named ``cnn+seresnet``: the report ranks it like any method and tests it against its best
member.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

import numpy as np

from ferbench.core.labels import emotion_index
from ferbench.eval import metrics
from ferbench.eval.metrics import PROBA_DECIMALS

SEPARATOR = "+"


class EnsembleError(ValueError):
    """An ``--ensembles`` value that cannot be built from the run's methods."""


def parse_ensembles(text: str, methods: Iterable[str]) -> list[tuple[str, ...]]:
    """``"cnn+seresnet,svm+cnn"`` → member tuples, each member one of ``methods``."""
    methods = list(methods)
    ensembles: list[tuple[str, ...]] = []
    for spec in filter(None, (part.strip() for part in text.split(","))):
        members = tuple(m.strip() for m in spec.split(SEPARATOR))
        if len(members) < 2 or len(set(members)) != len(members) or not all(members):
            raise EnsembleError(f"--ensembles {spec!r}: name two or more different methods "
                                f"joined by '+', e.g. cnn+seresnet")
        missing = [m for m in members if m not in methods]
        if missing:
            raise EnsembleError(f"--ensembles {spec!r}: {', '.join(missing)} not among the "
                                f"run's methods ({', '.join(methods)}); add to --methods")
        if members not in ensembles:
            ensembles.append(members)
    return ensembles


def ensemble_name(members: tuple[str, ...]) -> str:
    return SEPARATOR.join(members)


def blend(members: Mapping[str, dict[str, Any] | None]) -> dict[str, Any]:
    """The ensemble's record fields from its members' stored records of one cell.

    Raises :class:`EnsembleError` naming the member when a record is missing, failed, lacks
    stored scores, or was scored on other test faces than the rest.
    """
    for name, record in members.items():
        if record is None:
            raise EnsembleError(f"member {name} has no stored result for this cell")
        if record.get("status") != "ok":
            raise EnsembleError(f"member {name} failed on this cell: {record.get('error')}")
        if "proba" not in record:
            raise EnsembleError(f"member {name}'s result {record['cell']} stores no class "
                                f"scores (written by an older ferbench); delete it and re-run")
    records = list(members.values())
    first = records[0]
    for name, record in members.items():
        if record["y_true"] != first["y_true"] or record["classes"] != first["classes"]:
            raise EnsembleError(f"member {name} was scored on other test faces or classes "
                                f"than {records[0]['method']}")
    classes = np.array([emotion_index(name) for name in first["classes"]])
    proba = np.mean([np.asarray(r["proba"], dtype=float) for r in records], axis=0)
    y_true = np.asarray(first["y_true"])
    y_pred = classes[np.argmax(proba, axis=1)]
    return {
        "status": "ok",
        "n_test": first["n_test"],
        "classes": first["classes"],
        "excluded": first["excluded"],
        "fit_seconds": sum(r["fit_seconds"] for r in records),
        "predict_seconds": sum(r["predict_seconds"] for r in records),
        "method_info": {"features": " + ".join(
            str(r.get("method_info", {}).get("features", r["method"])) for r in records)},
        "score_kind": "mean of the members' stored scores",
        "family": "+".join(sorted({str(r.get("family")) for r in records})),
        "budget": " + ".join(sorted({r["budget"] for r in records if r.get("budget")})) or None,
        "metrics": metrics.score(y_true, y_pred, classes),
        "y_true": first["y_true"],
        "y_pred": y_pred.tolist(),
        "proba": np.round(proba, PROBA_DECIMALS).tolist(),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }

