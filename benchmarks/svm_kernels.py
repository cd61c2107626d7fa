"""How the svm's ``kernel="auto"`` was chosen: linear vs RBF on CK+'s inner folds.

For each of the runner's 10 subject-independent CK+ folds (seed 0), the training faces
(with their mirror images, as the svm trains) are split again into 5 subject-grouped inner
folds. Every candidate pipeline is scored on those inner folds only (validation); the
pooled outer-fold accuracy is printed beside it as the test figure, not used for choosing.
The figures behind the default: docs/decisions.md.

    python benchmarks/svm_kernels.py --data-root DATA_ROOT [--features hog+landmarks]

Candidates: standardise → PCA(k) → SVC(C=10), RBF (gamma="scale") or linear; ``all`` keeps
every component, which for the linear kernel equals no PCA. PCA is fitted once per split and
truncated per candidate, so the components are those of one fit. ``fit s`` is the mean
seconds of one outer-fold fit (PCA excluded).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.decomposition import PCA
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from tabulate import tabulate

from ferbench import DataContext, FaceSet, create_dataset, create_method, features
from ferbench.data.splits import subject_kfold

CANDIDATES = [("rbf", 200), ("rbf", 400), ("linear", 200), ("linear", 400), ("linear", 800),
              ("linear", None)]


def projected(train: FaceSet, test: FaceSet, method: Any
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train rows incl. mirrored, their targets, test rows), standardised and PCA-rotated."""
    mirrored = method.mirrored_faces(train)
    rows = np.vstack([method.feature_matrix(train), method.feature_matrix(mirrored)])
    scaler = StandardScaler().fit(rows)
    pca = PCA(svd_solver="full").fit(scaler.transform(rows))
    targets = np.concatenate([train.labels, train.labels])
    return (pca.transform(scaler.transform(rows)), targets,
            pca.transform(scaler.transform(method.feature_matrix(test))))


def accuracy(kernel: str, components: int | None, split: tuple, truth: np.ndarray
             ) -> tuple[float, float]:
    """(accuracy, fit seconds) of one candidate on one split."""
    rows, targets, test = split
    keep = slice(None, components)
    started = time.perf_counter()
    model = SVC(C=10, kernel=kernel, gamma="scale", cache_size=2000).fit(rows[:, keep], targets)
    seconds = time.perf_counter() - started
    return float(np.mean(model.predict(test[:, keep]) == truth)), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, required=True)
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--features", default="hog")
    args = parser.parse_args()
    ctx = DataContext.default(data_root=args.data_root, cache_dir=args.cache_dir)
    splits = create_dataset("ckplus").load(ctx)
    method = create_method("svm", features=args.features)
    faces = features.prepare(splits.train, method.input_spec, features.FeatureCache(ctx.cache_dir))
    inner = {c: [] for c in CANDIDATES}
    correct = dict.fromkeys(CANDIDATES, 0.0)
    fit_seconds = {c: [] for c in CANDIDATES}
    started = time.perf_counter()
    for outer_train, outer_test in subject_kfold(faces.subjects, splits.kfold, seed=0):
        train = faces.subset(outer_train)
        scores = {c: [] for c in CANDIDATES}
        for fit_idx, val_idx in GroupKFold(5).split(outer_train, groups=train.subjects):
            split = projected(train.subset(fit_idx), train.subset(val_idx), method)
            for candidate in CANDIDATES:
                scores[candidate].append(
                    accuracy(*candidate, split, train.subset(val_idx).labels)[0])
        test = faces.subset(outer_test)
        split = projected(train, test, method)
        for candidate in CANDIDATES:
            inner[candidate].append(np.mean(scores[candidate]))
            score, seconds = accuracy(*candidate, split, test.labels)
            correct[candidate] += score * len(test)
            fit_seconds[candidate].append(seconds)
        print(f"outer fold done, {time.perf_counter() - started:.0f} s", flush=True)
    rows = [[kernel, "all" if k is None else k, f"{np.mean(inner[(kernel, k)]):.4f}",
             f"{correct[(kernel, k)] / len(faces):.4f}", f"{np.mean(fit_seconds[(kernel, k)]):.1f}"]
            for kernel, k in CANDIDATES]
    print(tabulate(rows, ["model", "PCA components", "inner-fold acc (val)",
                          "outer 10-fold acc (test)", "fit s"], tablefmt="github"))
    print(f"\nCK+ {len(faces)} faces, features {args.features}, "
          f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
