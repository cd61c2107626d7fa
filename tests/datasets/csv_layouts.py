"""Writers of the pixel-CSV layouts: Kaggle's fer2013.csv and FER+'s fer2013new.csv.

Everything is generated under a test's ``tmp_path``; nothing is copied from the real data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

PIXELS = 48 * 48
FER2013_HEADER = "emotion,pixels,Usage"
FERPLUS_HEADER = ("Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,"
                  "contempt,unknown,NF")


def pixels_of(row: int) -> np.ndarray:
    """The 48x48 pixels the CSV fixtures give data row ``row``: distinct for every row."""
    return ((np.arange(PIXELS) * 7 + row) % 256).astype(np.uint8).reshape(48, 48)


def fer2013_line(row: int, code: int, usage: str) -> str:
    return f"{code},{' '.join(str(v) for v in pixels_of(row).ravel())},{usage}"


def fer2013_lines(training: int = 14, public: int = 7, private: int = 7) -> list[str]:
    """Well-formed rows cycling through codes 0..6, in Training/PublicTest/PrivateTest order."""
    usages = ["Training"] * training + ["PublicTest"] * public + ["PrivateTest"] * private
    return [fer2013_line(row, row % 7, usage) for row, usage in enumerate(usages)]


def write_fer2013_csv(root: Path, lines: list[str], ending: str = "\n") -> Path:
    path = root / "fer2013" / "fer2013.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((FER2013_HEADER + ending + ending.join(lines) + ending).encode())
    return path


def write_ferplus_csv(root: Path, rows: list[tuple[str, str, list[int]]]) -> Path:
    """``ferplus/fer2013new.csv`` from (Usage, Image name, 10 vote counts) rows."""
    path = root / "ferplus" / "fer2013new.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = [f"{usage},{name},{','.join(map(str, votes))}" for usage, name, votes in rows]
    path.write_text("\n".join([FERPLUS_HEADER, *body]) + "\n")
    return path
