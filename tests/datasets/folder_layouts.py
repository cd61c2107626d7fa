"""Writers of the layouts that carry labels in folder or file names: FER2013's and SFEW's
class folders, CK+ (sequences with their Emotion files, or Kaggle's CK+48), JAFFE and KDEF.

Everything is generated under a test's ``tmp_path``; nothing is copied from the real data.
Images are a few dozen pixels so that a whole dataset decodes in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from tests.datasets.images import write_image

FER2013_FOLDERS = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")
SFEW_CLASSES = ("Angry", "Disgust", "Fear", "Happy", "Neutral", "Sad", "Surprise")
JAFFE_CODES = ("AN", "DI", "FE", "HA", "NE", "SA", "SU")


def write_fer2013_folders(root: Path, train: int = 3, test: int = 2) -> Path:
    """``fer2013/{train,test}/<class>/`` with ``train``/``test`` 48x48 JPEGs per class."""
    folder = root / "fer2013"
    for part, count in (("train", train), ("test", test)):
        for k, name in enumerate(FER2013_FOLDERS):
            for i in range(count):
                write_image(folder / part / name / f"{part}_{name}_{i}.jpg", (48, 48), 100 * k + i)
    return folder


def write_ckplus_sequence(root: Path, subject: str, sequence: str, frames: int,
                          code: str | None, frame_image: np.ndarray | None = None) -> Path:
    """One CK+ sequence: ``frames`` PNGs, and an Emotion file on the last one when ``code``."""
    folder = root / "ckplus"
    images = folder / "cohn-kanade-images" / subject / sequence
    images.mkdir(parents=True, exist_ok=True)
    for i in range(1, frames + 1):
        name = f"{subject}_{sequence}_{i:08d}.png"
        if frame_image is None:
            write_image(images / name, (120, 160), seed=i)
        else:
            Image.fromarray(frame_image).save(images / name)
    if code is not None:
        emotion = folder / "Emotion" / subject / sequence
        emotion.mkdir(parents=True, exist_ok=True)
        (emotion / f"{subject}_{sequence}_{frames:08d}_emotion.txt").write_text(f"   {code}\n")
    return folder


def write_ck48(root: Path, files: dict[str, list[str]]) -> Path:
    """``ckplus/CK+48/<class>/<name>`` 48x48 gray PNGs."""
    folder = root / "ckplus" / "CK+48"
    paths = [folder / label / name for label, names in files.items() for name in names]
    for seed, path in enumerate(paths):
        write_image(path, (48, 48), seed)
    return folder


def write_sfew(root: Path, per_class: dict[str, int],
               shape: tuple[int, ...] = (36, 30, 3)) -> Path:
    """``sfew/{Train,Val}/<Class>/*.png``: ``per_class[part]`` faces in each of the 7 classes."""
    folder = root / "sfew"
    for offset, (part, count) in enumerate(per_class.items()):
        for k, name in enumerate(SFEW_CLASSES):
            for i in range(count):
                write_image(folder / part / name / f"Movie_{k:03d}{i:05d}_00000001.png", shape,
                            seed=1000 * offset + 10 * k + i)
    return folder


def jaffe_names(subjects: list[str], per_code: int = 1) -> list[str]:
    """JAFFE file names: each subject posing each expression ``per_code`` times."""
    names, index = [], 1
    for subject in subjects:
        for code in JAFFE_CODES:
            for take in range(1, per_code + 1):
                names.append(f"{subject}.{code}{take}.{index}.tiff")
                index += 1
    return names


def write_jaffe(root: Path, names: list[str], shape: tuple[int, ...] = (256, 256),
                inside: str = "jaffedbase") -> Path:
    """``jaffe/jaffedbase/<name>`` gray TIFFs, as the download unpacks (``inside = "."``:
    moved up into ``jaffe/``)."""
    folder = root / "jaffe" / inside
    for seed, name in enumerate(names):
        write_image(folder / name, shape, seed=seed, fmt="TIFF")
    return folder


def kdef_names(subjects: list[str], sessions: str = "AB", angles: tuple[str, ...] = ("S",),
               codes: tuple[str, ...] = ("AF", "AN", "DI", "HA", "NE", "SA", "SU")) -> list[str]:
    """KDEF picture names ``<session><gender><number><expression><angle>.JPG``."""
    return [f"{session}{subject}{code}{angle}.JPG" for subject in subjects
            for session in sessions for code in codes for angle in angles]


def write_kdef(root: Path, names: list[str], shape: tuple[int, ...] = (19, 14, 3)) -> Path:
    """``kdef/KDEF/<first 4 letters>/<name>`` JPEGs, one folder per session and subject."""
    folder = root / "kdef" / "KDEF"
    for seed, name in enumerate(names):
        write_image(folder / name[:4] / name, shape, seed=seed, fmt="JPEG")
    return folder
