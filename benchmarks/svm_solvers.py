"""libsvm against oneDAL for ferbench's exact RBF SVM, on FER2013's real training faces.

ferbench's svm fits an exact RBF SVC (scikit-learn's libsvm; above 10,000 rows its one-vs-one
pairs in threads) on StandardScaler, then PCA to 200 components, of its HOG + landmark
features. This fits that pipeline on nested shares of FER2013's Training split, its faces
framed as ``ferbench run`` frames them, once with libsvm and once with oneDAL's SVC
(scikit-learn-intelex, not a ferbench dependency: ``pip install scikit-learn-intelex``), and
prints per size each solver's fit seconds, PublicTest accuracy and support vectors (libsvm's
summed over its pairs when they train in threads, so a face counts once per pair), libsvm's
time over oneDAL's, and between sizes the cost of doubling the data (as classical_cost.py
computes it; #23 item 8 asks at most about 3x). ``--tol`` sets both solvers' stopping
tolerance.

    python benchmarks/svm_solvers.py --data-root DATA_ROOT [--sizes 9000,18000,28709]
        [--tol 0.001]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
from classical_cost import doubling_cost, nested_shares
from tabulate import tabulate

from ferbench import DataContext, create_dataset, create_method, features
from ferbench.data.framing import frame_splits

THREADED_PAIRS_ROWS = 10_000
"""Above this many rows ferbench's svm trains libsvm's one-vs-one pairs in threads."""


def solvers(tol: float) -> dict[str, Any]:
    """Each solver's SVC, as ferbench's svm sets it up (C=10, ``gamma="scale"``)."""
    from sklearn.svm import SVC

    try:
        from sklearnex.svm import SVC as OneDalSVC
    except ImportError:
        raise SystemExit("svm_solvers: oneDAL's SVC needs scikit-learn-intelex "
                         "(pip install scikit-learn-intelex)") from None
    settings = {"C": 10.0, "kernel": "rbf", "gamma": "scale", "tol": tol, "random_state": 0}
    return {"libsvm": lambda: SVC(cache_size=2000, **settings),
            "oneDAL": lambda: OneDalSVC(**settings)}


def reduced(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both matrices standardised and reduced to 200 components fitted on ``train``."""
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    reduce = make_pipeline(StandardScaler(), PCA(n_components=200, random_state=0)).fit(train)
    return reduce.transform(train), reduce.transform(test)


def fit_and_score(make: Any, name: str, train: np.ndarray, targets: np.ndarray,
                  test: np.ndarray, test_targets: np.ndarray) -> tuple[float, float, int]:
    """Fit seconds, test accuracy and support vectors of one solver on one share."""
    from sklearn.multiclass import OneVsOneClassifier

    model = make()
    if name == "libsvm" and len(train) > THREADED_PAIRS_ROWS:
        model = OneVsOneClassifier(model, n_jobs=-1)
    started = time.perf_counter()
    model.fit(train, targets)
    seconds = time.perf_counter() - started
    accuracy = float(np.mean(model.predict(test) == test_targets))
    fitted = model.estimators_ if isinstance(model, OneVsOneClassifier) else [model]
    return seconds, accuracy, sum(int(m.n_support_.sum()) for m in fitted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, required=True)
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--sizes", default="9000,18000,28709")
    parser.add_argument("--tol", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    made = solvers(args.tol)
    ctx = DataContext.default(data_root=args.data_root, cache_dir=args.cache_dir)
    dataset = create_dataset("fer2013")
    splits = frame_splits(dataset.load(ctx), dataset, dataset.faces, ctx.cache_dir)
    svm = create_method("svm")
    cache = features.FeatureCache(ctx.cache_dir)
    train = features.prepare(splits.train, svm.input_spec, cache)
    test = features.prepare(splits.val, svm.input_spec, cache)
    svm.classes_ = train.classes
    matrix, test_matrix = svm.feature_matrix(train), svm.feature_matrix(test)
    targets = np.searchsorted(train.classes, train.labels)
    test_targets = np.searchsorted(train.classes, test.labels)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    shares = nested_shares(train, sizes, args.seed)
    rows, times = [], {name: [] for name in made}
    for index in shares:
        share, share_test = reduced(matrix[index], test_matrix)
        row: list[Any] = [len(index)]
        for name, make in made.items():
            seconds, accuracy, vectors = fit_and_score(make, name, share, targets[index],
                                                       share_test, test_targets)
            times[name].append(seconds)
            row += [f"{seconds:.1f}", f"{accuracy:.4f}", vectors]
        row.append(f"{times['libsvm'][-1] / times['oneDAL'][-1]:.2f}")
        rows.append(row)
        print(tabulate(rows[-1:], tablefmt="plain"), flush=True)
    print()
    print(tabulate(rows, ["faces", "libsvm s", "libsvm PublicTest", "libsvm SVs", "oneDAL s",
                          "oneDAL PublicTest", "oneDAL SVs", "libsvm / oneDAL time"],
                   tablefmt="github"))
    counts = [len(index) for index in shares]
    for name, seconds in times.items():
        costs = [f"{n1} -> {n2} x{doubling_cost(n1, t1, n2, t2):.2f}"
                 for (n1, t1), (n2, t2) in zip(zip(counts, seconds), zip(counts[1:], seconds[1:]))]
        print(f"{name}: doubling costs {', '.join(costs)}")


if __name__ == "__main__":
    main()
