"""Photos a user might bring, classified by a run's model through `ferbench predict` and by
the `fer` package, side by side (#24: ahead of the peer users would pick instead).

Makes the photos from one dataset's test faces (``--split val``: its validation faces, for
choosing a default without seeing a test label; ``--split train``: its training faces, the most
photos for models that never saw the dataset), as published: ``--per-class`` faces of each of
``--classes`` (0: every face of them), every other one a crop enlarged to 120-260 px and the
rest pasted at 80-200 px into 350x350 scenes (as ``predict_faces.py`` makes them;
``--scene-sides 180,300`` makes them portraits, the face filling most of the photo). A dataset
the models were not trained on makes them photos from elsewhere. Runs ``ferbench predict`` on
them (``--faces detect`` and ``whole``, under ``--prior`` and ``--adapt`` as predict takes them)
with the run's model (by default the one predict chooses; ``--methods`` for others), a
pretrained model's description (``--model``) or saved model folders (``--saved``: a run's
``models/…`` or ``training_choice.py --save-models``); given ``--peer-python``, an interpreter
where ``pip install fer`` worked, also the `fer` package: its Haar cascade and mini-Xception,
then each whole image as one face. Prints faces found, accuracy over all photos (a photo without
a face is wrong) and where a face was found, and the mean recall over the classes, of all photos
and of crops and scenes apart (accuracy on photos with as many of each class; equal to accuracy
when ``--per-class`` is), each with its 95 % bootstrap interval; ``predict_speed.py`` measures
speed.

    python benchmarks/photo_peer.py --run runs/COMMIT/real-fer2013 --data-root DATA_ROOT \\
        --dataset rafdb --peer-python /path/to/venv-with-fer/bin/python
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from predict_faces import enlarged, scenes
from tabulate import tabulate

from ferbench.core.dataset import DataContext
from ferbench.core.labels import EMOTIONS, emotion_index
from ferbench.core.registry import DATASETS, load_plugins
from ferbench.eval.stats import bootstrap_ci
from ferbench.predict.choice import load_vote
from ferbench.predict.prediction import predict_frame
from ferbench.predict.saved import PRIORS

SIX = "anger,disgust,fear,happiness,sadness,surprise"

PEER = """
import json, sys
import cv2
from fer.fer import FER
detector = FER()
images = {path: cv2.imread(path) for path in sys.argv[2:]}
def label(faces):
    return max(faces[0]["emotions"], key=faces[0]["emotions"].get) if faces else None
out = {
    "detect": {p: label(detector.detect_emotions(i)) for p, i in images.items()},
    "whole": {p: label(detector.detect_emotions(i, face_rectangles=[(0, 0, *i.shape[1::-1])]))
              for p, i in images.items()},
}
json.dump(out, open(sys.argv[1], "w"))
"""


def make_photos(folder: Path, data_root: Path, dataset: str, split: str, classes: list[str],
                per_class: int, seed: int, scene_sides: tuple[int, int]) -> pd.DataFrame:
    """Writes the photos into ``folder``; returns their paths, true labels and kinds (crop or
    scene)."""
    splits = DATASETS.create(dataset).load(DataContext.default(data_root=data_root))
    faces = splits.as_target() if split == "test" else splits.parts().get(split)
    if faces is None:
        raise SystemExit(f"{dataset} has no {split} split")
    rng = np.random.default_rng(seed)
    rows = []
    for name in classes:
        members = np.flatnonzero(faces.labels == emotion_index(name))
        if len(members) < per_class:
            raise SystemExit(f"{dataset} has {len(members)} {name} {split} faces, fewer than "
                             f"--per-class {per_class}")
        count = per_class or len(members)
        chosen = [faces.images[i] for i in rng.choice(members, count, replace=False)]
        photos = [("crop", photo) for photo in enlarged(chosen[0::2], seed)] + \
            [("scene", photo) for photo in scenes(chosen[1::2], seed, scene_sides)]
        for index, (kind, photo) in enumerate(photos):
            path = folder / f"{name}_{index:03d}.png"
            Image.fromarray(photo).save(path)
            rows.append({"path": str(path), "truth": name, "kind": kind})
    return pd.DataFrame(rows)


def ferbench_labels(model: list[str], paths: list[str], faces: str, folder: Path, prior: str,
                    adapt: bool) -> dict[str, str | None]:
    """The label `ferbench predict` with ``model`` (its options) gives each photo's first
    face (None: no face)."""
    csv = folder / f"ferbench-{faces}.csv"
    command = [sys.executable, "-m", "ferbench.cli", "predict", *model, "--faces", faces,
               "--prior", prior, *(["--adapt"] if adapt else []), "--csv", str(csv),
               str(folder / "photos")]
    shown = subprocess.run(command, capture_output=True, text=True)
    if shown.returncode not in (0, 1):
        raise SystemExit(shown.stderr)
    print(next((line for line in shown.stderr.splitlines() if line.startswith("model:")), ""))
    return first_face_labels(pd.read_csv(csv), paths)


def first_face_labels(frame: pd.DataFrame, paths: list[str]) -> dict[str, str | None]:
    """Each photo's first face's label in predict's rows (None: no face)."""
    frame = frame[frame["face"].isna() | (frame["face"] == 0)]
    labels = {path: label for path, label in zip(frame["path"], frame["label"])
              if isinstance(label, str)}
    return {path: labels.get(path) for path in paths}


