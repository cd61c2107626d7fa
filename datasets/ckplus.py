"""CK+ (Lucey et al., 2010): posed expression sequences of 123 subjects, 327 labelled.

Layouts under ``<data root>/ckplus/`` (datasets/README.md):

* ``original``: ``cohn-kanade-images/S005/001/S005_001_00000011.png`` frames with
  ``Emotion/S005/001/S005_001_00000011_emotion.txt`` labels (a float code, 0 neutral,
  1 anger, 2 contempt, 3 disgust, 4 fear, 5 happy, 6 sadness, 7 surprise) on the peak frame.
  The standard protocol takes the last 3 frames of each labelled sequence (up to the peak),
  plus its first frame as neutral with ``neutral_first=True``. Faces are cropped by the
  ``detector`` (``haar``, ``dlib``, or ``auto``: Haar if this OpenCV has it, else dlib; a
  frame without a face gets its central square, counted as ``centre_crops``), converted to
  gray and resized to ``size`` x ``size``.
* ``ck+48``: Kaggle's ``CK+48/<class>/S010_004_00000017.png``, already 48x48 gray crops of
  the last 3 frames (``size`` does not apply).

CK+ has no official split: everything is ``train`` with subject ids (``S005``) and the
protocol runs subject-independent ``kfold``; as a cross-dataset target all of it is test.
Sample ids are paths relative to ``ckplus/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ferbench import LabelMap, emotion_index, register_dataset
from ferbench.data import (
    DETECTORS,
    ClassFolderLayout,
    FaceCropper,
    ImageProblem,
    Problems,
    SampleList,
    Samples,
    SubjectFoldDataset,
    list_files,
    read_image,
    resolve_detector,
    unknown_code,
)

CODES = LabelMap("ckplus", {0: "neutral", 1: "anger", 2: "contempt", 3: "disgust", 4: "fear",
                            5: "happiness", 6: "sadness", 7: "surprise"})
CK48_CLASSES = {name: emotion_index(name) for name in
                ("anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise")}
CK48 = ClassFolderLayout({"CK+48": "train"}, CK48_CLASSES, (48, 48),
                         subject=re.compile(r"(S\d+)_(\d+)_(\d+)\.png"),
                         file_name="S<subject>_<sequence>_<frame>.png", facts={"size": 48})
"""Kaggle's ``CK+48/<class>/S<subject>_<sequence>_<frame>.png`` crops."""
PEAK_FRAMES = 3


@register_dataset(
    "ckplus",
    summary="CK+: posed expression sequences, 123 subjects, 8 classes; subject k-fold",
    details={"obtain": "https://www.jeffcohn.net/Resources/ (request access; non-commercial "
                       "research use) or Kaggle's CK+48 re-packaging"},
)
class CkPlus(SubjectFoldDataset):
    """CK+ peak frames, original sequences (face-cropped) or Kaggle's CK+48 crops."""

    name = "ckplus"
    layouts = {"original": ["cohn-kanade-images/", "Emotion/"], "ck+48": CK48.paths}

    def __init__(self, size: int = 96, detector: str = "auto", neutral_first: bool = False,
                 kfold: int = 10):
        if not isinstance(size, int) or size < 8:
            raise ValueError(f"ckplus: size must be an integer >= 8 pixels, got {size!r}")
        if detector not in DETECTORS:
            raise ValueError(f"ckplus: detector must be one of {', '.join(DETECTORS)}, "
                             f"got {detector!r}")
        super().__init__(kfold)
        self.size, self.detector, self.neutral_first = size, detector, neutral_first

    def check(self, folder: Path, variant: str) -> None:
        if variant == "ck+48" and self.neutral_first:
            raise ValueError("ckplus: neutral_first needs the original layout "
                             f"(cohn-kanade-images/ + Emotion/); {folder} holds CK+48")

    def settings(self, variant: str) -> dict[str, Any]:
        if variant == "ck+48":
            return {}
        return {"size": self.size, "detector": resolve_detector(self.detector),
                "neutral_first": self.neutral_first}

    def decode(self, folder: Path, variant: str) -> Samples:
        if variant == "ck+48":
            return CK48.decode(folder, self.name)
        return decode_original(folder, self.name, **self.settings(variant))


def decode_original(folder: Path, dataset: str, size: int, detector: str,
                    neutral_first: bool) -> Samples:
    """The last frames of every labelled sequence, face-cropped to ``size`` x ``size``."""
    cropper = FaceCropper(detector, size)
    samples = SampleList(dataset, (size, size))
    problems = samples.problems
    label_files = sorted(path for path in (folder / "Emotion").glob("S*/*/*_emotion.txt")
                         if not path.name.startswith("."))
    for label_file in label_files:
        code = _read_code(label_file, problems)
        if code is None:
            continue
        subject, sequence = label_file.parent.parent.name, label_file.parent.name
        frames_folder = folder / "cohn-kanade-images" / subject / sequence
        peak = frames_folder / label_file.name.replace("_emotion.txt", ".png")
        frames = ([path for path in list_files(frames_folder) if path.suffix == ".png"]
                  if frames_folder.is_dir() else [])
        if peak not in frames:
            problems.add(label_file, f"label without its image: {peak} not found")
            continue
        end = frames.index(peak) + 1
        chosen = [(frame, CODES.codes[code]) for frame in frames[max(0, end - PEAK_FRAMES): end]]
        if neutral_first and end > PEAK_FRAMES:
            chosen.append((frames[0], emotion_index("neutral")))
        for frame, label in chosen:
            try:
                gray = read_image(frame, "L")
            except ImageProblem as error:
                problems.add(frame, str(error))
                continue
            samples.add(cropper.crop(gray), label, subject, str(frame.relative_to(folder)),
                        "train")
    frames_taken = f"last {PEAK_FRAMES} of each labelled sequence"
    return samples.build({
        "frames": frames_taken + (" + its first as neutral" if neutral_first else ""),
        "detector": cropper.description,
        "centre_crops": cropper.centre_crops,
        "size": size,
    })


def _read_code(label_file: Path, problems: Problems) -> int | None:
    """The emotion code of a CK+ label file (e.g. ``   3.0000000e+00``), or None if bad."""
    text = label_file.read_text(encoding="utf-8", errors="replace").strip()
    try:
        value = float(text)
    except ValueError:
        problems.add(f"{label_file} line 1", f"expected a numeric emotion code, found {text!r}")
        return None
    if not value.is_integer() or int(value) not in CODES.codes:
        problems.add(f"{label_file} line 1", unknown_code(CODES.codes, text))
        return None
    return int(value)
