"""Which augmentation should the networks train with at the standard budget? Chosen on
validation data only, within the source dataset and across to other datasets.

The network (cnn by default) is trained at the ``standard`` budget on the source's training
faces once per augmentation (``--arms``, the names ``augment`` takes), on the faces framed as
``ferbench run`` frames them (aligned for real datasets). The checkpoint is picked on the
budget's own held-out tenth of the training faces; each network is then scored on the
source's validation split (RAF-DB's carved val) and on every target's validation split
(FER2013's PublicTest), over the classes both datasets define, as a cross cell scores. Test
splits are never read.

    python benchmarks/augment_choice.py --data-root DATA_ROOT [--datasets rafdb]
        [--targets fer2013] [--methods cnn,seresnet] [--arms full,full+lowres] [--seeds 0,1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from real_data_args import parse_real_data_args
from tabulate import tabulate

from ferbench import create_dataset, create_method, features
from ferbench.core.registry import METHODS
from ferbench.data.framing import frame_splits
from ferbench.eval.metrics import score
from ferbench.eval.protocols import dataset_classes
from ferbench.run.job import restrict_scores


def own_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--targets", default="fer2013",
                        help="datasets whose validation split scores the transfer")
    parser.add_argument("--arms", default="full,full+lowres", help="values of augment")
    parser.add_argument("--seeds", default="0", help="training seeds, comma-separated")


def main() -> None:
    args, ctx, cache = parse_real_data_args(__doc__, datasets="rafdb", methods="cnn",
                                            own_options=own_options)
    validation = {}
    for name in [*args.datasets.split(","), *args.targets.split(",")]:
        dataset = create_dataset(name)
        published = dataset.load(ctx)
        if published.val is None:
            raise SystemExit(f"augment_choice: {name} has no validation split to choose on")
        validation[name] = (frame_splits(published, dataset, dataset.faces, ctx.cache_dir),
                            np.asarray(dataset_classes(published)))
    rows = []
    for source in args.datasets.split(","):
        splits, _ = validation[source]
        for method in args.methods.split(","):
            standard = METHODS.get(method).params_for("standard", {"verbose": False})
            for seed in (int(s) for s in args.seeds.split(",")):
                for arm in args.arms.split(","):
                    network = create_method(method, **{**standard, "augment": arm, "seed": seed})
                    started = time.perf_counter()
                    network.fit(features.prepare(splits.train, network.input_spec, cache))
                    seconds = time.perf_counter() - started
                    trained = np.asarray(network.classes_)
                    for target in [source, *args.targets.split(",")]:
                        target_splits, target_classes = validation[target]
                        classes = np.intersect1d(trained, target_classes)
                        val = target_splits.val.subset(np.isin(target_splits.val.labels, classes))
                        proba = network.predict_proba(features.prepare(val, network.input_spec,
                                                                       cache))
                        predicted, _ = restrict_scores(np.asarray(proba), trained, classes)
                        scores = score(val.labels, predicted, classes)
                        rows.append([source, target, method, arm, seed,
                                     f"{scores['accuracy']:.4f}", f"{scores['macro_f1']:.4f}",
                                     f"{seconds:.0f}"])
                        print(tabulate(rows[-1:], tablefmt="plain"), flush=True)
    print()
    print(tabulate(rows, ["source", "scored on (val)", "method", "augment", "seed",
                          "val accuracy", "val macro-F1", "fit s"], tablefmt="github"))


if __name__ == "__main__":
    main()
