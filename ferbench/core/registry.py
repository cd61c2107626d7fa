"""Method and dataset registries, and discovery of plugins.

A plugin is a Python file that calls :func:`register_method` or :func:`register_dataset`.
Built-in plugins live in the top-level ``methods/`` and ``datasets/`` folders and are loaded
by path, exactly like a user's: through ``--plugins PATH`` (file or folder), the
``FERBENCH_PLUGINS`` path list, or the ``ferbench.methods`` / ``ferbench.datasets``
entry-point groups.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import importlib.metadata
import importlib.util
import inspect
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from ferbench.core.budgets import check_budget_names
from ferbench.core.errors import PluginError, UnknownNameError

T = TypeVar("T")

PLUGINS_ENV = "FERBENCH_PLUGINS"
ENTRY_POINT_GROUPS = ("ferbench.methods", "ferbench.datasets")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered factory and what ``ferbench list`` says about it."""

    name: str
    factory: Callable[..., T]
    summary: str
    source: str
    requires: tuple[str, ...] = ()
    in_default_run: bool = True
    details: dict[str, str] = field(default_factory=dict)
    budgets: dict[str, dict[str, Any]] = field(default_factory=dict)
    revision: int = 1

    def params_for(self, budget: str | None, params: dict[str, Any]) -> dict[str, Any]:
        """The budget's preset parameters overridden by the user's explicit ones."""
        if budget is None or not self.budgets:
            return dict(params)
        if budget not in self.budgets:
            raise ValueError(
                f"{self.name} has no budget {budget!r}; it has {', '.join(self.budgets)}"
            )
        return {**self.budgets[budget], **params}

    def parameter_defaults(self) -> str:
        """``C=10.0, features='hog', …``: the factory's keyword parameters and defaults."""
        try:
            parameters = inspect.signature(self.factory).parameters.values()
        except (TypeError, ValueError):
            return "unknown"
        shown = []
        for parameter in parameters:
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                shown.append(f"**{parameter.name} (see the method's documentation)")
            elif parameter.default is not inspect.Parameter.empty:
                shown.append(f"{parameter.name}={parameter.default!r}")
            elif parameter.kind is not inspect.Parameter.VAR_POSITIONAL:
                shown.append(f"{parameter.name} (required)")
        return ", ".join(shown) or "none"

    def missing_requirements(self) -> list[str]:
        """Importable modules this entry needs that are not installed."""
        return [module for module in self.requires if importlib.util.find_spec(module) is None]

    @property
    def available(self) -> bool:
        return not self.missing_requirements()


class Registry(Generic[T]):
    """Names → factories, for one kind of plugin (methods or datasets)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}

    def register(
        self,
        name: str,
        *,
        summary: str | None = None,
        requires: Iterable[str] = (),
        in_default_run: bool = True,
        details: dict[str, str] | None = None,
        budgets: dict[str, dict[str, Any]] | None = None,
        revision: int = 1,
    ) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator registering a factory (a class or a function) under ``name``.

        ``budgets`` maps budget names (see :data:`ferbench.core.budgets.BUDGETS`) to the parameters
        that budget presets; a method without them trains the same way under every budget.
        ``revision``: raise it when the method computes differently under the same
        parameters, so that stored results of the old code are recomputed, not reused.
        """
        if isinstance(revision, bool) or not isinstance(revision, int) or revision < 1:
            raise PluginError(f"{self.kind} {name!r}: revision must be an int >= 1, "
                              f"got {revision!r}")
        if budgets:
            check_budget_names(name, budgets)
        if not name or name != name.strip() or "," in name:
            raise PluginError(f"invalid {self.kind} name {name!r}: no commas or outer spaces")

        def decorate(factory: Callable[..., T]) -> Callable[..., T]:
            source = _source_of(factory)
            if name in self._entries:
                other = self._entries[name].source
                raise PluginError(
                    f"duplicate {self.kind} name {name!r}: registered by {other} and again by "
                    f"{source}; rename one of them"
                )
            self._entries[name] = Entry(
                name=name,
                factory=factory,
                summary=summary if summary is not None else _first_line(factory.__doc__),
                source=source,
                requires=tuple(requires),
                in_default_run=in_default_run,
                details=dict(details or {}),
                budgets={k: dict(v) for k, v in (budgets or {}).items()},
                revision=revision,
            )
            return factory

        return decorate

    def get(self, name: str) -> Entry[T]:
        """The entry for ``name``; an unknown name suggests the closest registered ones."""
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self._entries), n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        known = ", ".join(sorted(self._entries)) or "none"
        return f"unknown {self.kind} {name!r}{hint} (registered: {known})"

    def require_available(self, name: str) -> Entry[T]:
        """The entry for ``name``; an error says which extra to install when it lacks one."""
        entry = self.get(name)
        missing = entry.missing_requirements()
        if missing:
            raise PluginError(
                f"{self.kind} {name!r} needs {', '.join(missing)}, which is not installed "
                f"(install the matching extra, e.g. `pip install 'ferbench[deep]'`)"
            )
        return entry

    def create(self, name: str, **params: Any) -> T:
        """Build the registered ``name`` with keyword parameters."""
        entry = self.require_available(name)
        try:
            instance = entry.factory(**params)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"{self.kind} {name!r}: bad parameters {params}: {error}. "
                f"Its parameters (defaults): {entry.parameter_defaults()}"
            ) from None
        if getattr(instance, "name", None) == "":
            instance.name = name
        return instance

    def names(self, pattern: str = "*") -> list[str]:
        """Registered names matching a shell-style pattern, sorted."""
        return sorted(n for n in self._entries if fnmatch.fnmatch(n, pattern))

    def entries(self) -> list[Entry[T]]:
        return [self._entries[n] for n in self.names()]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def unregister(self, name: str) -> None:
        """Remove ``name`` (tests and interactive sessions re-registering a plugin)."""
        self._entries.pop(name, None)


