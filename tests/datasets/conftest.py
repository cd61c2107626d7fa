"""Fixtures of the dataset plugin tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from ferbench import DataContext
from tests.datasets.data_context import context


@pytest.fixture
def ctx(tmp_path: Path) -> DataContext:
    """The test's data context: the layout writers write under ``ctx.data_root``; a variant
    (``skip_bad``, another ``seed``) is ``dataclasses.replace(ctx, ...)``."""
    return context(tmp_path)
