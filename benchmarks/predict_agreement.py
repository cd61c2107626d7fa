"""Do a run's scores hold in use? Its test faces as image files, through `ferbench predict`,
against the accuracy the run stored for the same faces.

For each dataset and method, rebuilds each within cell's test faces (the official test
split, or every subject-independent fold with the run's ``--folds`` and seed), or with
``--train SOURCE`` the faces each cross cell of a model trained on SOURCE scored on that
dataset; checks them against the labels each record stored, writes them as PNG files, runs
``predict_frame`` on them with that cell's own saved model, once per ``--faces`` way
(``detect``: find and align the face as in a photo; ``whole``: each file is the face), and
prints the share of faces found, the accuracy (a file without a face counts as wrong) beside
the stored one, the difference in points, and the share of faces whose label matches the
stored prediction. The run's classes are the only ones scored, as in the cell.

    ferbench run --methods svm --datasets fer2013,ckplus --protocol within --out runs/fer
    python benchmarks/predict_agreement.py --run runs/fer --methods svm \\
        --datasets fer2013,ckplus --data-root ~/ferbench_data [--limit 500]
    python benchmarks/predict_agreement.py --run runs/COMMIT/real-rafdb --train rafdb \\
        --methods svm,cnn --datasets ckplus,fer2013 --data-root ~/ferbench_data
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from tabulate import tabulate

from ferbench.core.dataset import DataContext, Splits
from ferbench.core.faceset import FaceSet
from ferbench.core.labels import emotion_index
from ferbench.core.registry import DATASETS, load_plugins
from ferbench.eval.protocols import plan_jobs
from ferbench.predict.choice import model_path
from ferbench.predict.prediction import predict_frame
from ferbench.predict.saved import load_model
from ferbench.results.store import ResultStore

Cell = tuple[dict[str, Any], np.ndarray, FaceSet]


def stored_cells(run: Path, method: str, dataset: str, splits: Splits, folds: int | None,
                 limit: int | None, source: str | None = None) -> list[Cell]:
    """(record, indices of the faces used, its scored test faces) for every within cell of
    ``dataset`` (or, with ``source``, every cross cell from ``source`` to it) of the lowest
    seed, which also splits the folds; each test set is checked against the labels the record
    stored; ``limit`` faces evenly spaced through a larger test set."""
    protocol, train = ("within", dataset) if source is None else ("cross", source)
    records = [r for r in ResultStore(run).records()
               if (r["method"], r["protocol"], r["train"], r["test"])
               == (method, protocol, train, dataset)
               and r.get("status") == "ok" and r.get("model") and r.get("corruption") is None
               and r.get("train_fraction") is None]
    if not records:
        raise SystemExit(f"{run} has no {protocol} {train} → {dataset} {method} cell with a "
                         f"saved model")
    seed = min(r["seed"] for r in records)
    if source is None:
        jobs = plan_jobs({dataset: splits}, ("within",), seed, folds)
        faces = {job.fold: job.targets[0].faces for job in jobs}
    else:
        faces = {None: splits.as_target()}
    cells = []
    for record in sorted((r for r in records if r["seed"] == seed),
                         key=lambda r: -1 if r["fold"] is None else r["fold"]):
        test = faces[record["fold"]]
        classes = [emotion_index(name) for name in record["classes"]]
        test = test.subset(np.flatnonzero(np.isin(test.labels, classes)))
        if test.labels.tolist() != record["y_true"]:
            raise SystemExit(f"{record['cell']}: the rebuilt test faces are not the ones it "
                             f"scored; pass the run's --folds and --data-seed")
        used = np.arange(len(test)) if limit is None or limit >= len(test) else \
            np.linspace(0, len(test) - 1, limit).round().astype(int)
        cells.append((record, used, test.subset(used)))
    return cells


def agreement(record: dict[str, Any], used: np.ndarray, test: FaceSet, model: Any, faces: str,
              folder: Path) -> tuple[int, int, int, int, float]:
    """(faces, found, correct, same label as stored, seconds) of ``test`` through predict."""
    for index, image in enumerate(test.images):
        Image.fromarray(image).save(folder / f"{index:05d}.png")
    started = time.perf_counter()
    frame = predict_frame(model, [folder], faces=faces)
    seconds = time.perf_counter() - started
    frame = frame[frame["face"].isna() | (frame["face"] == 0)]
    index = frame["path"].map(lambda path: int(Path(path).stem)).to_numpy()
    shown = record["classes"]
    found = frame["error"].isna().to_numpy()
    label = np.full(len(test), -1)
    best = frame[shown].to_numpy()[found].argmax(axis=1)
    label[index[found]] = [emotion_index(shown[i]) for i in best]
    stored = np.asarray(record["y_pred"])[used]
    return (len(test), int(found.sum()), int((label == test.labels).sum()),
            int((label == stored).sum()), seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--methods", default="svm")
    parser.add_argument("--datasets", default="fer2013,ckplus")
    parser.add_argument("--train", metavar="SOURCE",
                        help="score the cross cells of models trained on SOURCE on --datasets")
    parser.add_argument("--data-root", type=Path)
    parser.add_argument("--folds", type=int, help="the run's --folds, if it set one")
    parser.add_argument("--data-seed", type=int, default=0, help="the run's --data-seed")
    parser.add_argument("--faces", default="detect,whole")
    parser.add_argument("--limit", type=int, help="at most this many test faces per cell")
    parser.add_argument("--plugins", action="append", default=[])
    args = parser.parse_args()
    load_plugins(args.plugins)
    ctx = DataContext.default(data_root=args.data_root, seed=args.data_seed)
    rows = []
    for dataset in args.datasets.split(","):
        splits = DATASETS.create(dataset).load(ctx)
        for method in args.methods.split(","):
            cells = stored_cells(args.run, method, dataset, splits, args.folds, args.limit,
                                 args.train)
            stored = sum(np.sum((np.asarray(r["y_true"]) == r["y_pred"])[used])
                         for r, used, _ in cells) / sum(len(used) for _, used, _ in cells)
            for way in args.faces.split(","):
                totals = np.zeros(5)
                for record, used, test in cells:
                    model = load_model(model_path(args.run, record))
                    with tempfile.TemporaryDirectory() as folder:
                        totals += agreement(record, used, test, model, way, Path(folder))
                n, found, correct, same, seconds = totals
                rows.append([args.train or dataset, dataset, method, way, int(n),
                             f"{found / n:.3f}", f"{correct / n:.3f}", f"{stored:.3f}",
                             f"{100 * (correct / n - stored):+.1f}", f"{same / n:.3f}",
                             f"{n / seconds:.1f}"])
    print(tabulate(rows, ["train", "test", "method", "faces", "n", "found", "predict accuracy",
                          "stored accuracy", "points", "same label as stored", "faces/s"],
                   tablefmt="github"))


if __name__ == "__main__":
    main()
