"""The data context a dataset test reads through: its own data root and cache."""

from __future__ import annotations

from pathlib import Path

from ferbench import DataContext


def context(tmp_path: Path, **overrides: object) -> DataContext:
    """Data under ``tmp_path/data``, caches under ``tmp_path/cache``; ``overrides`` set the
    other fields (``skip_bad``, ``seed``)."""
    return DataContext(data_root=tmp_path / "data", cache_dir=tmp_path / "cache", **overrides)
