"""Each classical method at its defaults beside a plain hand-written scikit-learn pipeline.

Both sides get the same feature matrix (the method's default features from ferbench's
feature cache: HOG + dlib's landmarks for svm, knn and rf, HOG for xgboost; the landmarks'
detector-found column dropped, as the method drops it) and the same split: FER2013
train → PrivateTest, CK+ subject-independent 10-fold (the runner's folds, seed 0, pooled).
The baselines are what a careful researcher would write first, library defaults unless noted:

    svm      StandardScaler → PCA(100) → SVC(C=10)        (RBF, gamma="scale")
    knn      StandardScaler → PCA(100) → KNeighborsClassifier()   (k=5)
    rf       RandomForestClassifier(n_jobs=-1)             (100 trees)
    xgboost  XGBClassifier(tree_method="hist", n_jobs=1)   (100 rounds, depth 6, lr 0.3)

Prints accuracy and mean fit time of both, the accuracy difference and the fit-time ratio.

    python benchmarks/classical_baselines.py --data-root DATA_ROOT [--datasets fer2013,ckplus]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from tabulate import tabulate

from ferbench import DataContext, FaceSet, create_dataset, create_method, features
from ferbench.data.splits import subject_kfold


def _xgboost() -> Any:
    from xgboost import XGBClassifier

    return XGBClassifier(tree_method="hist", n_jobs=1, random_state=0)


BASELINES: dict[str, Callable[[], Any]] = {
    "svm": lambda: make_pipeline(StandardScaler(), PCA(100, random_state=0), SVC(C=10)),
    "knn": lambda: make_pipeline(StandardScaler(), PCA(100, random_state=0),
                                 KNeighborsClassifier()),
    "rf": lambda: RandomForestClassifier(n_jobs=-1, random_state=0),
    "xgboost": _xgboost,
}


def evaluate(name: str, folds: list[tuple[FaceSet, FaceSet]]) -> dict[str, tuple[float, float]]:
    """(pooled accuracy, mean fit seconds) of ferbench's method and of the baseline."""
    results = {}
    for side in ("ferbench", "baseline"):
        correct, seconds = 0, []
        for train, test in folds:
            method = create_method(name)
            started = time.perf_counter()
            if side == "ferbench":
                method.fit(train)
                seconds.append(time.perf_counter() - started)
                predicted = method.predict(test)
            else:
                classes, targets = np.unique(train.labels, return_inverse=True)
                model = BASELINES[name]().fit(method.feature_matrix(train), targets)
                seconds.append(time.perf_counter() - started)
                predicted = classes[model.predict(method.feature_matrix(test))]
            correct += int(np.sum(predicted == test.labels))
        results[side] = (correct / sum(len(test) for _, test in folds), float(np.mean(seconds)))
    return results


def dataset_folds(name: str, ctx: DataContext, method: str) -> list[tuple[FaceSet, FaceSet]]:
    """(train, test) pairs with the method's features attached: the official split or k-fold."""
    splits = create_dataset(name).load(ctx)
    spec = create_method(method).input_spec
    cache = features.FeatureCache(ctx.cache_dir)
    train = features.prepare(splits.train, spec, cache)
    if splits.test is not None:
        return [(train, features.prepare(splits.test, spec, cache))]
    return [(train.subset(tr), train.subset(te))
            for tr, te in subject_kfold(splits.train.subjects, splits.kfold, seed=0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, required=True)
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--datasets", default="fer2013,ckplus")
    parser.add_argument("--methods", default=",".join(BASELINES))
    args = parser.parse_args()
    ctx = DataContext.default(data_root=args.data_root, cache_dir=args.cache_dir)
    rows = []
    for dataset in args.datasets.split(","):
        for name in args.methods.split(","):
            folds = dataset_folds(dataset, ctx, name)
            result = evaluate(name, folds)
            (ours, our_s), (theirs, their_s) = result["ferbench"], result["baseline"]
            rows.append([dataset, name, f"{ours:.4f}", f"{our_s:.1f}", f"{theirs:.4f}",
                         f"{their_s:.1f}", f"{ours - theirs:+.4f}", f"{our_s / their_s:.2f}"])
            print(tabulate(rows[-1:], tablefmt="plain"), flush=True)
    print()
    print(tabulate(rows, ["dataset", "method", "ferbench acc", "fit s", "baseline acc",
                          "fit s", "acc diff", "fit-time ratio"], tablefmt="github"))


if __name__ == "__main__":
    main()
