"""FER2013 with Kaggle's own pixels, rebuilt from FER+'s images and a filtered copy's labels.

A copy of FER2013 that filtered its faces (histogram-equalized; ``ferbench run`` warns about
one) gives figures that are not comparable with Kaggle's. FER+'s image folders hold Kaggle's
pixels (Microsoft's ``generate_training_data.py`` writes them from Kaggle's ``fer2013.csv``
losslessly) but FER+'s labels; ``fer2013new.csv`` says which Kaggle row each image is. This
writes a ``fer2013.csv`` in Kaggle's layout and row order from FER+'s pixels, each row labelled
with the FER2013 label of the filtered copy's face that matches it best within the same split
(rank correlation of the pixels, which equalizing keeps); rows without a FER+ image, or whose
best match correlates below ``--min-correlation``, are left out.

    python benchmarks/fer2013_original.py --filtered DATA_ROOT/fer2013/fer2013.csv \\
        --ferplus-folders DATA_ROOT/ferplus --ferplus-csv fer2013new.csv \\
        --out NEW_ROOT/fer2013/fer2013.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

FOLDERS = {"Training": "FER2013Train", "PublicTest": "FER2013Valid", "PrivateTest": "FER2013Test"}
CHUNK = 2048
TIE = 0.002
"""Two matches closer than this in rank correlation are the same face."""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filtered", type=Path, required=True,
                        help="the filtered copy's fer2013.csv (labels come from it)")
    parser.add_argument("--ferplus-folders", type=Path, required=True,
                        help="the folder holding FER2013Train, FER2013Valid and FER2013Test")
    parser.add_argument("--ferplus-csv", type=Path, required=True,
                        help="FER+'s fer2013new.csv (which Kaggle row each image is)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--min-correlation", type=float, default=0.9)
    return parser.parse_args()


def ranks(pixels: np.ndarray) -> np.ndarray:
    """Each row's pixel ranks, centred and of unit length (rank correlation is a dot product)."""
    ranked = np.argsort(np.argsort(pixels, axis=1), axis=1).astype(np.float32)
    ranked -= ranked.mean(axis=1, keepdims=True)
    return ranked / np.maximum(np.linalg.norm(ranked, axis=1, keepdims=True), 1e-6)


def best_matches(queries: np.ndarray, pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query row, the two pool rows of highest rank correlation (best first) and
    their correlations, each (N, 2)."""
    pool_ranks = ranks(pool)
    best = np.empty((len(queries), 2), dtype=np.int64)
    correlation = np.empty((len(queries), 2), dtype=np.float32)
    for start in range(0, len(queries), CHUNK):
        scores = ranks(queries[start:start + CHUNK]) @ pool_ranks.T
        two = np.argpartition(-scores, 1, axis=1)[:, :2]
        two_scores = np.take_along_axis(scores, two, axis=1)
        order = np.argsort(-two_scores, axis=1, kind="stable")
        best[start:start + CHUNK] = np.take_along_axis(two, order, axis=1)
        correlation[start:start + CHUNK] = np.take_along_axis(two_scores, order, axis=1)
    return best, correlation


def main() -> None:
    args = parse_args()
    filtered = pd.read_csv(args.filtered)
    kaggle_rows = pd.read_csv(args.ferplus_csv)
    kept = []
    for usage, folder in FOLDERS.items():
        copy = filtered[filtered.Usage == usage]
        copy_pixels = np.stack([np.array(p.split(), dtype=np.float32) for p in copy.pixels])
        rows = kaggle_rows[(kaggle_rows.Usage == usage) & kaggle_rows["Image name"].notna()]
        pixels = np.stack([
            np.asarray(Image.open(args.ferplus_folders / folder / name.strip()).convert("L"))
            .ravel() for name in rows["Image name"]])
        best, correlation = best_matches(pixels.astype(np.float32), copy_pixels)
        labels = copy.emotion.to_numpy()[best]
        matched = correlation[:, 0] >= args.min_correlation
        # A face FER2013 holds twice under two labels matches both copies alike: no label.
        ambiguous = (correlation[:, 1] > correlation[:, 0] - TIE) & (labels[:, 0] != labels[:, 1])
        good = matched & ~ambiguous
        kept += [(row, label, " ".join(map(str, face)), usage) for row, label, face, ok
                 in zip(rows.index, labels[:, 0], pixels, good) if ok]
        print(f"{usage}: {len(rows)} FER+ images of {len(copy)} rows; {matched.sum()} matched at "
              f"rank correlation >= {args.min_correlation} (median "
              f"{np.median(correlation[:, 0]):.3f}), {(matched & ambiguous).sum()} of them "
              f"left out as duplicates labelled two ways")
    kept.sort()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([row[1:] for row in kept], columns=["emotion", "pixels", "Usage"]).to_csv(
        args.out, index=False)
    print(f"wrote {len(kept)} rows to {args.out}")


if __name__ == "__main__":
    main()
