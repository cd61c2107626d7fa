"""The keys that name a run's cells and decide which stored results are reused.

A stored cell is reused only when its key is computed again, so these strings must stay
exactly as they are for the same inputs: changing one recomputes every stored real run.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable
from typing import Any

from ferbench.core.registry import METHODS
from ferbench.eval.protocols import Job, Target


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


def method_identity(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """What a cell's results depend on in the method: its parameters, defaults included, and
    its revision once raised above 1 (so results stored before revisions existed keep their
    keys)."""
    entry = METHODS.get(name)
    resolved = _with_defaults(entry.factory, params)
    return resolved if entry.revision == 1 else {**resolved, "method revision": entry.revision}


def job_key(name: str, params: dict[str, Any], job: Job, seed: int) -> str:
    """The key of ``name`` trained once on ``job`` with ``params`` and ``seed``."""
    val_print = job.val.fingerprint if job.val is not None else None
    return digest(name, method_identity(name, params), job.train_dataset, job.fold, seed,
                  job.train.fingerprint, val_print)


def params_key(name: str, params: dict[str, Any]) -> str:
    """A digest of every parameter ``name`` is built with, defaults included, bar the
    seed, and of its revision: cells that share it ran the same method and may be pooled."""
    identity = method_identity(name, params)
    return digest(name, {k: v for k, v in identity.items() if k != "seed"})


def cell_id(method: str, job: str, target: Target, seed: int) -> str:
    """A readable, unique file name for one cell: ``method`` scored on ``target`` by the model
    of the job whose key is ``job``."""
    parts = [job, target.protocol, target.dataset, target.faces.fingerprint]
    test = target.dataset
    if target.corruption is not None:
        parts.append(target.corruption)
        test += "__{}{}".format(*target.corruption)
    return f"{method}__{target.protocol}__{test}__s{seed}__{digest(*parts)}"
