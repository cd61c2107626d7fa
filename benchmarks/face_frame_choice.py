"""Which face frame each real dataset's defaults should use: aligned (``--faces aligned``) or
as published, chosen on validation data only.

For every dataset a method (svm by default) at its defaults is fitted on the training faces
and scored on the validation split, once on the faces as the dataset publishes them and once
on the same faces re-detected and eye-aligned to ferbench's one frame. CK+ has no
validation split: it is scored on 3 subject-grouped inner folds of each of the 10 outer
training sets (seed 0), pooled, as ``feature_choice.py`` does. Test splits are never read.

    python benchmarks/face_frame_choice.py --data-root DATA_ROOT [--datasets fer2013,rafdb]
        [--methods svm,knn]
"""

from __future__ import annotations

import time

from feature_choice import inner_fold_accuracy, validation_accuracy
from real_data_args import parse_real_data_args
from tabulate import tabulate

from ferbench import create_dataset, create_method, features
from ferbench.data.faces.frame import ALIGNED, AS_PUBLISHED
from ferbench.data.framing import frame_splits


def main() -> None:
    args, ctx, cache = parse_real_data_args(__doc__, datasets="ckplus,rafdb,fer2013,ferplus",
                                            methods="svm")
    rows = []
    for name in args.datasets.split(","):
        dataset = create_dataset(name)
        published = dataset.load(ctx)
        for frame in (AS_PUBLISHED, ALIGNED):
            splits = frame_splits(published, dataset, frame, ctx.cache_dir)
            for method in args.methods.split(","):
                spec = create_method(method).input_spec
                started = time.perf_counter()
                train = features.prepare(splits.train, spec, cache)
                if splits.val is None:
                    score = inner_fold_accuracy(method, train, splits.kfold)
                    on = "inner folds of the 10 outer training sets"
                else:
                    val = features.prepare(splits.val, spec, cache)
                    score, on = validation_accuracy(method, train, val), "validation split"
                rows.append([name, method, frame, on, f"{score:.4f}",
                             f"{time.perf_counter() - started:.0f}"])
                print(tabulate(rows[-1:], tablefmt="plain"), flush=True)
    print()
    print(tabulate(rows, ["dataset", "method", "faces", "scored on", "accuracy", "s"],
                   tablefmt="github"))


if __name__ == "__main__":
    main()
