"""Histogram-equalized copies of a dataset, told apart from the dataset as published.

Some re-packagings filter every face before sharing it (histogram equalization is the common
one): their faces then differ in contrast from the original's, from every other dataset's and
from photos', so figures trained or scored on such a copy are not comparable with figures
from the original. Equalizing spreads a face's grey levels evenly over 0-255, which few
unfiltered faces do: a face counts as equalized when its cumulative grey-level histogram stays
within :data:`FLAT_HISTOGRAM` of the uniform one, and a dataset is flagged when more than
:data:`EQUALIZED_SHARE` of its faces are. The share goes into every split's provenance
(``equalized_faces``), so the run's output and its report say which kind of copy was used.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ferbench.core.dataset import Splits

FLAT_HISTOGRAM = 0.1
"""Largest distance between a face's cumulative grey-level histogram and the uniform one for
the face to count as equalized."""
EQUALIZED_SHARE = 0.3
"""Share of equalized faces above which a dataset is said to be a histogram-equalized copy."""
SAMPLE = 2000
"""Faces looked at per split, evenly spaced: enough to know the share within about a point."""
LUMA = np.array([0.299, 0.587, 0.114])
"""ITU-R 601 weights, as Pillow turns RGB into grey."""


def equalized(images: np.ndarray) -> np.ndarray:
    """Per face of ``images`` (uint8, (N, H, W) grey or (N, H, W, 3) RGB): whether its grey
    levels are spread as evenly as histogram equalization leaves them."""
    if images.ndim == 4:
        images = np.rint(images @ LUMA).astype(np.uint8)
    count = len(images)
    if not count:
        return np.zeros(0, dtype=bool)
    flat = images.reshape(count, -1).astype(np.int64)
    offsets = 256 * np.arange(count)[:, None]
    histograms = np.bincount((flat + offsets).ravel(), minlength=256 * count)
    cumulative = histograms.reshape(count, 256).cumsum(axis=1) / flat.shape[1]
    uniform = np.arange(1, 257) / 256
    return np.abs(cumulative - uniform).max(axis=1) < FLAT_HISTOGRAM


def equalized_share(splits: Splits) -> float:
    """The share of equalized faces among at most :data:`SAMPLE` evenly spaced faces of each
    split (0 for a dataset without faces)."""
    flags = [equalized(part.images[np.unique(np.linspace(0, len(part) - 1, SAMPLE).astype(int))])
             for part in splits.parts().values() if len(part)]
    return float(np.concatenate(flags).mean()) if flags else 0.0


def note_equalized(splits: Splits) -> Splits:
    """``splits`` with the share of equalized faces in every split's provenance."""
    return splits.with_facts({"equalized_faces": round(equalized_share(splits), 3)})


def equalized_note(facts: Mapping[str, object]) -> str:
    """A warning for a dataset whose provenance ``facts`` say it is an equalized copy, else
    ""."""
    share = facts.get("equalized_faces")
    if not isinstance(share, float) or share <= EQUALIZED_SHARE:
        return ""
    return (f"{share:.0%} of its faces are histogram-equalized: a filtered copy, whose figures "
            f"are not comparable with the unfiltered dataset's")
