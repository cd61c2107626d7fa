"""Named training budgets: how much compute a run gives each method.

A method that trains for a length of its choosing (the deep ones) registers a parameter
preset per budget; explicit ``--set`` values override the preset. Every cell records the
budget it ran under and the leaderboard shows it, so a 30-second network is never ranked
as if it were the published recipe.

- ``quick``: the embedded 3-minute demo run on two CPU cores.
- ``standard``: a real benchmark on a CPU workstation (each network ≤ 30 min on full FER2013).
- ``full``: the published recipe the method follows, sized for a GPU.

``auto`` (the default) picks ``quick`` when every selected dataset is embedded, else
``standard``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ferbench.core.errors import PluginError

BUDGETS = ("quick", "standard", "full")
AUTO = "auto"


def check_budget_names(method: str, budgets: dict[str, Any]) -> None:
    """A registered preset table must name known budgets only."""
    unknown = sorted(set(budgets) - set(BUDGETS))
    if unknown:
        raise PluginError(
            f"method {method!r} registers unknown budget(s) {', '.join(unknown)}; "
            f"budgets are {', '.join(BUDGETS)}"
        )


def resolve_budget(requested: str, embedded: Iterable[bool]) -> str:
    """The budget a run uses: ``requested``, or for ``auto`` quick when all data is embedded."""
    if requested == AUTO:
        return "quick" if all(embedded) else "standard"
    if requested not in BUDGETS:
        raise ValueError(f"--budget {requested!r} is not one of {AUTO}, {', '.join(BUDGETS)}")
    return requested
