"""The command line every validation-choice benchmark shares: a data root, a cache, which
datasets and methods; returned with the data context and feature cache they open."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from ferbench import DataContext, features


def parse_real_data_args(doc: str, datasets: str, methods: str,
                         own_options: Callable[[argparse.ArgumentParser], None] | None = None
                         ) -> tuple[argparse.Namespace, DataContext, features.FeatureCache]:
    """The shared options (default ``datasets`` and ``methods``), plus those a script adds
    with ``own_options``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--data-root", type=Path, required=True)
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--datasets", default=datasets)
    parser.add_argument("--methods", default=methods)
    if own_options:
        own_options(parser)
    args = parser.parse_args()
    ctx = DataContext.default(data_root=args.data_root, cache_dir=args.cache_dir)
    return args, ctx, features.FeatureCache(ctx.cache_dir)