def _first_line(doc: str | None) -> str:
    lines = (doc or "").strip().splitlines()
    return lines[0].strip() if lines else ""


def _source_of(factory: Callable[..., Any]) -> str:
    module = sys.modules.get(getattr(factory, "__module__", ""), None)
    return str(getattr(module, "__file__", None) or getattr(factory, "__module__", "?"))


METHODS: Registry[Any] = Registry("method")
DATASETS: Registry[Any] = Registry("dataset")

register_method = METHODS.register
register_dataset = DATASETS.register


def create_method(name: str, **params: Any) -> Any:
    """Build a registered method: ``create_method("svm", C=10)``."""
    load_plugins()
    return METHODS.create(name, **params)


def list_methods(pattern: str = "*") -> list[str]:
    load_plugins()
    return METHODS.names(pattern)


def list_datasets(pattern: str = "*") -> list[str]:
    load_plugins()
    return DATASETS.names(pattern)


_loaded_files: set[Path] = set()
_builtins_loaded = False


def builtin_plugin_dirs() -> list[Path]:
    """``methods/`` and ``datasets/``: inside the wheel, or beside the package in a checkout."""
    package = Path(__file__).resolve().parents[1]
    for base in (package / "_builtin", package.parent):
        dirs = [base / "datasets", base / "methods"]
        if all(d.is_dir() for d in dirs):
            return dirs
    return []


def load_plugins(extra: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Load built-in plugins, entry points, ``FERBENCH_PLUGINS`` and ``extra`` paths, once each."""
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        for folder in builtin_plugin_dirs():
            load_plugin_path(folder)
        _load_entry_points()
        env = os.environ.get(PLUGINS_ENV, "")
        for path in filter(None, env.split(os.pathsep)):
            load_plugin_path(path, origin=f"${PLUGINS_ENV}")
    for path in extra:
        load_plugin_path(path, origin="--plugins")


def load_plugin_path(path: str | os.PathLike[str], origin: str = "") -> None:
    """Import a plugin file, or every ``*.py`` file of a folder (sorted, ``_*`` skipped)."""
    path = Path(path).expanduser().resolve()
    where = f" (from {origin})" if origin else ""
    if path.is_dir():
        files = sorted(p for p in path.glob("*.py") if not p.name.startswith("_"))
    elif path.is_file() and path.suffix == ".py":
        files = [path]
    else:
        raise PluginError(f"plugin path {path}{where} is not a .py file or a folder")
    for file in files:
        _import_plugin_file(file, where)


def _import_plugin_file(file: Path, where: str) -> None:
    if file in _loaded_files:
        return
    _loaded_files.add(file)
    digest = hashlib.blake2b(str(file).encode(), digest_size=4).hexdigest()
    module_name = f"ferbench_plugin_{file.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise PluginError(f"cannot import plugin {file}{where}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except PluginError:
        raise
    except Exception as error:
        del sys.modules[module_name]
        last = traceback.extract_tb(error.__traceback__)[-1]
        raise PluginError(
            f"plugin {file}{where} failed to import: {type(error).__name__}: {error} "
            f"(at {last.filename}:{last.lineno})"
        ) from error


def _load_entry_points() -> None:
    for group in ENTRY_POINT_GROUPS:
        for entry_point in importlib.metadata.entry_points(group=group):
            try:
                entry_point.load()
            except Exception as error:
                raise PluginError(
                    f"entry point {entry_point.name!r} = {entry_point.value} in group {group} "
                    f"failed to load: {type(error).__name__}: {error}"
                ) from error
