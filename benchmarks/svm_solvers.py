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


def ferbench_pipeline(svm: Any, rows: int, columns: int, tol: float) -> Any:
    """ferbench's own exact RBF pipeline for ``rows`` x ``columns`` features (scaler, PCA,
    SVC, its pairs in threads above their threshold), with libsvm's stopping ``tol``."""
    pipeline = svm._pipeline("rbf", rows, columns, "exact").pipeline
    last = pipeline.steps[-1][1]
    last.set_params(**({"estimator__tol": tol} if hasattr(last, "estimator") else {"tol": tol}))
    return pipeline


def onedal_svc(libsvm: Any) -> Any:
    """oneDAL's SVC with the settings of ferbench's libsvm SVC (C, kernel, gamma, tol)."""
    try:
        from sklearnex.svm import SVC as OneDalSVC
    except ImportError:
        raise SystemExit("svm_solvers: oneDAL's SVC needs scikit-learn-intelex "
                         "(pip install scikit-learn-intelex)") from None
    svc = getattr(libsvm, "estimator", libsvm)
    return OneDalSVC(**{k: svc.get_params()[k] for k in ("C", "kernel", "gamma", "tol",
                                                         "random_state")})


def fit_and_score(model: Any, train: np.ndarray, targets: np.ndarray, test: np.ndarray,
                  test_targets: np.ndarray) -> tuple[float, float, int]:
    """Fit seconds (in threads, as ferbench's svm fits), test accuracy and support vectors of
    one solver on reduced features."""
    from joblib import parallel_config

    started = time.perf_counter()
    with parallel_config(backend="threading"):
        model.fit(train, targets)
    seconds = time.perf_counter() - started
    accuracy = float(np.mean(model.predict(test) == test_targets))
    fitted = getattr(model, "estimators_", [model])
    return seconds, accuracy, sum(int(m.n_support_.sum()) for m in fitted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, required=True)
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--sizes", default="9000,18000,28709")
    parser.add_argument("--tol", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
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
    rows, times = [], {"libsvm": [], "oneDAL": []}
    for index in shares:
        pipeline = ferbench_pipeline(svm, len(index), matrix.shape[1], args.tol)
        reduce, libsvm = pipeline[:-1], pipeline.steps[-1][1]
        share = reduce.fit_transform(matrix[index])
        share_test = reduce.transform(test_matrix)
        row: list[Any] = [len(index)]
        for name, model in (("libsvm", libsvm), ("oneDAL", onedal_svc(libsvm))):
            seconds, accuracy, vectors = fit_and_score(model, share, targets[index],
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
