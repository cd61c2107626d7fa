"""A run's fitted model on a user's photos and videos: find each face, align it, classify it.

Data flow: run directory → chosen saved model or ensemble (:mod:`ferbench.predict.choice`);
paths → photos (or a video's sampled frames, :mod:`ferbench.predict.video`) → faces (found
by dlib with retries, or each whole image) → crops → ``predict_faces`` → one row per face,
saying how it was found, and one row per file with no face or that could not be read, so a
bad file never stops the others.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image
from tabulate import tabulate
from tqdm import tqdm

from ferbench.data.faces.photos import (
    DetectedFace,
    UnreadableImage,
    frame_faces,
    read_photo,
    whole_face,
)
from ferbench.predict.choice import Ensemble, choose_model, load_choice
from ferbench.predict.explain import (
    annotated_photo,
    explanation_kind,
    gradcam,
    heatmap_panel,
    landmark_panel,
    save_image,
)
from ferbench.predict.saved import SavedModel
from ferbench.predict.video import VIDEO_EXTENSIONS, is_video, predict_video, save_timelines
from ferbench.predict.views import face_views, is_face_crop, view_scores

NO_FACE = "no face found"
FACES = ("detect", "whole")
"""How faces are taken from a photo: ``detect`` finds every face (dlib, with retries);
``whole`` takes each image as one face crop, as a dataset with ``crop = "none"`` does."""
BLANK_RANGE = 8
"""A photo whose pixels all lie within this many levels of each other is blank: no face."""
COLUMNS = ["path", "face", "found", "left", "top", "right", "bottom", "label"]
"""The columns of a prediction before the class probabilities (then ``error``); with a
video, ``time`` (seconds) and ``track`` (a face followed across frames) follow ``path``."""


def image_files(paths: Iterable[Path]) -> Iterator[tuple[Path, Path]]:
    """(file, its name for outputs): files as given, and every file under a folder whose
    extension Pillow reads or a video's, named by its path inside that folder."""
    extensions = {e.lower() for e in Image.registered_extensions()} | VIDEO_EXTENSIONS
    for path in paths:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*")
                               if p.is_file() and p.suffix.lower() in extensions):
                yield file, Path(path.name) / file.relative_to(path)
        else:
            yield path, Path(path.name)


@dataclass(frozen=True)
class Outputs:
    """Optional image outputs of a prediction run: annotated photos, explanations, and a
    timeline plot per face track of each video."""

    annotate: Path | None = None
    explain: Path | None = None
    timeline: Path | None = None


def photo_faces(photo: np.ndarray, faces: str, aligned: bool = False) -> list[DetectedFace]:
    """The faces of ``photo`` as ``faces`` (one of :data:`FACES`) takes them: detected by the
    rule that framed the training faces (:func:`frame_faces`: a small image no try finds a
    face in is a face crop), none in a blank image. Unless the model was trained on
    ``aligned`` faces, a face crop (:func:`~ferbench.predict.views.is_face_crop`) keeps how
    it was found and its box, and its crop is the whole photo."""
    if faces not in FACES:
        raise ValueError(f"faces must be one of {', '.join(FACES)}, got {faces!r}")
    if faces == "whole":
        return [whole_face(photo)]
    if int(photo.max()) - int(photo.min()) <= BLANK_RANGE:
        return []
    found = frame_faces(photo)
    if not aligned and is_face_crop(photo, found):
        return [replace(found[0], crop=photo)]
    return found


ADAPT_MIN_FACES = 20
"""Fewest face views ``adapt`` estimates a network's statistics from (the smallest set
measured: docs/decisions.md, "Networks adapted to the photos of one call")."""

BATCH = 16
"""Photos whose faces are classified in one call: a network scores a batch far faster than
one face at a time, and every method saves its per-call overhead."""


@dataclass
class _Photo:
    """A read photo waiting for its faces to be classified, or the reason it has none."""

    path: Path
    name: Path
    photo: np.ndarray | None = None
    faces: list[DetectedFace] = field(default_factory=list)
    views: list[list[np.ndarray]] = field(default_factory=list)
    """What each face is classified on (:func:`~ferbench.predict.views.face_views`)."""
    error: str | None = None


