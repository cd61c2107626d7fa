"""JAFFE (Lyons et al., 1998): 213 posed 256x256 gray images of 10 Japanese women, 7 classes.

Layout under ``<data root>/jaffe/`` (datasets/README.md): the release's ``.tiff`` files,
named ``<subject>.<expression><take>.<index>.tiff`` (``KA.AN1.39.tiff``: subject KA, anger),
either as the download unpacks them (``jaffe/jaffedbase/``) or directly in ``jaffe/``.
Other files there (a README) are ignored. The whole images are used, without a face crop.

Codes: AN anger, DI disgust, FE fear, HA happiness, NE neutral, SA sadness, SU surprise.
JAFFE has no official split: everything is ``train`` with subject ids (``KA``) and the
protocol runs subject-independent ``kfold`` (default 10: one subject per fold), as for CK+;
as a cross-dataset target all of it is test. Sample ids are the file names.
"""

from __future__ import annotations

import re
from pathlib import Path

from ferbench import DataContext, DatasetNotFound, LabelMap, register_dataset
from ferbench.data import SampleList, Samples, SubjectFoldDataset, list_files, unknown_code

CODES = LabelMap("jaffe", {"AN": "angry", "DI": "disgusted", "FE": "fear", "HA": "happy",
                           "NE": "neutral", "SA": "sad", "SU": "surprised"})
SIZE = 256
VARIANTS = {"jaffedbase": "jaffedbase", "tiff": "."}
"""Layout variant → folder of the TIFFs under ``jaffe/``."""
FILE_NAME = re.compile(r"([A-Z]{2})\.([A-Z]{2})\d+\.\d+\.tiff?", re.IGNORECASE)


def tiff_files(folder: Path) -> list[Path]:
    """The TIFF images of ``folder``: JAFFE's files, whatever else lies beside them."""
    return [path for path in list_files(folder) if path.suffix.lower() in (".tif", ".tiff")]


@register_dataset(
    "jaffe",
    summary="JAFFE: 213 posed gray 256x256 images of 10 women, 7 classes; subject k-fold",
    details={"obtain": "https://zenodo.org/record/3451524 (request access; non-commercial "
                       "scientific research)",
             "licence": "non-commercial scientific research only under the JAFFE terms; no "
                        "redistribution; only the images the terms allow may be published"},
)
class Jaffe(SubjectFoldDataset):
    """JAFFE's whole images, subject-independent k-fold."""

    name = "jaffe"

    def __init__(self, kfold: int = 10):
        super().__init__(kfold)

    def locate(self, ctx: DataContext) -> str:
        """The first variant whose folder holds TIFF images (file names vary too much for a
        fixed layout)."""
        root = ctx.data_root / self.name
        for variant, folder in VARIANTS.items():
            if (root / folder).is_dir() and tiff_files(root / folder):
                return variant
        raise DatasetNotFound(
            self.name, ctx.data_root,
            expected=f"{root}/jaffedbase/*.tiff (as the download unpacks) or {root}/*.tiff: "
                     "JAFFE's 213 images named like KA.AN1.39.tiff")

    def folder(self, ctx: DataContext, variant: str) -> Path:
        return ctx.data_root / self.name / VARIANTS[variant]

    def sources(self, folder: Path, variant: str) -> list[Path]:
        return [folder]

    def decode(self, folder: Path, variant: str) -> Samples:
        """Every JAFFE image with its subject and expression read from its file name."""
        samples = SampleList(self.name, (SIZE, SIZE))
        for path in tiff_files(folder):
            match = FILE_NAME.fullmatch(path.name)
            if match is None:
                samples.problems.add(path, "file name does not carry subject and expression; "
                                           "expected <subject>.<code><take>.<index>.tiff")
                continue
            subject, code = match.group(1).upper(), match.group(2).upper()
            if code not in CODES.codes:
                samples.problems.add(path, unknown_code(CODES.codes, code))
                continue
            samples.read(path, path.name, CODES.codes[code], "train", subject=subject)
        return samples.build({"crop": f"whole {SIZE}x{SIZE} gray images as published, no "
                                      "face crop"})
