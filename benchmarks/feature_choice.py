"""A classical default chosen on validation data: by default the features, HOG alone vs
HOG + landmarks; ``--param NAME --values A,B`` compares any other parameter the same way.

Validation data only: each method at its defaults but for the parameter is fitted on a
dataset's training faces and scored on its validation split (FER2013's PublicTest, RAF-DB's
carved val); a k-fold dataset (CK+) is scored on 3 subject-grouped inner folds of each of the
runner's 10 outer training sets (seed 0), pooled. Test splits are never touched. Faces are
framed as ``ferbench run`` frames them (aligned for real datasets), or as published with
``--as-published`` (how the FER2013 and CK+ figures in docs/decisions.md were measured).

    python benchmarks/feature_choice.py --data-root DATA_ROOT [--datasets rafdb]
        [--methods svm,knn] [--as-published] [--param solver --values exact,nystroem]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from real_data_args import parse_real_data_args
from sklearn.model_selection import GroupKFold
from tabulate import tabulate

from ferbench import FaceSet, create_dataset, create_method, features
from ferbench.cli import parse_settings
from ferbench.data.faces.frame import AS_PUBLISHED
from ferbench.data.framing import frame_splits
from ferbench.data.splits import subject_kfold

CANDIDATES = ("hog", "hog+landmarks")
INNER_FOLDS = 3


def validation_accuracy(method: str, train: FaceSet, val: FaceSet, **params: object) -> float:
    fitted = create_method(method, **params).fit(train)
    return float(np.mean(fitted.predict(val) == val.labels))


def inner_fold_accuracy(method: str, faces: FaceSet, k: int, **params: object) -> float:
    """Pooled accuracy over the inner folds of every outer training set."""
    correct = total = 0
    for outer_train, _ in subject_kfold(faces.subjects, k, seed=0):
        outer = faces.subset(outer_train)
        for fit_idx, val_idx in GroupKFold(INNER_FOLDS).split(outer_train, groups=outer.subjects):
            held_out = outer.subset(val_idx)
            fitted = create_method(method, **params).fit(outer.subset(fit_idx))
            correct += int(np.sum(fitted.predict(held_out) == held_out.labels))
            total += len(held_out)
    return correct / total


def main() -> None:
    args, ctx, cache = parse_real_data_args(__doc__, datasets="fer2013,ckplus",
                                            methods="knn,rf", own_options=_own_options)
    candidates = [parse_settings([f"m.{args.param}={value}"])["m"][args.param]
                  for value in args.values.split(",")]
    spec = create_method("svm", features="hog+landmarks").input_spec  # both feature sets
    rows = []
    for name in args.datasets.split(","):
        dataset = create_dataset(name)
        frame = AS_PUBLISHED if args.as_published else dataset.faces
        splits = frame_splits(dataset.load(ctx), dataset, frame, ctx.cache_dir)
        train = features.prepare(splits.train, spec, cache)
        val = features.prepare(splits.val, spec, cache) if splits.val is not None else None
        for method in args.methods.split(","):
            for value in candidates:
                setting = {args.param: value}
                started = time.perf_counter()
                if val is None:
                    score = inner_fold_accuracy(method, train, splits.kfold, **setting)
                else:
                    score = validation_accuracy(method, train, val, **setting)
                rows.append([name, frame, method, f"{args.param}={value}", f"{score:.4f}",
                             f"{time.perf_counter() - started:.0f}"])
                print(tabulate(rows[-1:], tablefmt="plain"), flush=True)
    print()
    print(tabulate(rows, ["dataset", "faces", "method", "setting",
                          "validation accuracy (inner folds for k-fold data)", "s"],
                   tablefmt="github"))


def _own_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-published", action="store_true",
                        help="score faces as each dataset publishes them")
    parser.add_argument("--param", default="features", help="the parameter compared")
    parser.add_argument("--values", default=",".join(CANDIDATES),
                        help="its values, as `ferbench run --set` reads them")


if __name__ == "__main__":
    main()
