"""How fast the fer2013 plugin loads a full-size ``fer2013.csv``, first parse and cached.

Writes a CSV of FER2013's exact shape (35,887 rows of 2,304 random pixels; 28,709 Training,
3,589 PublicTest, 3,589 PrivateTest) to a temporary data root, then times, in one process:

* the naive per-row parse, ``np.array(pixels.split(), dtype=np.uint8)`` for every row;
* the plugin's first load (vectorised parse + label mapping + cache write);
* its second load (read from the decoding cache).

Run: ``python benchmarks/load_fer2013.py``. Needs ~1.5 GB of memory and ~300 MB of disk.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from ferbench import DataContext
from ferbench.core.registry import DATASETS, load_plugin_path
from ferbench.data.cache import DECODES

REPO = Path(__file__).resolve().parents[1]
USAGE_ROWS = {"Training": 28_709, "PublicTest": 3_589, "PrivateTest": 3_589}
PIXELS = 48 * 48
CACHED_BUDGET_S = 0.5
SPEEDUP_TARGET = 5.0


def write_fake_fer2013(path: Path, seed: int = 0, block_rows: int = 2048) -> None:
    """A FER2013-shaped CSV with random pixels, written block by block without a per-value loop."""
    rng = np.random.default_rng(seed)
    # Each value as up to 3 digits plus a trailing space, padded with NUL bytes to 4 bytes.
    spelled = np.zeros((256, 4), dtype=np.uint8)
    for value in range(256):
        text = f"{value} ".encode()
        spelled[value, : len(text)] = np.frombuffer(text, dtype=np.uint8)
    usages = [usage for usage, n in USAGE_ROWS.items() for _ in range(n)]
    with open(path, "wb") as out:
        out.write(b"emotion,pixels,Usage\n")
        for start in range(0, len(usages), block_rows):
            rows = usages[start: start + block_rows]
            chars = spelled[rng.integers(0, 256, size=(len(rows), PIXELS))].reshape(len(rows), -1)
            keep = chars != 0
            text = chars[keep].tobytes()
            ends = np.cumsum(keep.sum(axis=1))
            codes = rng.integers(0, 7, size=len(rows))
            begin = 0
            for code, end, usage in zip(codes, ends, rows):
                out.write(b"%d,%s,%s\n" % (code, text[begin: end - 1], usage.encode()))
                begin = end


def per_row_parse(path: Path) -> int:
    """The naive baseline: split every row's pixels in Python."""
    rows = 0
    with open(path) as lines:
        next(lines)
        for line in lines:
            _, pixels, _ = line.split(",")
            np.array(pixels.split(), dtype=np.uint8)
            rows += 1
    return rows


def timed(function, *args):
    """``(wall seconds, CPU seconds of this process, result)``: on a shared machine the CPU
    time shows what the code costs, the wall time what a user waits."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> int:
    load_plugin_path(REPO / "datasets" / "fer2013.py")
    dataset = DATASETS.create("fer2013")
    with tempfile.TemporaryDirectory(prefix="ferbench-bench-") as tmp:
        root = Path(tmp)
        csv = root / "data" / "fer2013" / "fer2013.csv"
        csv.parent.mkdir(parents=True)
        generate_s, _, _ = timed(write_fake_fer2013, csv)
        print(f"generated {csv.stat().st_size / 1e6:.0f} MB in {generate_s:.1f} s")
        ctx = DataContext(data_root=root / "data", cache_dir=root / "cache")

        naive_s, naive_cpu, rows = timed(per_row_parse, csv)
        first_s, first_cpu, splits = timed(dataset.load, ctx)
        cached_s, cached_cpu, again = timed(dataset.load, ctx)
        assert DECODES["fer2013"] == 1, "the second load decoded again instead of using the cache"
        assert np.array_equal(splits.train.images, again.train.images)
        sizes = {name: len(faces) for name, faces in splits.parts().items()}

    print(f"rows: {rows}; splits: {sizes}")
    print("                      wall s   cpu s")
    print(f"per-row split loop : {naive_s:7.2f} {naive_cpu:7.2f}")
    print(f"first load (parse) : {first_s:7.2f} {first_cpu:7.2f}   {naive_s / first_s:5.1f}x "
          f"faster than the loop (cpu: {naive_cpu / first_cpu:.1f}x; "
          f"target >= {SPEEDUP_TARGET:.0f}x)")
    print(f"cached reload      : {cached_s:7.2f} {cached_cpu:7.2f}   {first_s / cached_s:5.1f}x "
          f"faster than the first load (budget <= {CACHED_BUDGET_S} s)")
    ok = naive_s / first_s >= SPEEDUP_TARGET and cached_s <= CACHED_BUDGET_S
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
