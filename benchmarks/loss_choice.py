"""Should the networks weight their loss by inverse class frequency at the standard budget?
Chosen on validation data only.

For every dataset the network (cnn by default) is trained at the ``standard`` budget on the
training faces, once as the budget has it and once with ``class_weighted=true``, on the
faces framed as ``ferbench run`` frames them (aligned for real datasets). The checkpoint is
picked on the budget's own held-out tenth of the training faces; the two networks are then
scored on the dataset's validation split (FER2013's PublicTest, RAF-DB's carved val), which
neither saw. Test splits are never read.

    python benchmarks/loss_choice.py --data-root DATA_ROOT [--datasets rafdb,fer2013]
        [--methods cnn,seresnet]
"""

from __future__ import annotations

import time

import numpy as np
from real_data_args import parse_real_data_args
from tabulate import tabulate

from ferbench import create_dataset, create_method, features
from ferbench.core.registry import METHODS
from ferbench.data.framing import frame_splits
from ferbench.eval.metrics import score

ARMS = {"as budgeted": {}, "class_weighted": {"class_weighted": True}}


def main() -> None:
    args, ctx, cache = parse_real_data_args(__doc__, datasets="rafdb,fer2013", methods="cnn")
    rows = []
    for name in args.datasets.split(","):
        dataset = create_dataset(name)
        published = dataset.load(ctx)
        if published.val is None:
            raise SystemExit(f"loss_choice: {name} has no validation split to choose on")
        splits = frame_splits(published, dataset, dataset.faces, ctx.cache_dir)
        for method in args.methods.split(","):
            standard = METHODS.get(method).params_for("standard", {"verbose": False})
            for arm, change in ARMS.items():
                network = create_method(method, **{**standard, **change})
                train = features.prepare(splits.train, network.input_spec, cache)
                val = features.prepare(splits.val, network.input_spec, cache)
                started = time.perf_counter()
                predicted = network.fit(train).predict(val)
                scores = score(val.labels, predicted, np.unique(splits.train.labels))
                rows.append([name, method, arm, f"{scores['accuracy']:.4f}",
                             f"{scores['macro_f1']:.4f}", f"{time.perf_counter() - started:.0f}"])
                print(tabulate(rows[-1:], tablefmt="plain"), flush=True)
    print()
    print(tabulate(rows, ["dataset", "method", "loss", "val accuracy", "val macro-F1", "s"],
                   tablefmt="github"))


if __name__ == "__main__":
    main()
