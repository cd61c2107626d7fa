"""``ferbench export``: a run's saved model as an ONNX file, with the TOML that describes it.

The TOML (docs/pretrained.md) makes the file a pretrained model ferbench benchmarks like any
other. Before anything is written in place, the exported model runs on random faces beside
the saved one: probabilities that differ by more than :data:`TOLERANCE` refuse the export,
so a converter that does not reproduce a model never yields a file.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ferbench import features
from ferbench.core.faceset import FaceSet
from ferbench.core.labels import EMOTIONS
from ferbench.core.method import Method
from ferbench.core.registry import METHODS, load_plugins
from ferbench.eval.ensembles import SEPARATOR
from ferbench.predict.choice import choose_model
from ferbench.predict.saved import load_model
from ferbench.pretrained import (
    ModelDescription,
    PretrainedMethod,
    described_by,
    read_model_description,
)

TOLERANCE = 1e-3
"""The largest difference in any probability between the export and the saved model."""
CHECK_FACES = 8


class ExportError(ValueError):
    """A model that cannot be exported, or an export that would not reproduce it."""


@dataclass(frozen=True)
class Exported:
    """What an export wrote, and the model it came from."""

    onnx: Path
    toml: Path
    method: str
    train: str
    description: ModelDescription
    difference: float
    """The largest probability difference to the saved model on the check's faces."""


def can_export(method: Method) -> bool:
    """Whether the method implements :meth:`Method.export_onnx` (optional for plugins)."""
    return type(method).export_onnx is not Method.export_onnx


def toml_text(values: dict[str, Any], comments: list[str]) -> str:
    """A flat TOML table (strings, numbers, lists of them) under ``#`` comment lines."""

    def value(item: Any) -> str:
        if isinstance(item, str):
            return json.dumps(item)  # a JSON string is a TOML basic string
        if isinstance(item, (list, tuple)):
            return "[" + ", ".join(value(v) for v in item) + "]"
        return repr(float(item)) if isinstance(item, float) else str(int(item))

    lines = [f"# {line}" for line in comments]
    lines += [f"{key} = {value(item)}" for key, item in values.items()]
    return "\n".join(lines) + "\n"


def export_model(run_dir: str | Path, method: str, out: str | Path, train: str | None = None,
                 name: str | None = None) -> Exported:
    """Write ``method``'s saved model of ``run_dir`` (trained on ``train``, by default as
    ``ferbench predict`` chooses; of several seeds, the lowest) to ``out`` (``.onnx``) and its
    description beside it (``.toml``), once the export reproduces the saved model."""
    out = Path(out)
    if out.suffix.lower() != ".onnx":
        raise ExportError(f"--onnx {out}: the file name must end in .onnx")
    if SEPARATOR in method:
        raise ExportError(f"--method {method}: an ensemble is not one model; export each of "
                          f"{', '.join(method.split(SEPARATOR))} and benchmark them together")
    choice = choose_model(Path(run_dir), method, train)
    saved = load_model(choice.path, device="cpu")  # float32, as the export runs
    if not can_export(saved.method):
        raise ExportError(f"{method} cannot be exported: it does not implement export_onnx()")
    load_plugins()
    name = name or re.sub(r"[^A-Za-z0-9._-]", "-", f"{method}-{choice.train}-onnx")
    toml = out.with_suffix(".toml")
    if name in METHODS and described_by(name) != str(toml.resolve()):
        raise ExportError(f"--name {name}: that is a registered method's name; choose another")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.stem}.{os.getpid()}.tmp.onnx")
    staging_toml = staging.with_suffix(".toml")
    try:
        keys = saved.method.export_onnx(staging)
        values = {"name": name, "onnx": staging.name, **keys,
                  "classes": [EMOTIONS[c] for c in saved.method.classes_]}
        staging_toml.write_text(toml_text(values, []), encoding="utf-8")
        exported = PretrainedMethod(read_model_description(staging_toml), device="cpu")
        exported.name = name
        difference = _difference(saved.method, exported, saved.face_shape)
        if difference > TOLERANCE:
            raise ExportError(
                f"{method}: the ONNX model's probabilities differ from the saved model's by up "
                f"to {difference:.3g} on {CHECK_FACES} random faces (tolerance {TOLERANCE:g}); "
                f"the converter does not reproduce this model, so nothing was written")
        comments = _comments(run_dir, choice.path, method, choice.train, exported.description)
        staging_toml.write_text(toml_text({**values, "onnx": out.name}, comments),
                                encoding="utf-8")
        os.replace(staging, out)
        os.replace(staging_toml, toml)
    finally:
        staging.unlink(missing_ok=True)
        staging_toml.unlink(missing_ok=True)
    return Exported(out, toml, method, choice.train, read_model_description(toml), difference)


def _difference(native: Method, exported: PretrainedMethod, face_shape: list[int]) -> float:
    """The largest probability difference of the two models on random faces shaped as the
    training faces were."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (CHECK_FACES, *face_shape), dtype=np.uint8)
    faces = FaceSet(images, np.zeros(CHECK_FACES, dtype=np.int64))
    expected = native.predict_proba(features.prepare(faces, native.input_spec))
    got = exported.predict_proba(features.prepare(faces, exported.input_spec))
    return float(np.abs(np.asarray(expected) - got).max())


def _comments(run_dir: str | Path, model: Path, method: str, train: str,
              description: ModelDescription) -> list[str]:
    lines = [f"Exported by `ferbench export` from {model.relative_to(Path(run_dir).resolve())}"
             f" of run {run_dir}: {method} trained on {train}.",
             f"Input: {description.pixels}."]
    if description.features:
        lines.append("Not pixels: only ferbench computes these features, so only ferbench "
                     "can feed this model (`ferbench run --methods THIS.toml`).")
    lines.append("Benchmark it with `ferbench run --methods THIS.toml`; docs/pretrained.md "
                 "describes every key.")
    return lines
