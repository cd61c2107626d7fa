"""How much a busy machine slows a network's training, with OpenMP's waiting threads spinning
(``OMP_WAIT_POLICY=ACTIVE``) and sleeping (``PASSIVE``, what ``import ferbench`` sets).

Each row trains the quick cnn for one epoch on synth-fer in a fresh process (the policy is
read when torch loads OpenMP), first on the machine as it is, then beside a competitor: a
process that keeps every core busy with matrix products. The baseline is the spinning policy
on the same machine in the same run; the predictions' digest shows the policy changes no number.

    python benchmarks/busy_machine.py [--epochs 1]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time

from tabulate import tabulate

TRAIN = """
import hashlib, time
from ferbench import DataContext, create_dataset, create_method, features
faces = create_dataset("synth-fer").load(DataContext.default()).train
cnn = create_method("cnn", epochs={epochs}, verbose=False)
prepared = features.prepare(faces, cnn.input_spec)
started = time.perf_counter()
scores = cnn.fit(prepared).predict_proba(prepared)
print(round(time.perf_counter() - started, 1), hashlib.sha256(scores.tobytes()).hexdigest()[:12])
"""


def compete(parent: int) -> None:
    """Keep one core busy with matrix products until killed or the parent script is gone."""
    import numpy as np

    matrix = np.random.default_rng(0).random((400, 400))
    while os.getppid() == parent:
        matrix = np.tanh(matrix @ matrix)


def train_seconds(policy: str, epochs: int) -> tuple[float, str]:
    env = {**os.environ, "OMP_WAIT_POLICY": policy}
    out = subprocess.run([sys.executable, "-c", TRAIN.format(epochs=epochs)], env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    return float(out[-2]), out[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    rows = []
    for machine in ("as it is", "beside a competitor"):
        competitors = []
        if machine != "as it is":
            competitors = [multiprocessing.Process(target=compete, args=(os.getpid(),), daemon=True)
                           for _ in range(os.cpu_count() or 1)]
            for process in competitors:
                process.start()
            time.sleep(1)
        try:
            timings = {policy: train_seconds(policy, args.epochs)
                       for policy in ("ACTIVE", "PASSIVE")}
        finally:
            for process in competitors:
                process.kill()
        spinning, passive = timings["ACTIVE"], timings["PASSIVE"]
        rows.append([machine, spinning[0], passive[0], f"x{spinning[0] / passive[0]:.2f}",
                     "yes" if spinning[1] == passive[1] else "NO"])
        print(tabulate(rows[-1:], tablefmt="plain"), flush=True)
    print()
    print(tabulate(rows, ["machine", "spinning s", "sleeping s", "speed-up",
                          "same predictions"], tablefmt="github"))


if __name__ == "__main__":
    main()
