"""The ``ferbench`` command line's arguments: every command, its options and their types."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path
from typing import Any

from ferbench.core.budgets import AUTO, BUDGETS
from ferbench.data.framing import parse_faces
from ferbench.eval.protocols import PROTOCOLS
from ferbench.predict.prediction import FACES
from ferbench.predict.saved import PRIORS

DEFAULT_DATASETS = ("synth-fer", "synth-raf")


def _csv(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return items


def _seeds(text: str) -> list[int]:
    try:
        return [int(seed) for seed in _csv(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must be integers, got {text!r}") from None


def _faces(text: str) -> dict[str, str]:
    try:
        return parse_faces(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_settings(settings: list[str]) -> dict[str, dict[str, Any]]:
    """``["svm.C=10", "synth-fer.n_train=500"]`` → ``{"svm": {"C": 10}, ...}``."""
    params: dict[str, dict[str, Any]] = {}
    for setting in settings:
        target, equals, value = setting.partition("=")
        name, dot, key = target.rpartition(".")
        if not equals or not dot or not name or not key:
            raise ValueError(f"--set {setting!r}: expected NAME.PARAM=VALUE, e.g. svm.C=10")
        params.setdefault(name, {})[key] = _value(value)
    return params


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plugins", action="append", default=[], metavar="PATH",
                        help="a plugin .py file or a folder of them (repeatable)")


def _add_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-root", type=Path, metavar="DIR",
                        help="where real datasets live "
                             "(default: $FERBENCH_DATA or ~/ferbench_data)")
    parser.add_argument("--cache-dir", type=Path, metavar="DIR",
                        help="decoded-data and feature cache "
                             "(default: $FERBENCH_CACHE or ~/.cache/ferbench)")
    parser.add_argument("--skip-bad", action="store_true",
                        help="skip malformed samples instead of stopping (counts are recorded)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ferbench",
        description="Benchmark facial-expression-recognition methods side by side.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="train and score methods on datasets, then write the report",
        description="Train every selected method on every selected dataset and score it within "
                    "and across datasets, or (--train/--test) only on source datasets, scored "
                    "on target datasets. Finished cells are stored and skipped on re-runs.")
    run.add_argument("--methods", type=_csv, metavar="A,B",
                     help="methods to run, or .toml files describing pretrained ONNX models "
                          "(default: every installed method of the default run)")
    run.add_argument("--datasets", type=_csv, metavar="A,B",
                     help=f"datasets: registered names or .toml files describing your own "
                          f"data, each trained on and scored on the others "
                          f"(default: {','.join(DEFAULT_DATASETS)}, embedded)")
    run.add_argument("--train", type=_csv, default=[], metavar="A",
                     help="instead of --datasets: the source dataset(s) trained on, e.g. rafdb")
    run.add_argument("--test", type=_csv, default=[], metavar="B,C",
                     help="with --train: the target datasets only scored on (cross), e.g. "
                          "ckplus,fer2013; --protocol cross drops the sources' within cells")
    run.add_argument("--protocol", type=_csv, default=list(PROTOCOLS), metavar="P,Q",
                     help="within, cross or both (default: within,cross)")
    run.add_argument("--seed", type=_seeds, dest="seeds", default=[0], metavar="N",
                     help="method seed (default 0)")
    run.add_argument("--seeds", type=_seeds, dest="seeds", metavar="N,M",
                     help="several method seeds: results show mean ± std across them")
    run.add_argument("--data-seed", type=int, default=0, metavar="N",
                     help="seed of data-side randomness: validation carving, synthetic data")
    run.add_argument("--folds", type=int, metavar="K",
                     help="folds of subject-independent k-fold (datasets without a test split)")
    run.add_argument("--set", action="append", default=[], metavar="NAME.PARAM=VALUE",
                     dest="settings", help="a method or dataset parameter, e.g. svm.C=10")
    run.add_argument("--faces", type=_faces, default={}, metavar="CHOICE",
                     help="aligned (every face re-detected, eye-aligned to one frame) or "
                          "as-published, per dataset too: fer2013=as-published,aligned "
                          "(default: aligned; as-published for synthetic data)")
    run.add_argument("--budget", choices=(AUTO, *BUDGETS), default=AUTO,
                     help="training budget of methods that have presets (deep methods): "
                          "quick (3-minute demo), standard (a CPU benchmark), full (the "
                          "published GPU recipe); auto = quick on embedded data, else standard")
    run.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"),
                     help="device for methods that take one (deep methods)")
    run.add_argument("--jobs", type=int, default=1, metavar="N",
                     help="run independent jobs in N worker processes (default 1; local)")
    run.add_argument("--executor", choices=("local", "ray"), default="local",
                     help="local: this machine (--jobs); ray: one Ray task per job, on a "
                          "cluster or a local Ray (extra: ferbench[ray])")
    run.add_argument("--ray-address", metavar="ADDR",
                     help="Ray cluster to join (default: $RAY_ADDRESS, else a local Ray)")
    run.add_argument("--ensembles", default="", metavar="A+B,C+D",
                     help="soft-vote blends of the run's methods, e.g. cnn+seresnet: their "
                          "stored class scores averaged per cell, without retraining")
    run.add_argument("--corruptions", default="", metavar="A,B:2",
                     help="also score each within test set corrupted, models not retrained: "
                          "gaussian_noise, blur, jpeg, occlusion, brightness, downscale or "
                          "all; severities 1-3, or NAME:S for one")
    run.add_argument("--train-fractions", default="", metavar="F,G",
                     help="learning curves: also train on nested shares of each within "
                          "training set, e.g. 0.05,0.1,0.25,0.5,1, scored on the same test set")
    run.add_argument("--no-save-models", dest="save_models", action="store_false",
                     help="do not keep fitted models in RUN_DIR/models (kept by default)")
    run.add_argument("--out", type=Path, default=Path("runs/default"), metavar="DIR",
                     help="run directory holding the results store (default: runs/default)")
    run.add_argument("--reports", type=Path, default=Path("reports"), metavar="DIR",
                     help="where the markdown report goes: DIR/<run name>/ (default: reports)")
    _add_data(run)
    _add_common(run)

    listing = commands.add_parser("list", help="list registered methods or datasets")
    listing.add_argument("kind", choices=("methods", "datasets"))
    listing.add_argument("pattern", nargs="?", default="*", help="shell-style filter")
    _add_common(listing)

    report = commands.add_parser("report", help="regenerate the report from stored results",
                                 description="Render one or more run directories (merged) into "
                                             "markdown and a tidy CSV, without training.")
    report.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN_DIR")
    report.add_argument("--to", type=Path, metavar="DIR",
                        help="output folder (default: reports/<name of the first run>)")
    _add_common(report)

    datasets = commands.add_parser(
        "datasets", help="which datasets are on disk, and their counts",
        description="Show each dataset's variant and counts per split and class, or what is "
                    "missing where. Exits with 1 when a dataset named here is missing or "
                    "unreadable, so it checks a .toml description before a run.")
    datasets.add_argument("names", nargs="*",
                          help="datasets to show, or .toml files to check (default: all)")
    datasets.add_argument("--audit", metavar="NAME",
                          help="check NAME for duplicate images across splits and fold leaks")
    _add_data(datasets)
    _add_common(datasets)

    predict = commands.add_parser(
        "predict", help="classify the faces in photos and videos with a run's saved model",
        description="Find every face (dlib's frontal detector, retried on the photo upsampled "
                    "in a margin, then dlib's CNN detector, then MTCNN), align it by the eyes, "
                    "and classify it with a model a run saved: by default the one with the best "
                    "cross-dataset accuracy. A video's frames are sampled at --fps and its "
                    "faces followed by box overlap (extra: ferbench[video]). Prints a table; "
                    "the exit code is 1 when a file could not be read.")
    predict.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                         help="image files, videos or folders (searched recursively)")
    source = predict.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", type=Path, metavar="DIR",
                        help="run directory whose saved models to use")
    source.add_argument("--model", type=Path, metavar="MODEL.toml",
                        help="a pretrained ONNX model's description (docs/pretrained.md)")
    predict.add_argument("--method", metavar="NAME|A+B",
                         help="method, or methods joined by + to soft-vote their saved models "
                              "(default: the best cross-dataset accuracy, an ensemble of the "
                              "run included)")
    predict.add_argument("--train", metavar="DATASET",
                         help="training dataset (default: that of the best cross-dataset "
                              "accuracy; without cross results, the run's largest)")
    predict.add_argument("--seed", type=int, metavar="N",
                         help="use the models of this seed only (default: the soft vote of "
                              "every seed the run saved)")
    predict.add_argument("--faces", choices=FACES, default="detect",
                         help="detect: find every face in each image (default); whole: each "
                              "image is one face crop, taken as it is without detection")
    predict.add_argument("--prior", choices=PRIORS, default="training",
                         help="how often each expression occurs among your faces: as in the "
                              "model's training faces (default; the leaderboard's figures), or "
                              "uniform: all equally often, as in a class-balanced set (each "
                              "probability divided by its class's training share)")
    predict.add_argument("--adapt", action="store_true",
                         help="read every photo first and re-estimate each network's "
                              "BatchNorm statistics on all their faces (no labels) before "
                              "classifying them: for a set of photos from one source unlike "
                              "the training faces; each photo's label then depends on the "
                              "others. Needs 20 faces; videos keep the model as trained")
    predict.add_argument("--fps", type=float, default=5.0,
                         help="frames a second sampled from videos (default 5)")
    predict.add_argument("--timeline", type=Path, default=Path("timelines"), metavar="DIR",
                         help="where each video's face tracks are plotted against time "
                              "(default: timelines)")
    predict.add_argument("--csv", type=Path, metavar="FILE", help="also write the rows as CSV")
    predict.add_argument("--json", type=Path, metavar="FILE", help="also write them as JSON")
    predict.add_argument("--annotate", type=Path, metavar="DIR",
                         help="write each photo with its faces' boxes and labels drawn")
    predict.add_argument("--explain", type=Path, metavar="DIR",
                         help="write each face's explanation: Grad-CAM for networks, the 68 "
                              "landmarks for landmark-based methods")
    _add_common(predict)

    export = commands.add_parser(
        "export", help="write a run's saved model as ONNX, with the TOML describing it",
        description="Write a run's saved model (chosen as by predict; of several seeds, the "
                    "lowest) as an ONNX file and the TOML beside it that benchmarks it as a "
                    "pretrained model. Networks export whole; classical methods their "
                    "classifier, fed ferbench's features. Refused when the converter cannot "
                    "reproduce the model.")
    export.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    export.add_argument("--method", required=True, metavar="NAME", help="the method to export")
    export.add_argument("--train", metavar="DATASET", help="its training dataset")
    export.add_argument("--onnx", type=Path, required=True, metavar="OUT.onnx",
                        help="the ONNX file to write; OUT.toml goes beside it")
    export.add_argument("--name", help="the model's name in OUT.toml (default: METHOD-TRAIN-onnx)")
    _add_common(export)
    return parser
