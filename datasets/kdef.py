"""KDEF (Lundqvist et al., 1998): 70 posing amateur actors, 7 expressions, 5 angles, 2 sessions.

Layout under ``<data root>/kdef/`` (datasets/README.md): ``KDEF/<AF01>/<AF01ANS.JPG>``, one
folder per session and subject. A name codes session (A/B), gender (F/M), subject number,
expression (AF afraid, AN angry, DI disgusted, HA happy, NE neutral, SA sad, SU surprised)
and angle (FL full left, HL half left, S straight, HR half right, FR full right).

Only the straight pictures are taken by default (``angles``, e.g. ``"S,HL,HR"``, adds
others). Pictures are 562x762 portraits, so faces are prepared by ``crops``: ``crop =
"detect"`` (default; the face found and eye-aligned as ``ferbench predict`` does, which
needs dlib and rarely finds full profiles) or ``"none"`` (the whole picture resized and
stretched); either way 100x100 RGB. KDEF has no official split: everything is ``train`` with
the subject (gender + number, ``F01``: both sessions are the same person) as subject id, and
the protocol runs subject-independent ``kfold``. Sample ids are paths relative to ``kdef/``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ferbench import LabelMap, register_dataset
from ferbench.data import SampleList, Samples, SubjectFoldDataset, crops, list_files, unknown_code

CODES = LabelMap("kdef", {"AF": "afraid", "AN": "angry", "DI": "disgusted", "HA": "happy",
                          "NE": "neutral", "SA": "sad", "SU": "surprised"})
ANGLES = {"FL": "full left", "HL": "half left", "S": "straight", "HR": "half right",
          "FR": "full right"}
KNOWN_ANGLES = ", ".join(f"{code} {name}" for code, name in ANGLES.items())
CROPS = ("detect", "none")
FOLDER_NAME = re.compile(r"[AB][FM]\d\d")
PICTURE_NAME = re.compile(r"([AB][FM]\d\d)([A-Z]{2})([A-Z]{1,2})\.JPE?G", re.IGNORECASE)


def parse_angles(angles: str | Sequence[str]) -> tuple[str, ...]:
    """``"S,HL"`` (as ``--set kdef.angles=S,HL`` gives it) or a list, in KDEF's angle order."""
    names = angles.split(",") if isinstance(angles, str) else list(angles)
    chosen = {str(name).strip().upper() for name in names}
    if not chosen or not chosen <= set(ANGLES):
        raise ValueError(f"kdef: angles must be some of {KNOWN_ANGLES}; got {angles!r}")
    return tuple(code for code in ANGLES if code in chosen)


@register_dataset(
    "kdef",
    summary="KDEF: 70 posed subjects, 7 classes, frontal by default (face-cropped); "
            "subject k-fold",
    details={"obtain": "https://kdef.se/ (accept the terms of use to download "
                       "KDEF_and_AKDEF)",
             "licence": "non-commercial research use under the KDEF terms; no "
                        "redistribution; only the identities the terms name may be shown"},
)
class Kdef(SubjectFoldDataset):
    """KDEF pictures of the chosen angles, face-cropped, subject-independent k-fold."""

    name = "kdef"
    layouts = {"folders": ["KDEF/"]}

    def __init__(self, angles: str | Sequence[str] = "S", crop: str = "detect",
                 kfold: int = 10):
        if crop not in CROPS:
            raise ValueError(f"kdef: crop must be one of {', '.join(CROPS)}, got {crop!r}")
        super().__init__(kfold)
        self.angles, self.crop = parse_angles(angles), crop

    def check(self, folder: Path, variant: str) -> None:
        crops.check_detector(self.crop)

    def settings(self, variant: str) -> dict[str, Any]:
        return {"angles": list(self.angles), "crop": self.crop}

    def decode(self, folder: Path, variant: str) -> Samples:
        return decode(folder, self.name, self.angles, self.crop)


def decode(folder: Path, dataset: str, angles: Sequence[str], crop: str) -> Samples:
    """The pictures of ``angles`` under ``KDEF/<folder>/``, prepared by ``crop``."""
    samples = SampleList(dataset, crops.SHAPE)
    problems, root = samples.problems, folder / "KDEF"
    for path in list_files(root):
        problems.add(path, "file outside the picture folders (KDEF/AF01/, KDEF/BM35/, …)")
    pictures: list[tuple[Path, int, str]] = []
    for subfolder in sorted(p for p in root.iterdir() if p.is_dir() and p.name[0] != "."):
        files = list_files(subfolder)
        if not FOLDER_NAME.fullmatch(subfolder.name):
            problems.add(subfolder, "unknown folder; expected <session A/B><gender F/M>"
                                    "<2-digit subject>, e.g. AF01", samples=len(files))
            continue
        for path in files:
            match = PICTURE_NAME.fullmatch(path.name)
            if match is None:
                problems.add(path, "not a KDEF picture name; expected <session><gender>"
                                   "<subject><expression><angle>.JPG, e.g. AF01ANS.JPG")
                continue
            person, code, angle = (group.upper() for group in match.groups())
            if person != subfolder.name:
                problems.add(path, f"named for {person} but lies in folder {subfolder.name}/")
            elif code not in CODES.codes:
                problems.add(path, unknown_code(CODES.codes, code))
            elif angle not in ANGLES:
                problems.add(path, f"unknown angle {angle!r}; known angles: {KNOWN_ANGLES}")
            elif angle in angles:
                pictures.append((path, CODES.codes[code], person[1:]))
    faces = crops.prepare_faces([path for path, _, _ in pictures], crop,
                                f"{dataset}: {crop} faces")
    for (path, label, subject), face in zip(pictures, faces):
        if isinstance(face, str):
            problems.add(path, face)
        else:
            samples.add(face, label, subject, str(path.relative_to(folder)), "train")
    return samples.build({"angles": list(angles), "crop": crops.describe(crop)})