def predict_files(model: SavedModel | Ensemble, files: Iterable[tuple[Path, Path]],
                  progress: bool = False, outputs: Outputs = Outputs(), faces: str = "detect",
                  fps: float = 5.0, adapt: bool = False) -> list[dict[str, Any]]:
    """One row per face (path, face, how found, box, label, probabilities; a video's also
    time and track, ``fps`` frames a second), one per faceless or unreadable file (path,
    error), in the order of ``files``; images under ``outputs`` folders when asked.

    ``adapt``: every photo is read first and the model's networks are adapted to all their
    faces (:func:`adapted_to_photos`) before any is classified; videos keep the model as
    trained."""
    files = list(files)
    kind = explanation_kind(model) if outputs.explain else None
    keep = bool(outputs.annotate or kind)
    aligned = getattr(model, "aligned", False)  # a duck-typed model: published faces
    read: dict[int, _Photo] = {}
    if adapt:
        read = {index: _read(path, name, faces, aligned, keep)
                for index, (path, name) in enumerate(_progress(files, progress))
                if not is_video(path)}
    classifier = adapted_to_photos(model, list(read.values())) if adapt else model
    rows: list[dict[str, Any]] = []
    pending: list[_Photo] = []
    for index, (path, name) in enumerate(_progress(files, progress and not adapt)):
        if is_video(path):
            rows += _classified(classifier, pending, outputs, kind) + _video_rows(
                model, path, name, fps, faces, aligned, outputs, progress)
            pending = []
            continue
        pending.append(read.pop(index) if adapt else _read(path, name, faces, aligned, keep))
        if len(pending) == BATCH:
            rows += _classified(classifier, pending, outputs, kind)
            pending = []
    return rows + _classified(classifier, pending, outputs, kind)


def adapted_to_photos(model: SavedModel | Ensemble, photos: list[_Photo]
                      ) -> SavedModel | Ensemble:
    """``model`` with its networks adapted, without labels, to every view of the faces of
    ``photos`` (:meth:`SavedModel.adapted`), saying on stderr which members adapted; a
    classical member stays as trained. Raises ValueError for a model that cannot adapt, or
    fewer than :data:`ADAPT_MIN_FACES` face views."""
    if not hasattr(model, "adapted"):
        raise ValueError(f"{model.name} cannot adapt to the photos: only a run's saved "
                         f"networks do; leave out --adapt")
    views = [face for photo in photos for face in photo.views]
    count = sum(len(face) for face in views)
    if count < ADAPT_MIN_FACES:
        raise ValueError(f"--adapt needs at least {ADAPT_MIN_FACES} face views to adapt to; "
                         f"{len(photos)} photo(s) gave {count}. Leave out --adapt, or give "
                         f"it more photos of the same kind")
    adapted = model.adapted(views)
    seeds = list(_saved_models(adapted))
    changed = sorted({seed.name for seed in seeds if seed.adapted_to})
    unchanged = sorted({seed.name for seed in seeds if not seed.adapted_to})
    kept = f"; as trained (nothing to adapt): {', '.join(unchanged)}" if unchanged else ""
    print(f"adapted to {len(views)} face(s) of {len(photos)} photo(s): "
          f"{', '.join(changed) or 'no member'}{kept}", file=sys.stderr)
    return adapted


def _saved_models(model: SavedModel | Ensemble) -> Iterator[SavedModel]:
    """Every saved model a model or ensemble (of any depth) votes with."""
    if isinstance(model, Ensemble):
        for member in model.members:
            yield from _saved_models(member)
    else:
        yield model


def _read(path: Path, name: Path, faces: str, aligned: bool, keep: bool) -> _Photo:
    """The photo's faces; the photo itself only when ``keep`` (to draw on it)."""
    try:
        photo = read_photo(path)
    except (UnreadableImage, FileNotFoundError) as error:
        return _Photo(path, name, error=str(error))
    found = photo_faces(photo, faces, aligned)
    return _Photo(path, name, photo if keep else None, found, face_views(photo, found, aligned),
                  None if found else NO_FACE)


def _classified(model: SavedModel | Ensemble, photos: list[_Photo], outputs: Outputs,
                kind: str | None) -> list[dict[str, Any]]:
    """The rows of ``photos``, every face of them classified in one call."""
    views = [face for photo in photos for face in photo.views]
    scores = view_scores(model, views) if views else None
    rows: list[dict[str, Any]] = []
    start = 0
    for item in photos:
        if item.error:
            rows.append({"path": str(item.path), "face": None, "error": item.error})
            continue
        own = scores.iloc[start: start + len(item.faces)]
        start += len(item.faces)
        labels = own["label"].tolist()
        for index, (face, (_, score)) in enumerate(zip(item.faces, own.iterrows())):
            left, top, right, bottom = face.box
            rows.append({"path": str(item.path), "face": index, "found": face.found,
                         "left": left, "top": top, "right": right, "bottom": bottom,
                         "label": score["label"], **{c: float(score[c]) for c in model.classes},
                         "error": None})
        if outputs.annotate:
            save_image(annotated_photo(item.photo, item.faces, labels),
                       outputs.annotate / f"{item.name}.png")
        if kind and isinstance(model, SavedModel):
            _explain(model, kind, item.photo, item.faces, labels, outputs.explain / item.name)
    return rows


