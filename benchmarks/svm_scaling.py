"""How the `svm` method scales to FER2013-sized training sets, and what Nyström costs.

Trains the exact RBF SVC and the Nyström approximation on HOG features of synth-fer faces
(28,709 training faces, FER2013's count, by default), prints fit time and test accuracy of
each, and the ratios. The exact solver runs on a subset too large to be quick but small
enough to finish (``--exact-limit``), so both are compared on the same data.

    python benchmarks/svm_scaling.py [--n-train 28709] [--exact-limit 8000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from ferbench import DataContext, create_dataset, create_method, features


def fit_and_score(method, train, test) -> tuple[float, float]:
    started = time.perf_counter()
    method.fit(train)
    seconds = time.perf_counter() - started
    return seconds, float(np.mean(method.predict(test) == test.labels))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=28_709)
    parser.add_argument("--n-test", type=int, default=3_589)
    parser.add_argument("--exact-limit", type=int, default=8_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as cache:
        ctx = DataContext(data_root=Path(cache), cache_dir=Path(cache))
        started = time.perf_counter()
        splits = create_dataset("synth-fer", n_train=args.n_train, n_val=10,
                                n_test=args.n_test).load(ctx)
        print(f"generated {args.n_train} + {args.n_test} faces in "
              f"{time.perf_counter() - started:.1f}s")
        spec = create_method("svm").input_spec
        feature_cache = features.FeatureCache(Path(cache))
        train = features.prepare(splits.train, spec, feature_cache)
        test = features.prepare(splits.test, spec, feature_cache)

        subset = train.subset(np.arange(min(args.exact_limit, len(train))))
        rows = []
        for label, faces, solver in [
            (f"exact SVC, {len(subset)} faces", subset, "exact"),
            (f"Nystroem, {len(subset)} faces", subset, "nystroem"),
            (f"Nystroem, {len(train)} faces", train, "nystroem"),
        ]:
            seconds, accuracy = fit_and_score(create_method("svm", solver=solver), faces, test)
            rows.append((label, seconds, accuracy))
            print(f"{label:32s} fit {seconds:8.1f}s  test accuracy {accuracy:.3f}")
        exact, approx_same, approx_full = rows
        print(f"Nystroem / exact on {len(subset)} faces: time x{approx_same[1] / exact[1]:.2f}, "
              f"accuracy {approx_same[2] - exact[2]:+.3f}")
        print(f"Nystroem on all {len(train)} faces vs exact on {len(subset)}: "
              f"accuracy {approx_full[2] - exact[2]:+.3f}")


if __name__ == "__main__":
    main()
