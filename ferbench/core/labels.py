"""The canonical label space every dataset is mapped onto.

Each dataset numbers its emotions differently (FER2013: 0 Angry … 6 Neutral; RAF-DB:
1 Surprise … 7 Neutral; CK+: 0 neutral … 7 surprise). Inside ferbench a label is always
an index into :data:`EMOTIONS`, so that a model trained on one dataset can be scored on
another.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

EMOTIONS: tuple[str, ...] = (
    "anger",
    "disgust",
    "fear",
    "happiness",
    "sadness",
    "surprise",
    "neutral",
    "contempt",
)
"""Canonical emotion names; a canonical label is an index into this tuple."""

NUM_EMOTIONS = len(EMOTIONS)

SYNONYMS: dict[str, str] = {
    "angry": "anger",
    "disgusted": "disgust",
    "fearful": "fear",
    "scared": "fear",
    "afraid": "fear",
    "happy": "happiness",
    "joy": "happiness",
    "sad": "sadness",
    "surprised": "surprise",
    "calm": "neutral",
    "contemptuous": "contempt",
}
"""Common spellings of the canonical names, as datasets' class folders and CSVs use them;
matched after lower-casing, like the canonical names themselves."""


def emotion_index(name: str) -> int:
    """Canonical index of an emotion name, accepting common spellings ('happy', 'sad', …)."""
    key = name.strip().lower()
    key = SYNONYMS.get(key, key)
    if key not in EMOTIONS:
        raise ValueError(
            f"unknown emotion name {name!r}; expected one of {', '.join(EMOTIONS)} "
            f"(or a synonym: {', '.join(sorted(SYNONYMS))})"
        )
    return EMOTIONS.index(key)


class LabelMap:
    """A dataset's own label codes mapped onto canonical indices.

    ``LabelMap("fer2013", {0: "anger", 1: "disgust", ...})`` — codes may be ints or strings,
    values are emotion names. :meth:`to_canonical` names the dataset and the bad code when
    it meets one it does not know.
    """

    def __init__(self, dataset: str, codes: Mapping[object, str]):
        self.dataset = dataset
        self.codes = {code: emotion_index(name) for code, name in codes.items()}

    def to_canonical(self, code: object, where: str = "") -> int:
        """Canonical index of one dataset code; ``where`` (file:line) goes into the error."""
        try:
            return self.codes[code]
        except KeyError:
            known = ", ".join(repr(c) for c in self.codes)
            place = f" at {where}" if where else ""
            raise ValueError(
                f"{self.dataset}: unknown label code {code!r}{place}; known codes: {known}"
            ) from None

    def to_canonical_array(self, codes: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`to_canonical` for an integer code array."""
        lookup = np.full(max(int(c) for c in self.codes) + 1, -1, dtype=np.int64)
        for code, index in self.codes.items():
            lookup[int(code)] = index
        codes = np.asarray(codes, dtype=np.int64)
        bad = (codes < 0) | (codes >= len(lookup))
        bad[~bad] = lookup[codes[~bad]] < 0
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{self.dataset}: unknown label code {int(codes[first])} at row {first} "
                f"({int(bad.sum())} rows with unknown codes)"
            )
        return lookup[codes]
