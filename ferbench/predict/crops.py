"""Face crops of any size and colour brought to the form a saved model's training faces had,
so that predict prepares a photo's face as the runner prepared the training set's."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from ferbench import features
from ferbench.core.faceset import FaceSet
from ferbench.core.method import InputSpec
from ferbench.data.samples import resized


def face_set(images: Sequence[np.ndarray] | np.ndarray, spec: InputSpec,
             face_shape: Sequence[int] | None = None) -> FaceSet:
    """Face crops of any size and colour as one FaceSet in the method's size and colour.

    ``face_shape`` is the shape of the training dataset's faces (manifest ``training``):
    each crop is first brought to it — colour, then bilinear resize, as a dataset decoder
    does — and then through :func:`ferbench.features.view`, the runner's own conversion. A
    crop that a dataset with ``crop = "detect"`` would have stored is then prepared bit for
    bit as that dataset's faces were. Without it (models saved before ferbench recorded it)
    each crop goes straight to the method's size and colour.
    """
    if spec.size is None:
        raise ValueError("the model's input view has no fixed size; pass same-size images")
    if face_shape is not None:
        faces = _as_training_faces(images, tuple(face_shape))
        return features.view(faces, spec)
    height, width = spec.size
    rgb = spec.color == "rgb"
    converted = []
    for index, image in enumerate(images):
        picture = _picture(image, index).convert("RGB" if rgb else "L")
        picture = picture.resize((width, height), Image.Resampling.BILINEAR)
        converted.append(np.asarray(picture))
    return _stacked(converted)


def _picture(image: np.ndarray, index: int) -> Image.Image:
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim not in (2, 3) or (
            array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise ValueError(f"face {index}: expected a uint8 (H, W) or (H, W, 3|4) image, "
                         f"got {array.dtype} {array.shape}")
    return Image.fromarray(array.squeeze(-1) if array.ndim == 3 and array.shape[2] == 1
                           else array)


def _as_training_faces(images: Sequence[np.ndarray] | np.ndarray,
                       face_shape: tuple[int, ...]) -> FaceSet:
    """Crops as the training dataset stored its faces (:meth:`FaceSet.stored_as`, as a
    cross cell brings another dataset's faces)."""
    height, width = face_shape[:2]
    converted = [resized(np.asarray(_picture(image, index).convert("RGB")), height, width)
                 for index, image in enumerate(images)]
    return _stacked(converted).stored_as(face_shape)


def _stacked(converted: list[np.ndarray]) -> FaceSet:
    if not converted:
        raise ValueError("no face images given")
    stacked = np.stack(converted)
    return FaceSet(stacked, np.zeros(len(stacked), dtype=np.int64), dataset="faces",
                   split="predict")
