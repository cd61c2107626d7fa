"""Executing a run: the immutable plan, one job at a time, serial, process-pool or Ray.

:func:`run` is the entry point: it plans a :class:`RunConfig` (:mod:`.plan`), runs each
work item (:mod:`.job`) on an executor (:mod:`.executors`), and blends the ensembles.
"""

from ferbench.run.config import RunConfig, RunSummary
from ferbench.run.plan import default_methods
from ferbench.run.ray_executor import require_ray
from ferbench.run.runner import run

__all__ = ["RunConfig", "RunSummary", "default_methods", "require_ray", "run"]