def saved_labels(members: list[list[str]], paths: list[str], faces: str, folder: Path,
                 prior: str, adapt: bool) -> dict[str, str | None]:
    """The label the saved models in ``members`` (each member's folders: one per seed; they
    soft-vote as ``predict`` votes a run's seeds and ``--method a+b``) give each photo's first
    face through predict's own code (None: no face)."""
    model = load_vote([[Path(name) for name in seeds] for seeds in members], prior)
    return first_face_labels(predict_frame(model, [folder / "photos"], faces=faces,
                                           adapt=adapt), paths)


def peer_labels(python: str, paths: list[str], folder: Path) -> dict[str, dict[str, str | None]]:
    """The `fer` package's label for each photo, by way ("detect": its Haar cascade, "whole":
    the image as one face)."""
    out = folder / "peer.json"
    subprocess.run([python, "-c", PEER, str(out), *paths], check=True, capture_output=True)
    return json.loads(out.read_text())


def row(name: str, photos: pd.DataFrame, labels: list[str | None]) -> list[str]:
    canonical = np.array([EMOTIONS[emotion_index(x)] if x else "" for x in labels])
    found = canonical != ""
    right = canonical == photos["truth"].to_numpy()
    crop = (photos["kind"] == "crop").to_numpy()
    truth = photos["truth"].to_numpy()

    def mean_recall(kept: np.ndarray) -> str:
        """Mean recall over the classes with a photo among ``kept``, with its 95 % interval
        (photos resampled within each class; — when no photo is kept)."""
        if not kept.any():
            return "—"
        recalls = [right[kept & (truth == c)].mean() for c in np.unique(truth[kept])]
        low, high = bootstrap_ci(truth[kept], canonical[kept],
                                 np.union1d(truth[kept], canonical[kept]))["balanced_accuracy"]
        return f"{np.mean(recalls):.3f} [{low:.3f}, {high:.3f}]"

    return [name, f"{found.mean():.3f}", f"{right.mean():.3f}",
            f"{right[found].mean():.3f}" if found.any() else "—",
            mean_recall(np.ones_like(crop)), mean_recall(crop), mean_recall(~crop)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    chosen = parser.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--run", help="a run directory whose saved model predict uses")
    chosen.add_argument("--model", help="a pretrained model's TOML (docs/pretrained.md)")
    chosen.add_argument("--saved", help="saved model folders, ';'-separated; folders joined "
                        "by ',' soft-vote, each of them itself the vote of folders joined by "
                        "'|' (one method's seeds, as predict votes a run's seeds)")
    parser.add_argument("--methods", help="with --run: methods or A+B blends, comma-separated "
                        "(default: predict's choice)")
    parser.add_argument("--data-root", type=Path, required=True)
    parser.add_argument("--dataset", default="rafdb", help="whose test faces make the photos")
    parser.add_argument("--split", choices=("test", "val", "train"), default="test",
                        help="which of its splits (val: to choose a default on; train: the "
                        "most faces, for models that never saw this dataset)")
    parser.add_argument("--classes", default=SIX)
    parser.add_argument("--per-class", type=int, default=50, help="faces of each class "
                        "(0: all of them)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scene-sides", default="80,200", help="LOW,HIGH: the side in px of "
                        "the face pasted into each 350x350 scene (180,300: portraits)")
    parser.add_argument("--prior", choices=PRIORS, default="training",
                        help="ferbench's prior over the classes, as `predict --prior` takes it")
    parser.add_argument("--adapt", action="store_true",
                        help="ferbench's networks adapted to all the photos first, as "
                             "`predict --adapt` adapts them")
    parser.add_argument("--peer-python", help="a Python interpreter with the fer package")
    args = parser.parse_args()
    try:
        low, high = (int(side) for side in args.scene_sides.split(","))
    except ValueError:
        parser.error(f"--scene-sides {args.scene_sides!r}: expected LOW,HIGH in px")
    if not 1 <= low <= high <= 350:
        parser.error(f"--scene-sides {args.scene_sides!r}: need 1 <= LOW <= HIGH <= 350")
    load_plugins([])
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        (folder / "photos").mkdir()
        photos = make_photos(folder / "photos", args.data_root, args.dataset, args.split,
                             args.classes.split(","), args.per_class, args.seed, (low, high))
        paths = photos["path"].tolist()
        rows = []
        for saved in args.saved.split(";") if args.saved else []:
            for faces in ("detect", "whole"):
                members = [seeds.split("|") for seeds in saved.split(",")]
                labels = saved_labels(members, paths, faces, folder, args.prior, args.adapt)
                name = "+".join("|".join(Path(f).name for f in seeds) for seeds in members)
                rows.append(row(f"saved {name} --faces {faces}", photos,
                                [labels[p] for p in paths]))
        models = ([["--model", args.model]] if args.model else
                  [["--run", args.run, *(["--method", m] if m else [])]
                   for m in (args.methods.split(",") if args.methods else [None])]
                  if args.run else [])
        for model in models:
            for faces in ("detect", "whole"):
                labels = ferbench_labels(model, paths, faces, folder, args.prior, args.adapt)
                name = " ".join(model[2:]) or \
                    (Path(args.model).name if args.model else "(predict's choice)")
                rows.append(row(f"ferbench predict {name} --faces {faces}", photos,
                                [labels[p] for p in paths]))
        if args.peer_python:
            peer = peer_labels(args.peer_python, paths, folder)
            for way in ("detect", "whole"):
                rows.append(row(f"fer package ({way})", photos,
                                [peer[way][p] for p in paths]))
    print(f"{len(paths)} photos from {args.dataset}'s {args.split} faces: {args.classes}; "
          f"scenes' faces {low}-{high} px")
    print(tabulate(rows, ["model", "faces found", "accuracy", "accuracy where found",
                          "mean recall", "on crops", "on scenes"], tablefmt="github"))


if __name__ == "__main__":
    main()
