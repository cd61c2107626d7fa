"""Faces followed through a video: frames sampled at a fixed rate, the faces of each found
as in a photo, followed across frames by box overlap, one row per face per frame, and a
plot per track of its class probabilities against time.

Frames are decoded by the ffmpeg that the ``imageio-ffmpeg`` wheel carries (the
``ferbench[video]`` extra), resampled to ``fps`` by ffmpeg itself, so a long video is never
held in memory.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from tqdm import tqdm

from ferbench.data.faces.photos import DetectedFace
from ferbench.predict.views import face_views, view_scores

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"})
MIN_OVERLAP = 0.3
"""A face continues the track whose last box it overlaps most, by at least this IoU."""
MAX_GAP_SECONDS = 1.0
"""A track not seen for longer than this ends; a face found later starts a new one."""
SMOOTH_SECONDS = 1.0
"""Width of the centred moving average drawn over each track's probabilities."""
Box = tuple[int, int, int, int]


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_EXTENSIONS


def video_frames(path: Path, fps: float, progress: bool = False
                 ) -> Iterator[tuple[float, np.ndarray]]:
    """(seconds, uint8 RGB frame) every ``1 / fps`` seconds of the video."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise ValueError(f"{path}: reading videos needs imageio-ffmpeg: pip install "
                         f"'ferbench[video]'") from None
    if fps <= 0:
        raise ValueError(f"--fps must be positive, got {fps}")
    try:
        reader = imageio_ffmpeg.read_frames(str(path), output_params=["-vf", f"fps={fps}"])
        meta = next(reader)
    except (OSError, RuntimeError, StopIteration) as error:
        raise ValueError(f"{path}: not a video ffmpeg can read ({error})") from None
    width, height = meta["size"]
    duration = meta.get("duration") or 0
    bar = tqdm(total=math.ceil(duration * fps) or None, desc=path.name, unit="frame",
               file=sys.stderr, disable=not progress or not sys.stderr.isatty())
    with bar:
        for index, data in enumerate(reader):
            frame = np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3)
            yield index / fps, frame
            bar.update()


def overlap(a: Box, b: Box) -> float:
    """Intersection over union of two (left, top, right, bottom) boxes."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


class Tracker:
    """Track ids for the faces of successive frames, matched greedily by box overlap."""

    def __init__(self) -> None:
        self.last: dict[int, tuple[Box, float]] = {}

    def assign(self, boxes: list[Box], time: float) -> list[int]:
        """One track id per box: a live track it overlaps, else a new one."""
        live = {t: box for t, (box, seen) in self.last.items() if time - seen <= MAX_GAP_SECONDS}
        pairs = sorted(((overlap(box, old), index, track) for index, box in enumerate(boxes)
                        for track, old in live.items()), reverse=True)
        ids: dict[int, int] = {}
        for score, index, track in pairs:
            if score >= MIN_OVERLAP and index not in ids and track not in ids.values():
                ids[index] = track
        for index in range(len(boxes)):
            if index not in ids:
                ids[index] = len(self.last)
            self.last[ids[index]] = (boxes[index], time)
        return [ids[index] for index in range(len(boxes))]


def predict_video(model: Any, path: Path, fps: float,
                  find: Callable[[np.ndarray], list[DetectedFace]], progress: bool = False,
                  aligned: bool = False) -> list[dict[str, Any]]:
    """One row per face per sampled frame (path, time, track, face, how found, box, label,
    probabilities), each face classified as in a photo for a model trained on ``aligned``
    faces or not (:func:`~ferbench.predict.views.face_views`); none for a video without
    faces, a ValueError for one that cannot be read."""
    tracker = Tracker()
    rows: list[dict[str, Any]] = []
    for time, frame in video_frames(path, fps, progress):
        faces = find(frame)
        if not faces:
            continue
        scores = view_scores(model, face_views(frame, faces, aligned))
        tracks = tracker.assign([face.box for face in faces], time)
        for index, (face, track, (_, score)) in enumerate(zip(faces, tracks, scores.iterrows())):
            left, top, right, bottom = face.box
            rows.append({"path": str(path), "time": round(time, 3), "track": track,
                         "face": index, "found": face.found, "left": left, "top": top,
                         "right": right, "bottom": bottom, "label": score["label"],
                         **{c: float(score[c]) for c in model.classes}, "error": None})
    return rows


def smoothed(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average of ``values`` (T, K) over ``window`` samples, edges averaged
    over the samples they have."""
    kernel = np.ones(max(1, window))
    total = np.apply_along_axis(np.convolve, 0, values, kernel, mode="same")
    count = np.convolve(np.ones(len(values)), kernel, mode="same")
    return total / count[:, None]


def timeline(times: np.ndarray, proba: np.ndarray, classes: list[str], fps: float,
             title: str) -> Figure:
    """Each class's probability against time: the samples faint, smoothed over
    :data:`SMOOTH_SECONDS` bold."""
    figure = Figure(figsize=(8, 3.5), layout="constrained")
    axes = figure.subplots()
    smooth = smoothed(proba, round(SMOOTH_SECONDS * fps))
    for index, name in enumerate(classes):
        line, = axes.plot(times, smooth[:, index], linewidth=2, label=name)
        axes.plot(times, proba[:, index], color=line.get_color(), alpha=0.25, linewidth=1)
    axes.set(xlabel="seconds", ylabel="probability", ylim=(0, 1), title=title)
    axes.legend(loc="upper left", bbox_to_anchor=(1, 1), fontsize="small")
    return figure


def save_timelines(rows: list[dict[str, Any]], classes: list[str], fps: float, folder: Path,
                   names: dict[str, Path]) -> list[Path]:
    """A timeline PNG per track of every video in ``rows``, named
    ``<video name>__track<id>.png`` under ``folder``."""
    tracks: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("track") is not None and row.get("error") is None:
            tracks.setdefault((row["path"], row["track"]), []).append(row)
    written = []
    for (path, track), track_rows in sorted(tracks.items()):
        times = np.array([row["time"] for row in track_rows])
        proba = np.array([[row[c] for c in classes] for row in track_rows])
        name = names.get(path, Path(Path(path).name))
        file = folder / f"{name}__track{track}.png"
        file.parent.mkdir(parents=True, exist_ok=True)
        timeline(times, proba, classes, fps, f"{name}: face track {track}").savefig(file)
        written.append(file)
    return written
