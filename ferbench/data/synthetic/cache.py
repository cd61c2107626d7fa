"""Generated splits cached on disk as ``.npz``, keyed by (version, domain, sizes, seed)."""

from __future__ import annotations

import contextlib
import json
import os
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ferbench.data.synthetic.expression import BASIC_LABELS
from ferbench.data.synthetic.generator import (
    GENERATOR_VERSION,
    SPLITS,
    SyntheticSplit,
    check_count,
    check_seed,
    generate,
)
from ferbench.data.synthetic.style import domain_style


def load_splits(
    domain: str, sizes: Mapping[str, int], seed: int, cache_dir: Path | None = None
) -> dict[str, SyntheticSplit]:
    """Train, val and test of ``domain`` with ``sizes[split]`` faces each, cached on disk.

    The cache file is keyed by (generator version, domain, sizes, seed); one that is
    unreadable or does not match is regenerated, never trusted.
    """
    domain_style(domain)
    counts = {split: check_count(f"n_{split}", sizes.get(split)) for split in SPLITS}
    seed = check_seed(seed)
    path = None if cache_dir is None else Path(cache_dir) / cache_file_name(domain, counts, seed)
    if path is not None:
        cached = _read_cache(path, domain, counts, seed)
        if cached is not None:
            return cached
    splits = {split: generate(domain, counts[split], seed, split) for split in SPLITS}
    if path is not None:
        _write_cache(path, splits, _cache_meta(domain, counts, seed))
    return splits


def cache_file_name(domain: str, sizes: Mapping[str, int], seed: int) -> str:
    """The cache file of one (generator version, domain, sizes, seed)."""
    counts = "-".join(str(sizes[split]) for split in SPLITS)
    return f"{domain}-v{GENERATOR_VERSION}-seed{seed}-{counts}.npz"


_UNREADABLE = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)


def _cache_meta(domain: str, sizes: Mapping[str, int], seed: int) -> str:
    """What a cache file must say it holds to be read back."""
    meta = {"version": GENERATOR_VERSION, "domain": domain, "sizes": dict(sizes), "seed": seed}
    return json.dumps(meta, sort_keys=True)


def _read_cache(
    path: Path, domain: str, sizes: Mapping[str, int], seed: int
) -> dict[str, SyntheticSplit] | None:
    """The cached splits, or None when the file is absent, unreadable or does not match."""
    style = domain_style(domain)
    image_shape = (style.size, style.size, 3) if style.rgb else (style.size, style.size)
    try:
        with np.load(path, allow_pickle=False) as archive:
            if str(archive["meta"]) != _cache_meta(domain, sizes, seed):
                return None
            splits = {
                split: SyntheticSplit(*(archive[f"{split}_{f}"] for f in SyntheticSplit._fields))
                for split in SPLITS
            }
    except _UNREADABLE:
        return None
    for split, part in splits.items():
        n = sizes[split]
        sound = (
            part.images.dtype == np.uint8
            and part.images.shape == (n, *image_shape)
            and all(column.shape == (n,) for column in part[1:])
            and part.subjects.dtype.kind == "U"
            and np.isin(part.labels, BASIC_LABELS).all()
            and np.isin(part.clean_labels, BASIC_LABELS).all()
        )
        if not sound:
            return None
    return splits


def _write_cache(path: Path, splits: Mapping[str, SyntheticSplit], meta: str) -> None:
    """Write atomically (temp file, then rename); a cache that cannot be written only warns."""
    arrays = {
        f"{split}_{field}": value
        for split, part in splits.items()
        for field, value in zip(SyntheticSplit._fields, part, strict=True)
    }
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            np.savez(handle, meta=np.array(meta), **arrays)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        warnings.warn(f"could not cache synthetic data at {path}: {error}", stacklevel=3)
