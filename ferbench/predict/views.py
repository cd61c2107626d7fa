"""The images each face of a photo is classified on, and one score per face from them.

A face is classified on its crop. A face crop (a photo whose only face covers
:data:`FACE_CROP_SHARE` of it) given to a model trained on aligned faces is classified twice,
on its aligned crop and on the whole photo framed as its author framed it, and its class
probabilities are the mean of the two: on class-balanced face crops and portraits from faces
no model saw, the mean scored above either framing alone (docs/decisions.md, "A face crop
classified aligned and whole").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ferbench.data.faces.photos import DetectedFace

FACE_CROP_SHARE = 0.4
"""A photo whose only face's box covers at least this share of it is already a face crop,
and a model trained on faces as published classifies it whole, framed as its author framed
it, as the face-crop datasets (FER2013, CK+48, RAF-DB aligned) were in its training; aligning
such crops anew loses accuracy against the run's own score
(``benchmarks/predict_agreement.py``). A model trained on aligned faces (``ferbench run
--faces aligned``) gets the aligned crop, as its training faces were, and the whole photo
beside it (:func:`face_views`). The share is above 0.4 on nearly all of those datasets' test
crops, and below it for faces in 350x350 scenes made of them."""


def box_share(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> float:
    """The share of an image of ``shape`` that ``box`` (left, top, right, bottom) covers."""
    height, width = shape[:2]
    left, top, right, bottom = box
    inside = max(0, min(right, width) - max(left, 0)) * max(0, min(bottom, height) - max(top, 0))
    return inside / (width * height)


def is_face_crop(photo: np.ndarray, faces: list[DetectedFace]) -> bool:
    """Whether ``photo`` is a face crop: one face, detected, covering
    :data:`FACE_CROP_SHARE` of it."""
    return (len(faces) == 1 and faces[0].found != "whole image"
            and box_share(faces[0].box, photo.shape) >= FACE_CROP_SHARE)


def face_views(photo: np.ndarray, faces: list[DetectedFace], aligned: bool
               ) -> list[list[np.ndarray]]:
    """The images each of ``faces`` is classified on: its crop, and for a model trained on
    ``aligned`` faces of a face crop (:func:`is_face_crop`) also the whole photo."""
    if aligned and is_face_crop(photo, faces):
        return [[faces[0].crop, photo]]
    return [[face.crop] for face in faces]


def view_scores(model: Any, views: list[list[np.ndarray]]) -> pd.DataFrame:
    """One row per face: a ``label`` column and one probability column per class of
    ``model`` (a :class:`~ferbench.predict.saved.SavedModel` or an ensemble), the mean of its
    views' probabilities, all views classified in one call."""
    scores = model.predict_faces([view for face in views for view in face])
    proba = scores[model.classes].to_numpy(dtype=np.float64)
    owner = np.repeat(np.arange(len(views)), [len(face) for face in views])
    counts = np.bincount(owner, minlength=len(views))[:, None]
    mean = np.zeros((len(views), proba.shape[1]))
    np.add.at(mean, owner, proba)
    mean /= counts
    frame = pd.DataFrame(mean, columns=model.classes)
    frame.insert(0, "label", [model.classes[i] for i in np.argmax(mean, axis=1)])
    return frame
