"""The keys that name a run's cells and decide which stored results are reused.

A stored cell is reused only when its key is computed again, so a key holds everything the
cell's numbers depend on: the method's parameters with their defaults, what the built method
resolves itself (:meth:`ferbench.Method.identity`: a network's whole training configuration,
the device and precision "auto" picked), the versions of its feature extractors, the budget,
the method's revision, the fingerprints of the training, validation and test faces, and the
label space the cell scores over. :data:`KEY_FORMAT` names this recipe; raising it recomputes
every stored cell (their records move to ``results/superseded/``).
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable, Mapping
from typing import Any

from ferbench.core.method import Method
from ferbench.core.registry import METHODS
from ferbench.eval.protocols import Job, Target
from ferbench.features import VERSIONS

KEY_FORMAT = 2
"""1: parameters and defaults only; 2: also resolved settings, feature versions, budget and
the scored label space."""


def digest(*parts: Any) -> str:
    """A short stable hash of JSON-able ``parts`` (anything else is hashed as its ``str``)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def accepts(factory: Callable[..., Any], parameter: str) -> bool:
    """Whether ``factory`` takes a keyword ``parameter`` (by name or through ``**kwargs``)."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return False
    return parameter in signature.parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()
    )


def _with_defaults(factory: Callable[..., Any], params: dict[str, Any]) -> dict[str, Any]:
    """``params`` completed with the factory's own defaults: the parameters a cell was
    computed under, so that a changed default computes it afresh."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return params
    defaults = {name: p.default for name, p in signature.parameters.items()
                if p.default is not inspect.Parameter.empty}
    return {**defaults, **params}


def resolved_identity(method: Method, budget: str | None) -> dict[str, Any]:
    """What a built ``method`` adds to its parameters in a key: its own resolved settings,
    its feature extractors' versions and the budget it runs under."""
    versions = {f.key: VERSIONS.get(f.name, "?") for f in method.input_spec.features}
    return {"resolved": method.identity(), "features": versions, "budget": budget}


def method_identity(name: str, params: Mapping[str, Any], resolved: Mapping[str, Any]
                    ) -> dict[str, Any]:
    """What a cell's results depend on in the method: its parameters, defaults included,
    its revision and ``resolved`` (:func:`resolved_identity`)."""
    entry = METHODS.get(name)
    return {"params": _with_defaults(entry.factory, dict(params)), "revision": entry.revision,
            **resolved}


def job_key(name: str, identity: Mapping[str, Any], job: Job, seed: int) -> str:
    """The key of ``name`` (built as ``identity`` says) trained once on ``job`` with ``seed``."""
    val_print = job.val.fingerprint if job.val is not None else None
    return digest(KEY_FORMAT, name, identity, job.train_dataset, job.fold, seed,
                  job.train.fingerprint, val_print)


def params_key(name: str, identity: Mapping[str, Any]) -> str:
    """A digest of ``identity`` bar the seed: cells that share it ran the same method and
    may be pooled."""
    params = {k: v for k, v in identity["params"].items() if k != "seed"}
    return digest(KEY_FORMAT, name, {**identity, "params": params})


def cell_id(method: str, job: str, target: Target, seed: int) -> str:
    """A readable, unique file name for one cell: ``method`` scored on ``target`` by the model
    of the job whose key is ``job``."""
    parts = [job, target.protocol, target.dataset, target.faces.fingerprint, target.classes]
    test = target.dataset
    if target.corruption is not None:
        parts.append(target.corruption)
        test += "__{}{}".format(*target.corruption)
    return f"{method}__{target.protocol}__{test}__s{seed}__{digest(*parts)}"
