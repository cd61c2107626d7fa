"""Spread a row-wise feature computation over threads or worker processes.

Extractors compute each image's row independently, so a big batch is split into chunks
computed in parallel; a small batch stays on the calling thread, where starting workers
would cost more than it saves. Threads suit numpy code, which releases the GIL in its
loops and shares the arrays for free; processes suit libraries that hold the GIL or are
not thread-safe (dlib), at the price of a start-up and of pickling chunks both ways.
How many workers is a property of the machine, never of the feature: it comes from
``FERBENCH_JOBS`` or the CPU count and so never enters a feature's cache key.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from typing import Any

import numpy as np

JOBS_ENV = "FERBENCH_JOBS"
CHUNKS_PER_WORKER = 4
"""More chunks than workers, so a worker that drew slow images does not hold up the rest."""


def worker_count() -> int:
    """Workers (threads or processes) to use: ``FERBENCH_JOBS`` if set, else the CPU count."""
    value = os.environ.get(JOBS_ENV, "").strip()
    if not value:
        return os.cpu_count() or 1
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise ValueError(f"{JOBS_ENV} must be a positive integer, got {value!r}")
    return jobs


def map_rows(
    compute: Callable[..., np.ndarray],
    images: np.ndarray,
    min_images_per_worker: int,
    *,
    processes: bool,
    **params: Any,
) -> np.ndarray:
    """``compute(images, **params)``, chunked over workers when the batch is big.

    ``compute`` returns one row per image; with ``processes`` it must be a module-level
    function (workers import it by name). Every worker gets at least
    ``min_images_per_worker`` images.
    """
    jobs = min(worker_count(), len(images) // max(min_images_per_worker, 1))
    if jobs <= 1:
        return compute(images, **params)
    chunks = np.array_split(images, min(jobs * CHUNKS_PER_WORKER, len(images)))
    pool: Executor = process_pool(jobs) if processes else ThreadPoolExecutor(jobs)
    with pool:
        rows = list(pool.map(partial(compute, **params), chunks))
    return np.concatenate(rows)


def process_pool(jobs: int) -> ProcessPoolExecutor:
    """``jobs`` worker processes, started without forking this process."""
    return ProcessPoolExecutor(jobs, mp_context=_process_context())


def _process_context() -> multiprocessing.context.BaseContext:
    # Not "fork": forking a process that runs threads (BLAS, torch, a GUI) can deadlock.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
