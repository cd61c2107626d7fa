"""Decoding, caching and validation helpers the dataset plugins share, and their bases.

A plugin finds its layout (:func:`find_layout`), decodes files into :class:`Samples` while
recording every malformed sample in :class:`Problems`, lets :func:`load_cached` keep the
decoded arrays on disk, and turns them into splits with :func:`to_splits`, which applies the
one problem policy (raise, or skip and record with ``ctx.skip_bad``). The bases of
:mod:`ferbench.data.published` do these steps for a dataset read as published
(:class:`PublishedDataset`), so that its plugin says only what is particular to it.
"""

from ferbench.data.cache import load_cached, source_fingerprint
from ferbench.data.faces import crops
from ferbench.data.faces.detect import DETECTORS, FaceCropper, resolve_detector
from ferbench.data.fer2013csv import FER2013_CODES, Fer2013Rows, read_fer2013_csv
from ferbench.data.images import (
    ImageProblem,
    class_folders,
    image_key,
    list_files,
    outside_message,
    read_image,
)
from ferbench.data.layout import describe, exists, find_layout, read_utf8
from ferbench.data.problems import Problems, unknown_code
from ferbench.data.published import (
    BoxedFacesDataset,
    ClassFolderLayout,
    ListedFace,
    PublishedDataset,
    SubjectFoldDataset,
    ValFromTrainDataset,
    check_fraction,
)
from ferbench.data.samples import SampleList, Samples
from ferbench.data.splits import grouped_holdout, stratified_holdout, to_splits

__all__ = [
    "DETECTORS",
    "FER2013_CODES",
    "BoxedFacesDataset",
    "ClassFolderLayout",
    "FaceCropper",
    "Fer2013Rows",
    "ImageProblem",
    "ListedFace",
    "Problems",
    "PublishedDataset",
    "SampleList",
    "Samples",
    "SubjectFoldDataset",
    "ValFromTrainDataset",
    "check_fraction",
    "class_folders",
    "crops",
    "describe",
    "exists",
    "find_layout",
    "grouped_holdout",
    "image_key",
    "list_files",
    "load_cached",
    "outside_message",
    "read_fer2013_csv",
    "read_image",
    "read_utf8",
    "resolve_detector",
    "source_fingerprint",
    "stratified_holdout",
    "to_splits",
    "unknown_code",
]
