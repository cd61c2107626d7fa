"""A run's fitted model on a user's photos: find each face, align it, classify it.

Data flow: run directory → chosen saved model; paths → photos → faces (dlib) → aligned crops
→ ``SavedModel.predict_faces`` → one row per face, and one row per file with no face or
that could not be read, so a bad file never stops the others.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image
from tqdm import tqdm

from ferbench.data.faces.photos import DetectedFace, UnreadableImage, find_faces, read_photo
from ferbench.predict.explain import (
    annotated_photo,
    explanation_kind,
    gradcam,
    heatmap_panel,
    landmark_panel,
    save_image,
)
from ferbench.predict.saved import SavedModel, load_model
from ferbench.results.store import ResultStore

NO_FACE = "no face found"


class ModelChoiceError(ValueError):
    """No saved model in the run matches what was asked for."""


@dataclass(frozen=True)
class ModelChoice:
    path: Path
    method: str
    train: str
    within_accuracy: float | None
    reason: str


def choose_model(run_dir: Path, method: str | None = None, train: str | None = None
                 ) -> ModelChoice:
    """The saved model to use: ``method`` trained on ``train``, each defaulting to the best.

    train defaults to the run's largest training set (in-the-wild photos resemble it most);
    method to the best mean within-dataset accuracy on it. Of several folds or seeds, the
    first fold of the lowest seed is used.
    """
    records = [r for r in ResultStore(run_dir).records()
               if r.get("status") == "ok" and r.get("model")]
    if not records:
        raise ModelChoiceError(f"{run_dir} holds no saved models: run `ferbench run` there "
                               f"without --no-save-models first")
    available = sorted({(r["method"], r["train"]) for r in records})
    pool = [r for r in records if (method is None or r["method"] == method)
            and (train is None or r["train"] == train)]
    if not pool:
        options = ", ".join(f"{m} trained on {t}" for m, t in available)
        raise ModelChoiceError(f"{run_dir} has no saved model for method={method or 'any'}, "
                               f"train={train or 'any'}; it has: {options}")
    reasons = []
    if train is None:
        train = max(pool, key=lambda r: (r["n_train"], r["train"]))["train"]
        reasons.append(f"largest training set: {train}")
    pool = [r for r in pool if r["train"] == train]
    within = [r for r in pool if r["protocol"] == "within"]
    accuracy = {m: float(np.mean([r["metrics"]["accuracy"] for r in within if r["method"] == m]))
                for m in {r["method"] for r in within}}
    if method is None:
        method = max(sorted(accuracy), key=accuracy.__getitem__) if accuracy else pool[0]["method"]
        reasons.append(f"best within-{train} accuracy: {method}")
    chosen = min((r for r in pool if r["method"] == method),
                 key=lambda r: (r["seed"], r["fold"] if r["fold"] is not None else -1))
    return ModelChoice(path=model_path(Path(run_dir), chosen), method=method, train=train,
                       within_accuracy=accuracy.get(method),
                       reason="; ".join(reasons) or "as asked")


def model_path(run_dir: Path, record: dict[str, Any]) -> Path:
    """The folder a record's ``model`` names, which must lie inside ``RUN_DIR/models``: a
    record is a file anyone may have edited, and its path is never followed out of the run."""
    models = (run_dir / "models").resolve()
    named = record.get("model")
    path = (run_dir / named).resolve() if isinstance(named, str) else None
    if path is None or Path(named).is_absolute() or models not in path.parents:
        raise ModelChoiceError(f"{run_dir}: the record of cell {record.get('cell')!r} names "
                               f"model {named!r}, which is not a folder inside {models}")
    return path


def image_files(paths: Iterable[Path]) -> Iterator[tuple[Path, Path]]:
    """(file, its name for outputs): files as given, and every file under a folder whose
    extension Pillow reads, named by its path inside that folder."""
    extensions = {e.lower() for e in Image.registered_extensions()}
    for path in paths:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*")
                               if p.is_file() and p.suffix.lower() in extensions):
                yield file, Path(path.name) / file.relative_to(path)
        else:
            yield path, Path(path.name)


@dataclass(frozen=True)
class Outputs:
    """Optional image outputs of a prediction run: annotated photos and explanations."""

    annotate: Path | None = None
    explain: Path | None = None


def predict_files(model: SavedModel, files: Iterable[tuple[Path, Path]], progress: bool = False,
                  outputs: Outputs = Outputs()) -> list[dict[str, Any]]:
    """One row per face (path, face, box, label, probabilities), one per faceless or
    unreadable file (path, error); images under ``outputs`` folders when asked."""
    files = list(files)
    kind = explanation_kind(model) if outputs.explain else None
    rows: list[dict[str, Any]] = []
    for path, name in _progress(files, progress):
        try:
            photo = read_photo(path)
        except (UnreadableImage, FileNotFoundError) as error:
            rows.append({"path": str(path), "face": None, "error": str(error)})
            continue
        faces = find_faces(photo)
        if not faces:
            rows.append({"path": str(path), "face": None, "error": NO_FACE})
            continue
        scores = model.predict_faces([face.crop for face in faces])
        labels = scores["label"].tolist()
        for index, (face, (_, score)) in enumerate(zip(faces, scores.iterrows())):
            left, top, right, bottom = face.box
            rows.append({"path": str(path), "face": index, "left": left, "top": top,
                         "right": right, "bottom": bottom, "label": score["label"],
                         **{c: float(score[c]) for c in model.classes}, "error": None})
        if outputs.annotate:
            save_image(annotated_photo(photo, faces, labels),
                       outputs.annotate / f"{name}.png")
        if kind:
            _explain(model, kind, photo, faces, labels, outputs.explain / name)
    return rows


def _explain(model: SavedModel, kind: str, photo: np.ndarray, faces: list[DetectedFace],
             labels: list[str], stem: Path) -> None:
    if kind == "gradcam":
        targets = [model.classes.index(label) for label in labels]
        heatmaps = gradcam(model.method, [face.crop for face in faces], targets,
                           model.face_shape)
        panels = [heatmap_panel(f.crop, h, label)
                  for f, h, label in zip(faces, heatmaps, labels)]
    else:
        panels = [landmark_panel(photo, f, label) for f, label in zip(faces, labels)]
    for index, panel in enumerate(panels):
        save_image(panel, stem.parent / f"{stem.name}__face{index}.png")


def _progress(files: list[Path], enabled: bool) -> Iterable[Path]:
    if not enabled or len(files) < 2:
        return files

    return tqdm(files, unit="photo", file=sys.stderr, disable=not sys.stderr.isatty())


def predict_frame(model: SavedModel, paths: Iterable[str | Path], progress: bool = False,
                  outputs: Outputs = Outputs()) -> Any:
    """:func:`predict_files` over files and folders, as a pandas DataFrame (columns: path,
    face, left, top, right, bottom, label, one probability per class, error)."""
    rows = predict_files(model, image_files(Path(p) for p in paths), progress, outputs)
    columns = ["path", "face", "left", "top", "right", "bottom", "label", *model.classes,
               "error"]
    return pd.DataFrame(rows, columns=columns)


def predict(paths: Iterable[str | Path], run: str | Path, method: str | None = None,
            train: str | None = None) -> Any:
    """The chosen model of ``run`` (see :func:`choose_model`) on photos and folders."""
    return predict_frame(load_model(choose_model(Path(run), method, train).path), paths)
