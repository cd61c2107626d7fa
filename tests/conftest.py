"""Shared fixtures: every test writes caches and data under temporary folders, never $HOME."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ferbench.results.store import ResultStore

REPO = Path(__file__).resolve().parents[1]
TEST_PLUGINS = REPO / "tests" / "plugins"
SHARED_DATA = REPO.parent / "shared" / "data"

_session_dir = Path(tempfile.mkdtemp(prefix="ferbench-tests-"))
os.environ["FERBENCH_CACHE"] = str(_session_dir / "cache")
os.environ["FERBENCH_DATA"] = str(_session_dir / "empty-data-root")
os.environ.pop("FERBENCH_PLUGINS", None)


@pytest.fixture
def shared_data() -> Path:
    """The real data samples beside the repository; skips when they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data samples not found at {SHARED_DATA} (../shared/data)")
    return SHARED_DATA


@pytest.fixture
def toy_plugins() -> Path:
    from ferbench.core.registry import load_plugins

    load_plugins([TEST_PLUGINS])
    return TEST_PLUGINS


def _toy_run_args(folder: Path, *extra: str, datasets: str | None = "toy-a,toy-b") -> list[str]:
    """``ferbench run`` arguments on the toy datasets, everything written under ``folder``
    (run directory ``folder/runs/r``, reports ``folder/reports``); ``datasets=None`` leaves
    ``--datasets`` out (for ``--train``/``--test``)."""
    chosen = ["--datasets", datasets] if datasets else []
    return ["run", "--plugins", str(TEST_PLUGINS), *chosen,
            "--out", str(folder / "runs" / "r"), "--reports", str(folder / "reports"),
            "--cache-dir", str(folder / "cache"), *extra]


def _stored_records(folder: Path) -> list[dict]:
    """The current records of the run directory ``run_args(folder, ...)`` wrote."""
    return ResultStore(folder / "runs" / "r").records()


@pytest.fixture(scope="session")
def run_args():
    """``run_args(folder, *extra, datasets="toy-a,toy-b")``: arguments of a toy ``ferbench
    run`` under ``folder``."""
    return _toy_run_args


@pytest.fixture(scope="session")
def stored():
    """``stored(folder)``: the records the toy run under ``folder`` stored."""
    return _stored_records


def _photo_with_face(shared_data, size=350, offset=(100, 80)):
    """A real CK+ face (from ../shared/data) pasted at 160 px into a noisy 350 px photo."""
    face_file = sorted((shared_data / "ckplus48" / "CK+48" / "happy").glob("*.png"))[0]
    face = Image.open(face_file).convert("RGB").resize((160, 160), Image.Resampling.BICUBIC)
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(90, 160, (size, size, 3), dtype=np.uint8))
    photo.paste(face, offset)
    return photo


@pytest.fixture(scope="session")
def photo_with_face():
    """``photo_with_face(shared_data, size=350, offset=(100, 80))``: a real CK+ face pasted
    into a noisy photo (PIL image)."""
    return _photo_with_face
