"""Ray's overhead: the embedded grid with `--executor ray` (a local Ray) against `--jobs 2`.

Both runs use the same machine, methods and datasets, each with its own cold feature cache
and run directory, and Ray's start-up counts against it. Prints wall time, cells and the
ratio ray / local (goal: at most 1.15).

    python benchmarks/executors.py [--methods svm,knn,rf,xgboost,cnn,seresnet] [--cpus 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tabulate import tabulate

from ferbench.results.store import ResultStore


def timed_run(out: Path, methods: str, extra: list[str]) -> tuple[float, int]:
    """Wall seconds of one `ferbench run` in a fresh process, and the cells it stored."""
    command = [sys.executable, "-m", "ferbench.cli", "run", "--methods", methods,
               "--out", str(out / "run"), "--reports", str(out / "reports"),
               "--cache-dir", str(out / "cache"), "--no-save-models", *extra]
    started = time.perf_counter()
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started, len(ResultStore(out / "run").records())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="svm,knn,rf,xgboost,cnn,seresnet")
    parser.add_argument("--cpus", type=int, default=2, help="--jobs of the local run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        local = timed_run(Path(root) / "local", args.methods, ["--jobs", str(args.cpus)])
        ray = timed_run(Path(root) / "ray", args.methods, ["--executor", "ray"])
    rows = [["local --jobs " + str(args.cpus), f"{local[0]:.1f}", local[1], "1.00"],
            ["ray (local, start-up included)", f"{ray[0]:.1f}", ray[1],
             f"{ray[0] / local[0]:.2f}"]]
    print(tabulate(rows, ["executor", "wall s", "cells", "ratio vs local"], tablefmt="github"))


if __name__ == "__main__":
    main()