def _video_rows(model: SavedModel | Ensemble, path: Path, name: Path, fps: float, faces: str,
                aligned: bool, outputs: Outputs, progress: bool) -> list[dict[str, Any]]:
    """A video's rows (:func:`~ferbench.predict.video.predict_video`), or one saying why it
    has none; its timelines under ``outputs.timeline``."""
    try:
        rows = predict_video(model, path, fps, lambda frame: photo_faces(frame, faces, aligned),
                             progress, aligned)
    except ValueError as error:
        return [{"path": str(path), "face": None, "error": str(error)}]
    if outputs.timeline:
        save_timelines(rows, model.classes, fps, outputs.timeline, {str(path): name})
    return rows or [{"path": str(path), "face": None, "error": NO_FACE}]


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


def predict_frame(model: SavedModel | Ensemble, paths: Iterable[str | Path],
                  progress: bool = False, outputs: Outputs = Outputs(), faces: str = "detect",
                  fps: float = 5.0, adapt: bool = False) -> Any:
    """:func:`predict_files` over files and folders, as a pandas DataFrame (columns:
    :data:`COLUMNS`, one probability per class, error); face index, box and track are
    integers, missing on a file without a face."""
    rows = predict_files(model, image_files(Path(p) for p in paths), progress, outputs, faces,
                         fps, adapt)
    video = ["time", "track"] if any("track" in row for row in rows) else []
    frame = pd.DataFrame(rows, columns=[COLUMNS[0], *video, *COLUMNS[1:], *model.classes,
                                        "error"])
    whole = ["face", "left", "top", "right", "bottom", *video[1:]]
    return frame.astype(dict.fromkeys(whole, "Int64"))


def table_of(frame: Any, classes: list[str]) -> str:
    """The rows of :func:`predict_frame` as ``ferbench predict`` prints them: path, (time,
    track,) face, how found, box, label and its probability, or the file's error."""
    top = frame[classes].max(axis=1)
    video = ["time", "track"] if "track" in frame.columns else []
    shown = []
    for row, score in zip(frame.itertuples(), top):
        error = row.error if isinstance(row.error, str) else ""
        if error:
            shown.append([row.path, *("" for _ in video), "", "", error, "", ""])
        else:
            shown.append([row.path, *(getattr(row, column) for column in video), int(row.face),
                          row.found, f"{row.left},{row.top},{row.right},{row.bottom}",
                          row.label, f"{score:.2f}"])
    return tabulate(shown, ["path", *video, "face", "found by", "box (l,t,r,b)", "label", "p"])


def unreadable(frame: Any) -> Any:
    """Which rows of :func:`predict_frame` are files that could not be read."""
    return frame["error"].notna() & (frame["error"] != NO_FACE)


def counts_of(frame: Any) -> str:
    """Faces found (and how), files without a face, files that could not be read."""
    faces = int(frame["error"].isna().sum())
    how = ", ".join(f"{count} by {found}" for found, count in
                    frame["found"].value_counts().sort_index().items())
    return (f"{faces} face(s) in {frame['path'].nunique()} file(s)"
            f"{f' ({how})' if how else ''}; {int((frame['error'] == NO_FACE).sum())} file(s) "
            f"without a face; {int(unreadable(frame).sum())} file(s) could not be read")


def predict(paths: Iterable[str | Path], run: str | Path, method: str | None = None,
            train: str | None = None, faces: str = "detect", prior: str = "training",
            seed: int | None = None, adapt: bool = False) -> Any:
    """The chosen model of ``run`` (see :func:`~ferbench.predict.choice.choose_model`;
    ``method="a+b"`` soft-votes a and b, each over every seed unless ``seed`` is given) on
    photos and folders; ``faces="whole"`` takes each image as one face; ``prior="uniform"``
    takes every class as equally likely (:data:`~ferbench.predict.saved.PRIORS`);
    ``adapt=True`` adapts its networks to the photos' faces first (:func:`predict_files`)."""
    model = load_choice(choose_model(Path(run), method, train, seed), prior)
    return predict_frame(model, paths, faces=faces, adapt=adapt)
