"""What a face is classified on: a face crop is offered to a model trained on aligned faces
aligned and whole; a network averages the two, a classical method takes the aligned crop,
and an ensemble lets each member choose."""

import numpy as np
import pandas as pd
import pytest

from ferbench.core.method import InputSpec, Method
from ferbench.data.faces.photos import DetectedFace, read_photo
from ferbench.predict.choice import Ensemble
from ferbench.predict.prediction import photo_faces, predict_frame
from ferbench.predict.saved import SavedModel
from ferbench.predict.views import face_views, is_face_crop, view_scores

CLASSES = ["happiness", "sadness"]


class Brightness(Method):
    """Sees only how bright a face is: P(happiness) is its mean level over 255, so each
    view's share in a mean is known exactly."""

    name = "brightness"
    input_spec = InputSpec(size=(48, 48), color="gray")

    def __init__(self, family: str):
        super().__init__()
        self.family = family
        self.classes_ = np.array([3, 4])

    def fit(self, train, val=None):
        return self

    def predict_proba(self, faces):
        happy = faces.images.reshape(len(faces), -1).mean(axis=1) / 255
        return np.stack([happy, 1 - happy], axis=1)


def saved(family: str) -> SavedModel:
    manifest = {"method": family, "classes": CLASSES,
                "training": {"face_shape": [48, 48], "faces": "aligned"}}
    return SavedModel(Brightness(family), manifest, None)


def face(box, level=102, side=60, found="detector"):
    return DetectedFace(box=box, landmarks=None, found=found,
                        crop=np.full((side, side, 3), level, np.uint8))


def test_a_face_crop_is_offered_aligned_and_whole_to_a_model_on_aligned_faces():
    photo = np.full((120, 120, 3), 204, np.uint8)
    crop = face((10, 10, 110, 110))
    assert is_face_crop(photo, [crop])
    views = face_views(photo, [crop], aligned=True)
    assert len(views) == 1 and views[0][0] is crop.crop and views[0][1] is photo
    assert face_views(photo, [crop], aligned=False) == [[crop.crop]]


def test_a_network_averages_the_views_and_a_classical_method_takes_the_aligned_crop():
    photo = np.full((120, 120, 3), 204, np.uint8)
    views = face_views(photo, [face((10, 10, 110, 110))], aligned=True)
    network = view_scores(saved("deep"), views)
    assert np.allclose(network[CLASSES].to_numpy(), [[0.6, 0.4]])
    assert network["label"].tolist() == ["happiness"]
    classical = view_scores(saved("classical"), views)
    assert np.allclose(classical[CLASSES].to_numpy(), [[0.4, 0.6]])
    assert classical["label"].tolist() == ["sadness"]
    blend = view_scores(Ensemble([saved("deep"), saved("classical")]), views)
    assert np.allclose(blend[CLASSES].to_numpy(), [[0.5, 0.5]])


def test_a_face_in_a_scene_gets_its_crop_alone_and_faces_keep_their_order():
    scene = np.full((350, 350, 3), 204, np.uint8)
    small, second = face((100, 100, 160, 160)), face((200, 200, 260, 260), level=153)
    assert not is_face_crop(scene, [small])
    views = face_views(scene, [small, second], aligned=True)
    assert [len(v) for v in views] == [1, 1]
    assert np.allclose(view_scores(saved("deep"), views)["happiness"], [0.4, 0.6])
    crop_photo = np.zeros((70, 70, 3), np.uint8)
    whole = face((0, 0, 70, 70), found="whole image")
    assert not is_face_crop(crop_photo, [whole])
    assert not is_face_crop(crop_photo, [face((0, 0, 70, 70))] * 2)


def test_a_stand_in_with_only_predict_faces_classifies_each_first_view():
    class Stand:
        classes = CLASSES

        def predict_faces(self, crops):
            frame = pd.DataFrame({"happiness": [c.mean() / 255 for c in crops]})
            frame["sadness"] = 1 - frame["happiness"]
            frame.insert(0, "label", "happiness")
            return frame

    photo = np.full((120, 120, 3), 204, np.uint8)
    views = face_views(photo, [face((10, 10, 110, 110))], aligned=True)
    assert np.allclose(view_scores(Stand(), views)["happiness"], [0.4])


def test_predict_averages_a_real_face_crop_for_a_network_and_not_for_a_classical_method(
        shared_data):
    """Through `predict_frame`: a CK+48 crop's row is the network's mean over its aligned crop
    and the file itself, and the classical method's score of the aligned crop."""
    pytest.importorskip("dlib", reason="face detection needs dlib-bin")
    file = sorted((shared_data / "ckplus48" / "CK+48" / "surprise").glob("*.png"))[0]
    photo = read_photo(file)
    [found] = photo_faces(photo, "detect", aligned=True)
    for family, views in (("deep", [found.crop, photo]), ("classical", [found.crop])):
        model = saved(family)
        expected = model.predict_faces(views)[CLASSES].to_numpy().mean(axis=0)
        row = predict_frame(model, [file])
        assert row["found"].tolist() == [found.found]
        assert np.allclose(row[CLASSES].to_numpy()[0], expected)
