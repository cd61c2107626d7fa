"""Which training settings should the networks use at the standard budget? Chosen on
validation data only, within the source dataset and across to other datasets.

The network (cnn by default) is trained at the ``standard`` budget on the source's training
faces once per arm (``--arms``: ``;``-separated arms, each a ``,``-separated list of
``PARAM=VALUE`` overrides, or a bare name that is a value of ``augment``), on the faces
framed as ``ferbench run`` frames them (aligned for real datasets; ``--faces`` as
``ferbench run`` takes it for another framing). The checkpoint is picked
on the budget's own held-out tenth of the training faces; each network is then scored on the
source's validation split (RAF-DB's carved val) and on every target's validation split
(FER2013's PublicTest, FER+'s val), brought to the source's face size and colour and scored
over the classes both datasets define, as a cross cell does: accuracy, macro-F1 and mean
recall (each class counted alike, as class-balanced photos count them). Test splits are never
read.

``--save-views FILE`` writes the faces as the networks see them (uint8 arrays and labels,
no test split) and stops; ``--views FILE`` trains from such a file instead of a data root,
so that the arms can run on another machine (a GPU's, say: add ``device=cuda`` to
``--common``). Arrays of faces stay off the repository. ``--save-models DIR`` keeps each
trained network as a saved model (``DIR/METHOD__SOURCE__ARM__sSEED``), for
``prior_choice.py`` to score alone and in blends.

    python benchmarks/training_choice.py --data-root DATA_ROOT [--datasets rafdb]
        [--targets fer2013,ferplus] [--methods cnn,seresnet]
        [--arms "full;full+light;normalization=face"] [--common device=cuda] [--seeds 0,1]
        [--save-models DIR]
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
from tabulate import tabulate

from ferbench import DataContext, FaceSet, create_dataset, create_method, features
from ferbench.cli_parser import parse_settings
from ferbench.core.registry import METHODS, load_plugins
from ferbench.data.framing import faces_of, frame_splits, parse_faces
from ferbench.eval.metrics import score
from ferbench.eval.protocols import dataset_classes
from ferbench.predict.saved import class_counts, save_model
from ferbench.run.job import restrict_scores


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--data-root", type=Path, help="a data root from the stage tool")
    data.add_argument("--views", type=Path, help="an .npz written by --save-views")
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--save-views", type=Path, default=None,
                        help="write the networks' views of the faces here and stop")
    parser.add_argument("--datasets", default="rafdb", help="training sources")
    parser.add_argument("--targets", default="fer2013",
                        help="datasets whose validation split scores the transfer")
    parser.add_argument("--methods", default="cnn")
    parser.add_argument("--arms", default="full;full+lowres",
                        help="';'-separated arms, each PARAM=VALUE[,PARAM=VALUE] or an augment")
    parser.add_argument("--common", default="", help="PARAM=VALUE[,...] every arm shares")
    parser.add_argument("--seeds", default="0", help="training seeds, comma-separated")
    parser.add_argument("--save-models", type=Path, default=None,
                        help="keep every trained network here as a saved model")
    parser.add_argument("--faces", default="",
                        help="framing as `ferbench run --faces` takes it (default: each "
                             "dataset's own, aligned for real datasets)")
    return parser.parse_args()


def overrides(text: str) -> dict[str, Any]:
    """``"epochs=24,augment=full"`` → ``{"epochs": 24, "augment": "full"}``; a bare name
    is a value of ``augment``."""
    if text and "=" not in text:
        return {"augment": text}
    return parse_settings([f"arm.{item}" for item in text.split(",") if item]).get("arm", {})


def network_view(methods: list[str]) -> Any:
    """The one input spec the compared networks share (views are saved once)."""
    specs = {repr(spec): spec for spec in (create_method(m).input_spec for m in methods)}
    if len(specs) != 1:
        raise SystemExit(f"training_choice: {', '.join(methods)} see faces differently; "
                         "compare them in separate runs")
    return next(iter(specs.values()))


def load_views(args: argparse.Namespace, methods: list[str]) -> dict[str, Any]:
    """Every array the arms need, keyed ``SOURCE/train``, ``SOURCE/val``, ``SOURCE>TARGET``
    (the target's val faces as the source stores faces) and ``NAME/classes``; with
    ``SOURCE/faces`` and ``SOURCE/face_shape``, how the source's faces were framed and their
    shape before the view, which a saved model needs so that predict frames photos alike."""
    if args.views:
        with np.load(args.views) as stored:
            views = {key: stored[key] for key in stored.files}
        sources = args.datasets.split(",")
        wanted = [f"{source}{part}" for source in sources
                  for part in ("/train", "/val", *(f">{t}" for t in args.targets.split(",")))]
        if missing := [key for key in wanted if key not in views]:
            held = [key for key in views if not key.endswith(("/labels", "/classes"))]
            raise SystemExit(f"training_choice: {args.views} lacks {', '.join(missing)}; it "
                             f"holds {', '.join(held)}")
        if any(f"{source}/faces" not in views for source in sources):  # an older views file
            framing = faces_of({name: create_dataset(name) for name in sources},
                               parse_faces(args.faces) if args.faces else {})
            for source in sources:
                views.setdefault(f"{source}/faces", np.asarray(framing[source]))
                views.setdefault(f"{source}/face_shape",
                                 np.asarray(views[f"{source}/train"].shape[1:]))
        return views
    spec = network_view(methods)
    ctx = DataContext.default(data_root=args.data_root, cache_dir=args.cache_dir)
    names = list(dict.fromkeys([*args.datasets.split(","), *args.targets.split(",")]))
    datasets = {name: create_dataset(name) for name in names}
    framing = faces_of(datasets, parse_faces(args.faces) if args.faces else {})
    validation, views = {}, {}
    for name, dataset in datasets.items():
        published = dataset.load(ctx)
        if published.val is None:
            raise SystemExit(f"training_choice: {name} has no validation split to choose on")
        validation[name] = frame_splits(published, dataset, framing[name], ctx.cache_dir)
        views[f"{name}/classes"] = np.asarray(dataset_classes(published))
    for source in args.datasets.split(","):
        splits = validation[source]
        for split, faces in (("train", splits.train), ("val", splits.val)):
            prepared = features.prepare(faces, spec)
            views[f"{source}/{split}"], views[f"{source}/{split}/labels"] = (prepared.images,
                                                                            prepared.labels)
        stored = splits.train.images.shape[1:]
        views[f"{source}/faces"] = np.asarray(framing[source])
        views[f"{source}/face_shape"] = np.asarray(stored)
        for target in args.targets.split(","):
            faces = features.prepare(validation[target].val.stored_as(stored), spec)
            views[f"{source}>{target}"], views[f"{source}>{target}/labels"] = (faces.images,
                                                                              faces.labels)
    return views


def faces(views: dict[str, Any], key: str) -> FaceSet:
    return FaceSet(views[key], views[f"{key}/labels"], dataset=key)


def main() -> None:
    args = parse_args()
    methods = args.methods.split(",")
    load_plugins()
    views = load_views(args, methods)
    if args.save_views:
        np.savez_compressed(args.save_views, **views)
        print(f"training_choice: wrote {len(views)} arrays to {args.save_views}")
        return
    common = overrides(args.common)
    rows = []
    for source in args.datasets.split(","):
        for method in methods:
            standard = METHODS.get(method).params_for("standard", {"verbose": False})
            for seed in (int(s) for s in args.seeds.split(",")):
                for arm in args.arms.split(";"):
                    params = {**standard, **common, **overrides(arm), "seed": seed}
                    network = create_method(method, **params)
                    train = faces(views, f"{source}/train")
                    started = time.perf_counter()
                    network.fit(train)
                    seconds = time.perf_counter() - started
                    if args.save_models:
                        slug = "_".join(part for part in re.split(r"[^\w.+-]+", arm) if part)
                        save_model(network, method, params,
                                   args.save_models / f"{method}__{source}__{slug}__s{seed}",
                                   {"dataset": source, "seed": seed, "n": len(train),
                                    "fingerprint": train.fingerprint,
                                    "face_shape": views[f"{source}/face_shape"].tolist(),
                                    "faces": str(views[f"{source}/faces"]),
                                    "class_counts": class_counts(train),
                                    "arm": arm, "views": str(args.views or args.data_root)})
                    trained = np.asarray(network.classes_)
                    for target in [source, *args.targets.split(",")]:
                        key = f"{source}/val" if target == source else f"{source}>{target}"
                        classes = np.intersect1d(trained, views[f"{target}/classes"])
                        val = faces(views, key)
                        val = val.subset(np.isin(val.labels, classes))
                        proba = network.predict_proba(val)
                        predicted, _ = restrict_scores(np.asarray(proba), trained, classes)
                        scores = score(val.labels, predicted, classes)
                        rows.append([source, target, method, arm, seed,
                                     f"{scores['accuracy']:.4f}", f"{scores['macro_f1']:.4f}",
                                     f"{scores['balanced_accuracy']:.4f}", f"{seconds:.0f}"])
                        print(tabulate(rows[-1:], tablefmt="plain"), flush=True)
    print()
    print(tabulate(rows, ["source", "scored on (val)", "method", "arm", "seed",
                          "val accuracy", "val macro-F1", "val mean recall", "fit s"],
                   tablefmt="github"))


if __name__ == "__main__":
    main()
