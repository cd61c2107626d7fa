"""The decoding cache: decoded :class:`Samples` on disk, one ``.npz`` per dataset setting.

An entry lives at ``<cache_dir>/datasets/<dataset>-<variant>-<settings>.npz``, where
``settings`` hashes the plugin's parameters and :data:`FORMAT_VERSION`. Inside, next to the
arrays, it records the fingerprint of the source files it was decoded from (path, size and
mtime_ns of each). A load whose sources no longer match (stale), or whose file does not
read back whole (zip CRC, missing arrays, wrong lengths: corrupt), is rebuilt and
overwritten, never trusted. Writes go to a temporary file first and are renamed into place,
so a crash never leaves half an entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ferbench.data.problems import Problems
from ferbench.data.samples import Samples

FORMAT_VERSION = 1
"""Bumped whenever a decoder's output changes meaning, so old entries are never read."""

ARRAYS = ("images", "labels", "subjects", "ids", "parts")

DECODES: Counter[str] = Counter()
"""How many times each dataset was actually decoded (not read from cache) in this process."""


def source_fingerprint(sources: Iterable[Path]) -> str:
    """A hash of the path, size and mtime_ns of every file in ``sources`` (files or folders)."""
    digest = hashlib.blake2b(digest_size=16)
    for source in sources:
        for path, size, mtime in _walk(Path(source)):
            digest.update(f"{path}\0{size}\0{mtime}\n".encode())
    return digest.hexdigest()


def _walk(path: Path) -> Iterable[tuple[str, int, int]]:
    if not path.exists():
        yield str(path), -1, -1
        return
    if not path.is_dir():
        stat = path.stat()
        yield str(path), stat.st_size, stat.st_mtime_ns
        return
    with os.scandir(path) as entries:
        children = sorted(entries, key=lambda entry: entry.name)
    for entry in children:
        if entry.is_dir():
            yield from _walk(Path(entry.path))
        else:
            stat = entry.stat()
            yield entry.path, stat.st_size, stat.st_mtime_ns


def load_cached(cache_dir: Path, dataset: str, variant: str, sources: Iterable[Path],
                params: Mapping[str, Any], decode: Callable[[], Samples]) -> Samples:
    """The samples decoded from ``sources``, read from the cache when its entry is current."""
    settings = json.dumps({"params": dict(params), "format": FORMAT_VERSION}, sort_keys=True)
    key = hashlib.blake2b(settings.encode(), digest_size=8).hexdigest()
    path = Path(cache_dir) / "datasets" / f"{dataset}-{variant}-{key}.npz"
    fingerprint = source_fingerprint(sources)
    cached = _read(path, dataset, fingerprint)
    if cached is not None:
        return cached
    samples = decode()
    DECODES[dataset] += 1
    _write(path, samples, fingerprint)
    return samples


def _read(path: Path, dataset: str, fingerprint: str) -> Samples | None:
    """The entry at ``path`` if it is whole and was decoded from ``fingerprint``; else None."""
    try:
        with np.load(path, allow_pickle=False) as entry:
            meta = json.loads(str(entry["meta"]))
            if meta.get("format") != FORMAT_VERSION or meta.get("fingerprint") != fingerprint:
                return None
            arrays = {name: entry[name] for name in ARRAYS}
            problems = Problems.from_json(dataset, meta["problems"])
            facts = dict(meta["facts"])
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return None
    if arrays["images"].dtype != np.uint8 or len({len(a) for a in arrays.values()}) != 1:
        return None
    return Samples(**arrays, problems=problems, facts=facts)


def _write(path: Path, samples: Samples, fingerprint: str) -> None:
    problems = samples.problems
    meta = {
        "format": FORMAT_VERSION,
        "fingerprint": fingerprint,
        "problems": problems.to_json(),
        "facts": samples.facts,
    }
    save_npz(path, {"meta": np.array(json.dumps(meta)),
                    **{name: getattr(samples, name) for name in ARRAYS}},
             f"the decoding cache {path}", "the next load decodes again")


def save_npz(path: Path, arrays: Mapping[str, np.ndarray], what: str, otherwise: str) -> None:
    """Write ``arrays`` to ``path`` through a temporary file renamed into place, so a crash
    never leaves half a cache entry; a failed write only warns (``what``; ``otherwise``)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        warnings.warn(f"could not write {what}: {error}; {otherwise}", stacklevel=4)
