"""Planning a run: every check before any data is read, then the data, then the work.

Planning happens in three steps so that each failure comes as early as it can:
:func:`settle` checks the names and ``--set`` values, resolves the budget once and builds
every method once (no data read); :func:`load` locates every dataset before loading any;
:func:`make_plan` lays out the protocols' jobs and the work items, one per method × job ×
seed, with the ids of the cells each scores. Every step returns a frozen value.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, TypeVar

from ferbench.core.budgets import resolve_budget
from ferbench.core.dataset import Dataset, Splits
from ferbench.core.errors import UnknownNameError
from ferbench.core.method import InputSpec
from ferbench.core.registry import DATASETS, METHODS, load_plugins
from ferbench.data.contrast import equalized_note, note_equalized
from ferbench.data.framing import faces_note, faces_of, frame_splits
from ferbench.eval.protocols import (
    ROBUST,
    Job,
    Target,
    check_sources,
    learning_curve_jobs,
    plan_jobs,
)
from ferbench.pretrained import resolve_method
from ferbench.run.config import Progress, RunConfig
from ferbench.run.keys import (
    accepts,
    cell_id,
    job_key,
    method_identity,
    params_key,
    resolved_identity,
)

K = TypeVar("K")
V = TypeVar("V")


def _frozen(mapping: Mapping[K, V]) -> Mapping[K, V]:
    """A read-only copy of ``mapping``."""
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class MethodSetup:
    """A method as the run builds it: its parameters per seed, and the input it declared."""

    params: Mapping[int, Mapping[str, Any]]
    input_spec: InputSpec
    family: str
    resolved: Mapping[str, Any]
    """What the built method adds to its parameters in a cell key (keys.resolved_identity)."""
    needs_training_faces: bool = True
    """False for a pretrained model: its training faces are not prepared (Method's field)."""


@dataclass(frozen=True)
class Settings:
    """A run's choices, checked and resolved before any data is read."""

    config: RunConfig
    budget: str
    datasets: Mapping[str, Dataset]
    methods: Mapping[str, MethodSetup]
    faces: Mapping[str, str]
    """Dataset name → how its faces are framed: "aligned" or "as-published"."""

    @property
    def embedded(self) -> Mapping[str, bool]:
        """Dataset name → whether its data ships with ferbench (its faces may be shown)."""
        return _frozen({name: bool(p.embedded) for name, p in self.datasets.items()})


@dataclass(frozen=True)
class Data:
    """The run's datasets: the variant each was found in, and its loaded splits."""

    variants: Mapping[str, str]
    splits: Mapping[str, Splits]


@dataclass(frozen=True)
class WorkItem:
    """One method fitted once on one job with one seed, and the cells that model scores."""

    number: int
    """Its place in the plan, from 1 to ``total``."""
    total: int
    method: str
    job: Job
    seed: int
    params: Mapping[str, Any]
    """What the method is built with: budget preset, ``--set`` values, seed and device."""
    job_key: str
    params_key: str
    revision: int
    budget: str | None
    """The run's budget when the method has presets for it, else None."""
    cells: Mapping[str, Target]
    """Cell id → the test set it scores, in :func:`targets` order."""

    @property
    def label(self) -> str:
        """How progress lines name this item."""
        return (f"[{self.number}/{self.total}] {self.method} on {self.job.label} "
                f"(seed {self.seed})")


@dataclass(frozen=True)
class Plan:
    """Everything a run computes, decided before any method is fitted."""

    settings: Settings
    data: Data
    items: tuple[WorkItem, ...]

    @property
    def config(self) -> RunConfig:
        return self.settings.config


def default_methods() -> list[str]:
    """Every registered method that is installed and meant for the default run."""
    load_plugins()
    return [e.name for e in METHODS.entries() if e.in_default_run and e.available]


def _check_params(params: Mapping[str, Any]) -> None:
    """Check every ``--set NAME.key`` names a registered method or dataset."""
    for name in params:
        if name not in METHODS and name not in DATASETS:
            raise UnknownNameError(
                f"--set names {name!r}, which is neither a method nor a dataset; "
                + METHODS.unknown_message(name)
            )


def _method_params(config: RunConfig, budget: str, name: str, seed: int) -> dict[str, Any]:
    entry = METHODS.get(name)
    params = entry.params_for(budget, config.params.get(name, {}))
    if accepts(entry.factory, "seed"):
        params.setdefault("seed", seed)
    if config.device and accepts(entry.factory, "device"):
        params.setdefault("device", config.device)
    return params


def _set_up(config: RunConfig, budget: str, name: str) -> MethodSetup:
    """Resolve ``name``'s parameters for every seed and build it once, so that a bad one
    stops the run before any data is loaded (the error lists the method's parameters)."""
    params = {seed: _frozen(_method_params(config, budget, name, seed))
              for seed in config.seeds}
    method = METHODS.create(name, **params[config.seeds[0]])
    entry_budget = budget if METHODS.get(name).budgets else None
    return MethodSetup(_frozen(params), method.input_spec, method.family,
                       _frozen(resolved_identity(method, entry_budget)),
                       method.needs_training_faces)


def _check_sources(config: RunConfig) -> None:
    """Check the sources are among the datasets and leave targets the cross protocol scores."""
    if unlisted := [name for name in config.sources if name not in config.datasets]:
        raise ValueError(f"source dataset(s) {unlisted} are not among the run's datasets "
                         f"{config.datasets}")
    targets = [name for name in config.datasets if name not in config.sources]
    check_sources(config.sources, targets if config.sources else [], config.protocols)


def settle(config: RunConfig) -> Settings:
    """Check every name and ``--set`` value, resolve the budget and build every method once:
    all that can fail before any data is read. A method named by a model TOML file is
    registered under the name the file gives (:func:`ferbench.pretrained.resolve_method`)."""
    config = replace(config, methods=[resolve_method(name) for name in config.methods])
    for name in config.methods:
        METHODS.require_available(name)
    for name in config.datasets:
        DATASETS.require_available(name)
    _check_sources(config)
    _check_params(config.params)
    datasets = {name: DATASETS.create(name, **config.params.get(name, {}))
                for name in config.datasets}
    budget = resolve_budget(config.budget, (p.embedded for p in datasets.values()))
    methods = {name: _set_up(config, budget, name) for name in config.methods}
    faces = faces_of(datasets, config.faces)
    return Settings(config, budget, _frozen(datasets), _frozen(methods), _frozen(faces))


def load(settings: Settings, progress: Progress) -> Data:
    """Locate every dataset first (so a missing one fails before any work), then load and
    frame its faces as ``--faces`` says (aligned faces are cached: aligned once)."""
    context = settings.config.data
    variants = {name: p.locate(context) for name, p in settings.datasets.items()}
    splits = {}
    for name, plugin in settings.datasets.items():
        started = time.perf_counter()
        splits[name] = frame_splits(note_equalized(plugin.load(context)), plugin,
                                    settings.faces[name], context.cache_dir)
        parts = splits[name].parts()
        sizes = ", ".join(f"{k} {len(v)}" for k, v in parts.items())
        facts = next(iter(parts.values())).provenance
        filtered = f"; WARNING: {note}" if (note := equalized_note(facts)) else ""
        progress(f"loaded {name} ({variants[name]}): {sizes}; {faces_note(facts)}{filtered} "
                 f"[{time.perf_counter() - started:.1f}s]")
    return Data(_frozen(variants), _frozen(splits))


def targets(job: Job, corruptions: tuple[tuple[str, int], ...]) -> list[Target]:
    """The job's test sets, then each within test set under every ``--corruptions``."""
    robust = [Target(ROBUST, t.dataset, t.faces, t.classes, corruption)
              for t in job.targets if t.protocol == "within"
              for corruption in corruptions]
    return [*job.targets, *robust]


def _jobs(config: RunConfig, data: Data, seed: int) -> list[Job]:
    jobs = plan_jobs(dict(data.splits), config.protocols, seed, config.folds,
                     config.sources or None)
    return jobs + learning_curve_jobs(jobs, list(config.train_fractions), seed)


def _item(settings: Settings, number: int, total: int, method: str, job: Job,
          seed: int) -> WorkItem:
    setup = settings.methods[method]
    params = setup.params[seed]
    identity = method_identity(method, params, setup.resolved)
    key = job_key(method, identity, job, seed)
    entry = METHODS.get(method)
    cells = {cell_id(method, key, t, seed): t
             for t in targets(job, settings.config.corruptions)}
    return WorkItem(number, total, method, job, seed, params, key,
                    params_key(method, identity), entry.revision,
                    settings.budget if entry.budgets else None, _frozen(cells))


def make_plan(settings: Settings, data: Data) -> Plan:
    """The work items, seed by seed, job by job, method by method."""
    config = settings.config
    work = [(method, job, seed) for seed in config.seeds
            for job in _jobs(config, data, seed) for method in config.methods]
    items = tuple(_item(settings, number, len(work), *each)
                  for number, each in enumerate(work, start=1))
    return Plan(settings, data, items)
