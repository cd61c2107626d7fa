"""The ``ferbench`` command line: run, list, report, datasets, predict, export."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from tabulate import tabulate

from ferbench.cli_parser import DEFAULT_DATASETS, build_parser, parse_settings
from ferbench.core.dataset import DataContext, DatasetFormatError, DatasetNotFound
from ferbench.core.errors import PluginError, UnknownNameError
from ferbench.core.registry import DATASETS, METHODS, load_plugins
from ferbench.data.described import resolve_dataset
from ferbench.data.inventory import audit_report, inventory
from ferbench.eval.corruptions import parse_corruptions
from ferbench.eval.ensembles import parse_ensembles
from ferbench.eval.protocols import check_sources, parse_fractions
from ferbench.predict import prediction
from ferbench.predict.choice import Ensemble, choose_model, load_choice
from ferbench.predict.explain import explanation_kind
from ferbench.predict.export import export_model
from ferbench.predict.pretrained import load_pretrained
from ferbench.predict.saved import SavedModel
from ferbench.pretrained import NOT_CONTROLLED, resolve_method
from ferbench.report.write import write_report
from ferbench.results.store import RunLockedError, StoreError
from ferbench.run import RunConfig, default_methods, require_ray, run

EXIT_CELLS_FAILED = 1
EXIT_USAGE = 2


def _data_context(args: argparse.Namespace, seed: int = 0) -> DataContext:
    return DataContext.default(data_root=args.data_root, cache_dir=args.cache_dir,
                               skip_bad=args.skip_bad, seed=seed)


def _run_datasets(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """The run's datasets and its sources (``--train``; empty: every dataset is trained on)."""
    if args.datasets and (args.train or args.test):
        raise ValueError("--datasets cannot be combined with --train/--test: --train names the "
                         "source dataset(s), --test the targets")
    sources = [resolve_dataset(name) for name in dict.fromkeys(args.train)]
    targets = [resolve_dataset(name) for name in dict.fromkeys(args.test)]
    check_sources(sources, targets, args.protocol)
    if sources:
        return [*sources, *targets], sources
    return [resolve_dataset(name) for name in args.datasets or DEFAULT_DATASETS], []


def command_run(args: argparse.Namespace) -> int:
    params = parse_settings(args.settings)
    datasets, sources = _run_datasets(args)
    if args.jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {args.jobs}")
    if args.executor == "ray":
        require_ray()
    methods = [resolve_method(m) for m in args.methods] if args.methods else default_methods()
    config = RunConfig(
        methods=methods,
        datasets=datasets,
        run_dir=args.out,
        data=_data_context(args, args.data_seed),
        protocols=tuple(args.protocol),
        sources=tuple(sources),
        seeds=tuple(args.seeds),
        params=params,
        folds=args.folds,
        device=args.device,
        jobs=args.jobs,
        save_models=args.save_models,
        executor=args.executor,
        ray_address=args.ray_address,
        plugins=tuple(str(Path(p).resolve()) for p in args.plugins),
        ensembles=tuple(parse_ensembles(args.ensembles, methods)),
        corruptions=tuple(parse_corruptions(args.corruptions)),
        train_fractions=tuple(parse_fractions(args.train_fractions)),
        budget=args.budget,
        command=shlex.join(["ferbench", *args.argv]),
        faces=args.faces,
    )
    summary = run(config)
    readme = write_report([args.out], args.reports / args.out.resolve().name)
    incomplete = (f", {summary.incomplete} incomplete (a time cap stopped training; rerun "
                  f"to compute them)" if summary.incomplete else "")
    print(f"{summary.computed} cell(s) computed, {summary.skipped} already stored, "
          f"{summary.failed} failed{incomplete}; report: {readme}", file=sys.stderr)
    return EXIT_CELLS_FAILED if summary.failed else 0


def _preset(preset: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in preset.items()) or "the defaults"


def command_list(args: argparse.Namespace) -> int:
    registry = METHODS if args.kind == "methods" else DATASETS
    rows = []
    for entry in registry.entries():
        if entry.name not in registry.names(args.pattern):
            continue
        missing = entry.missing_requirements()
        notes = [f"{k}: {v}" for k, v in entry.details.items()]
        notes += [f"{budget} budget: {_preset(preset)}" for budget, preset in entry.budgets.items()]
        if not entry.in_default_run:
            notes.append("not in the default run")
        if missing:
            notes.append(f"unavailable: needs {', '.join(missing)}")
        rows.append([entry.name, entry.summary, "; ".join(notes)])
    print(tabulate(rows, ["name", "summary", "notes"], tablefmt="simple"))
    return 0


