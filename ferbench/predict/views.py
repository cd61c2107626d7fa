"""The images each face of a photo is classified on, and one score per face from them.

A face is classified on its crop. A face crop (a photo whose only face covers
:data:`FACE_CROP_SHARE` of it) given to a model trained on aligned faces is offered twice, as
its aligned crop and as the whole photo framed as its author framed it. A network takes the
mean of its probabilities on both; a classical method, whose hand-crafted features change
with the framing, takes the aligned crop alone (docs/decisions.md, "A face crop classified
aligned and whole").
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
    """One row per face: a ``label`` column and one probability column per class.

    ``model.predict_views`` where it has one (:class:`~ferbench.predict.saved.SavedModel`
    and ensembles take the views they use); a stand-in with only ``predict_faces`` classifies
    each face's first view."""
    if hasattr(model, "predict_views"):
        return model.predict_views(views)
    return model.predict_faces([face[0] for face in views])


def mean_over_views(proba: np.ndarray, views: list[list[np.ndarray]]) -> np.ndarray:
    """Each face's mean of the rows of ``proba`` that are its views' (the views of all faces
    in order, as one list)."""
    owner = np.repeat(np.arange(len(views)), [len(face) for face in views])
    mean = np.zeros((len(views), proba.shape[1]))
    np.add.at(mean, owner, proba)
    return mean / np.bincount(owner, minlength=len(views))[:, None]


def scores_frame(proba: np.ndarray, classes: list[str]) -> pd.DataFrame:
    """Probabilities as predict's scores: a ``label`` column (the most probable class), then
    one column per class."""
    frame = pd.DataFrame(proba, columns=classes)
    frame.insert(0, "label", [classes[i] for i in np.argmax(proba, axis=1)])
    return frame
