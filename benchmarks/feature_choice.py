"""How the classical methods' default features were chosen: HOG alone vs HOG + landmarks.

Validation data only: each method at its defaults but for ``features`` is fitted on FER2013's
training faces and scored on PublicTest, and on CK+ it is scored on 3 subject-grouped inner
folds of each of the runner's 10 outer training sets (seed 0), pooled. The outer test folds
and PrivateTest are never touched. The figures behind the defaults: docs/decisions.md.

    python benchmarks/feature_choice.py --data-root DATA_ROOT [--methods knn,rf]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold
from tabulate import tabulate

from ferbench import DataContext, FaceSet, create_dataset, create_method, features
from ferbench.data.splits import subject_kfold

CANDIDATES = ("hog", "hog+landmarks")
INNER_FOLDS = 3


def public_test_accuracy(method: str, feature_set: str, train: FaceSet, val: FaceSet) -> float:
    fitted = create_method(method, features=feature_set).fit(train)
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, required=True)
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--methods", default="knn,rf")
    args = parser.parse_args()
    ctx = DataContext.default(data_root=args.data_root, cache_dir=args.cache_dir)
    cache = features.FeatureCache(ctx.cache_dir)
    spec = create_method("svm", features="hog+landmarks").input_spec  # both feature sets
    fer = create_dataset("fer2013").load(ctx)
    train, val = (features.prepare(split, spec, cache) for split in (fer.train, fer.val))
    ck = create_dataset("ckplus").load(ctx)
    faces = features.prepare(ck.train, spec, cache)
    rows = []
    for method in args.methods.split(","):
        for feature_set in CANDIDATES:
            started = time.perf_counter()
            public = public_test_accuracy(method, feature_set, train, val)
            inner = inner_fold_accuracy(method, faces, ck.kfold, features=feature_set)
            rows.append([method, feature_set, f"{public:.4f}", f"{inner:.4f}",
                         f"{time.perf_counter() - started:.0f}"])
            print(tabulate(rows[-1:], tablefmt="plain"), flush=True)
    print()
    print(tabulate(rows, ["method", "features", "FER2013 PublicTest acc",
                          "CK+ inner-fold acc", "s"], tablefmt="github"))


if __name__ == "__main__":
    main()