def command_report(args: argparse.Namespace) -> int:
    out = args.to or Path("reports") / args.run_dirs[0].resolve().name
    print(write_report(args.run_dirs, out))
    return 0


def command_datasets(args: argparse.Namespace) -> int:
    ctx = _data_context(args)
    if args.audit:
        name = resolve_dataset(args.audit)
        DATASETS.get(name)
        print(audit_report(name, ctx))
        return 0
    names = [resolve_dataset(name) for name in args.names]
    for name in names:
        DATASETS.get(name)
    report, unusable = inventory(names or DATASETS.names(), ctx)
    print(report)
    return 1 if names and unusable else 0


def _predict_model(args: argparse.Namespace) -> SavedModel | Ensemble:
    """The model ``--model`` describes, or the one ``--run`` (with --method, --train,
    --seed) holds."""
    if args.model:
        if args.method or args.train or args.seed is not None:
            raise ValueError("--method, --train and --seed choose among a run's models; "
                             "--model names the model itself")
        if args.prior != "training":
            raise ValueError(f"--prior {args.prior} divides by the training faces' class "
                             f"counts, which only a run's saved models record; {args.model} "
                             f"describes a pretrained model without them")
        model = load_pretrained(args.model)
        print(f"model: {model.name}, {NOT_CONTROLLED}, {model.method.description.pixels}; "
              f"{model.method.description.onnx}", file=sys.stderr)
        return model
    choice = choose_model(args.run, args.method, args.train, args.seed)
    voted = f"; soft vote of {choice.voted}" if choice.voted else ""
    prior = "" if args.prior == "training" else f", {args.prior} prior over the classes"
    paths = ", ".join(str(path) for member in choice.paths for path in member)
    print(f"model: {choice.method} trained on {choice.train} ({choice.reason}{prior}{voted}); "
          f"{paths}", file=sys.stderr)
    return load_choice(choice, args.prior)


def command_predict(args: argparse.Namespace) -> int:
    model = _predict_model(args)
    if args.explain and explanation_kind(model) is None:
        vote = " (a soft vote: one --method and one --seed pick one model)" \
            if isinstance(model, Ensemble) else ""
        print(f"note: {model.name} is not one network or landmark-based method{vote}; "
              f"--explain has nothing to draw for it", file=sys.stderr)
    outputs = prediction.Outputs(annotate=args.annotate, explain=args.explain,
                                 timeline=args.timeline)
    frame = prediction.predict_frame(model, args.paths, progress=True, faces=args.faces,
                                     fps=args.fps, outputs=outputs, adapt=args.adapt)
    if args.csv:
        frame.to_csv(args.csv, index=False)
    if args.json:
        frame.to_json(args.json, orient="records", indent=1)
    print(prediction.table_of(frame, model.classes))
    print(prediction.counts_of(frame), file=sys.stderr)
    if "track" in frame.columns and frame["track"].notna().any():
        print(f"timeline of each video's face tracks: {args.timeline}/", file=sys.stderr)
    return 1 if prediction.unreadable(frame).any() else 0


def command_export(args: argparse.Namespace) -> int:
    done = export_model(args.run_dir, args.method, args.onnx, args.train, args.name)
    print(f"exported {done.method} trained on {done.train} to {done.onnx} (probabilities "
          f"within {done.difference:.2g} of the saved model's), described by {done.toml}; "
          f"input: {done.description.pixels}", file=sys.stderr)
    return 0


COMMANDS = {
    "run": command_run,
    "list": command_list,
    "report": command_report,
    "datasets": command_datasets,
    "predict": command_predict,
    "export": command_export,
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    args.argv = argv
    try:
        load_plugins(args.plugins)
        return COMMANDS[args.command](args)
    except (PluginError, UnknownNameError, DatasetNotFound, DatasetFormatError,
            RunLockedError, StoreError, FileNotFoundError, ValueError) as error:
        if os.environ.get("FERBENCH_DEBUG"):
            raise
        print(f"ferbench: error: {error} (set FERBENCH_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ferbench: interrupted; finished cells are stored, re-run the same command "
              "to complete the rest", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
