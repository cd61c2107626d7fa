"""A dataset's splits framed as a run asks (``--faces``): aligned once and cached, or as published.

Aligned faces are cached per image under ``<cache_dir>/aligned/``: one ``.npz`` per dataset,
frame side and colour mode, holding each published image's content digest beside its
aligned face and how that face was found. A new seed or validation fraction, which re-splits
the same images, aligns nothing again; a changed image is aligned afresh. Writes go to a
temporary file renamed into place, so a crash never leaves half an entry.

An aligned FaceSet carries ``frame="aligned"``, which enters its fingerprint, so its
features and stored cells never mix with those of the published faces.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np

from ferbench.core.dataset import Dataset, Splits
from ferbench.core.errors import PluginError
from ferbench.data.cache import save_npz
from ferbench.data.faces import crops
from ferbench.data.faces.frame import (
    ALIGNED,
    AS_PUBLISHED,
    FOUND,
    VERSION,
    align_images,
    check_faces,
    describe,
    frame_side,
)

EVERY = ""
"""The key of :func:`parse_faces`'s result that applies to datasets it does not name."""


def parse_faces(text: str) -> dict[str, str]:
    """``--faces``: one choice for every dataset ("aligned"), or per dataset and a default
    for the rest ("fer2013=as-published,aligned"), as {dataset or :data:`EVERY`: choice}."""
    chosen: dict[str, str] = {}
    for item in (part.strip() for part in text.split(",")):
        name, equals, value = item.rpartition("=")
        if not item or (equals and not name):
            raise ValueError(f"--faces {text!r}: expected aligned, as-published or "
                             f"DATASET=CHOICE items separated by commas")
        key = name.strip() if equals else EVERY
        if key in chosen:
            raise ValueError(f"--faces {text!r}: {key or 'the default'} is given twice")
        chosen[key] = check_faces(value.strip(), f"--faces {text!r}")
    return chosen


def faces_of(datasets: Mapping[str, Dataset], chosen: Mapping[str, str]) -> dict[str, str]:
    """Each dataset's choice: its own in ``chosen``, else ``chosen``'s default, else the
    dataset's :attr:`~ferbench.core.dataset.Dataset.faces`. Fails, before any data is read,
    when ``chosen`` names a dataset not in the run or aligning needs dlib that is missing."""
    unknown = sorted(set(chosen) - {EVERY} - set(datasets))
    if unknown:
        raise ValueError(f"--faces names {', '.join(unknown)}, not among the run's datasets "
                         f"({', '.join(datasets)})")
    faces = {name: check_faces(chosen.get(name) or chosen.get(EVERY) or plugin.faces,
                               f"dataset {name!r}: faces")
             for name, plugin in datasets.items()}
    if ALIGNED in faces.values():
        try:
            crops.check_detector("detect")
        except PluginError as error:
            raise PluginError(f"--faces aligned: {error}") from None
    return faces


def frame_splits(splits: Splits, dataset: Dataset, faces: str, cache_dir: Path) -> Splits:
    """``splits`` framed as ``faces`` says; provenance says how, with the count of each way
    faces were found (:data:`FOUND`) over the dataset's distinct images."""
    if faces == AS_PUBLISHED or dataset.framed_on_load:
        how = describe(faces) if faces == AS_PUBLISHED else dataset.framed_on_load
        return splits.with_facts({"faces": how})
    parts = splits.parts()
    aligned, seen = {}, {}
    for shape in {part.images.shape[1:] for part in parts.values()}:
        same = {name: part for name, part in parts.items() if part.images.shape[1:] == shape}
        table = _aligned(np.concatenate([p.images for p in same.values()]), dataset.name,
                         cache_dir)
        empty = np.empty((0, frame_side(shape), frame_side(shape), *shape[2:]), np.uint8)
        for name, part in same.items():
            digests = _digests(part.images)
            aligned[name] = np.stack([table[d][0] for d in digests]) if digests else empty
            seen.update((d, table[d][1]) for d in digests)
    counts = Counter(seen.values())
    facts = {"faces": describe(ALIGNED), "faces_found": {k: counts[k] for k in FOUND}}
    framed = {name: replace(part, images=aligned[name], features={}, frame=ALIGNED)
              for name, part in parts.items()}
    return replace(splits, **framed).with_facts(facts)


def faces_note(facts: Mapping[str, object]) -> str:
    """How a dataset's provenance ``facts`` say its faces were framed, in words ("" when
    they predate ``--faces``)."""
    found = facts.get("faces_found")
    if isinstance(found, Mapping):
        counts = ", ".join(f"{how} {found.get(how, 0)}" for how in FOUND)
        return (f"faces aligned ({counts}; image box: landmarks fitted in a face crop's "
                f"whole image; fallback: no face found, the image itself resized)")
    return f"faces {facts['faces']}" if facts.get("faces") else ""


def _digests(images: np.ndarray) -> list[str]:
    return [hashlib.blake2b(np.ascontiguousarray(image).data, digest_size=16).hexdigest()
            for image in images]


def _aligned(images: np.ndarray, dataset: str, cache_dir: Path
             ) -> dict[str, tuple[np.ndarray, str]]:
    """Digest → (aligned face, how found) of every image, aligning only those not cached."""
    color = "rgb" if images.ndim == 4 else "gray"
    size = f"{images.shape[2]}x{images.shape[1]}"
    path = Path(cache_dir) / "aligned" / f"{dataset}-{size}-{color}.npz"
    cached = _read(path)
    digests = _digests(images)
    missing = {d: i for i, d in enumerate(digests) if d not in cached}
    if missing:
        new, found = align_images(images[list(missing.values())], f"{dataset}: aligning faces")
        cached.update(zip(missing, zip(new, found.tolist())))
        _write(path, cached)
    return cached


def _read(path: Path) -> dict[str, tuple[np.ndarray, str]]:
    try:
        with np.load(path, allow_pickle=False) as entry:
            if json.loads(str(entry["meta"])).get("version") != VERSION:
                return {}
            digests, images, found = entry["digests"], entry["images"], entry["found"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return {}
    if not len(digests) == len(images) == len(found):
        return {}
    return {str(d): (image, str(how)) for d, image, how in zip(digests, images, found)}


def _write(path: Path, faces: dict[str, tuple[np.ndarray, str]]) -> None:
    save_npz(path, {"meta": np.array(json.dumps({"version": VERSION})),
                    "digests": np.array(list(faces), dtype="U32"),
                    "images": np.stack([face for face, _ in faces.values()]),
                    "found": np.array([how for _, how in faces.values()])},
             f"the aligned-face cache {path}", "the next run aligns again")
