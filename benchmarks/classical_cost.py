"""How each classical method's fit time grows with the number of real training faces.

Fits svm, knn, rf and xgboost at their defaults on nested random shares of
FER2013's Training split (1k, 3k, 9k, 18k and all 28,709 faces by default) and prints the fit
time of each, with two checks against the largest size measured in the same run:

- growth: between two sizes, the cost of doubling the data, ``2 ** (log(t2/t1) / log(n2/n1))``,
  must stay under ``--max-doubling`` (3x);
- no smaller size may take longer than the largest one.

Feature extraction (HOG, landmarks, and those of the mirror images where a method trains on
them) is cached and not timed, as in ``ferbench run``: it is the same for every method.

    python benchmarks/classical_cost.py --data-root DATA_ROOT [--methods svm,rf] [--sizes 1000,3000]
        [--set svm.kernel_choice_faces=10000]

``--set`` takes ``ferbench run``'s syntax, to time a baseline setting in the same way.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from ferbench import DataContext, FaceSet, create_dataset, create_method, features
from ferbench.cli import parse_settings

SIZES = (1000, 3000, 9000, 18000, 28709)


def nested_shares(faces: FaceSet, sizes: list[int], seed: int) -> list[np.ndarray]:
    """Indices of each size, drawn in one seeded order: a smaller share is a subset of a
    larger one."""
    order = np.random.default_rng(seed).permutation(len(faces))
    return [np.sort(order[:min(size, len(faces))]) for size in sizes]


def fit_seconds(method_name: str, faces: FaceSet, params: dict) -> tuple[float, str]:
    """Seconds to fit, and the kernel the fit chose where the method has one."""
    method = create_method(method_name, **params)
    started = time.perf_counter()
    method.fit(faces, None)
    seconds = time.perf_counter() - started
    kernel = method.describe().get("kernel")
    return seconds, f"  kernel {kernel}" if kernel else ""


def doubling_cost(n1: int, t1: float, n2: int, t2: float) -> float:
    """The factor by which time grows when the data doubles, between two measured sizes."""
    return 2 ** (math.log(t2 / t1) / math.log(n2 / n1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, required=True)
    parser.add_argument("--methods", default="svm,knn,rf,xgboost")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--max-doubling", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="NAME.PARAM=VALUE")
    args = parser.parse_args()
    settings = parse_settings(args.set)
    ctx = DataContext.default(data_root=args.data_root)
    train = create_dataset("fer2013").load(ctx).train
    sizes = sorted(int(s) for s in args.sizes.split(","))
    shares = nested_shares(train, sizes, args.seed)
    cache = features.FeatureCache(ctx.cache_dir)
    failures = []
    for name in args.methods.split(","):
        params = settings.get(name, {})
        method = create_method(name, **params)
        prepared = features.prepare(train, method.input_spec, cache)
        if method.mirrors(min(sizes)):
            prepared = features.with_mirrored(prepared, method.input_spec, cache)
        times, notes = zip(*(fit_seconds(name, prepared.subset(index), params)
                             for index in shares))
        counts = [len(index) for index in shares]
        print(f"\n{name} {params or ''}: fit seconds by training faces")
        for n, seconds, note in zip(counts, times, notes):
            print(f"  {n:>6d}  {seconds:8.1f}s  ({seconds / times[-1]:.2f} x the largest){note}")
        for (n1, t1), (n2, t2) in zip(zip(counts, times), zip(counts[1:], times[1:])):
            cost = doubling_cost(n1, t1, n2, t2)
            print(f"  {n1} -> {n2}: doubling costs x{cost:.2f}")
            if cost > args.max_doubling:
                failures.append(f"{name}: {n1} -> {n2} doubling costs x{cost:.2f}")
        slower = [n for n, t in zip(counts[:-1], times[:-1]) if t > times[-1]]
        if slower:
            failures.append(f"{name}: {slower} faces take longer than {counts[-1]}")
    print("\n" + ("\n".join(f"FAIL {f}" for f in failures) if failures else "all checks hold"))


if __name__ == "__main__":
    main()
