"""What a face is classified on: a face crop meets a model trained on aligned faces both
aligned and whole, and its probabilities are their mean; any other face, its crop alone."""

import numpy as np
import pandas as pd

from ferbench.data.faces.photos import DetectedFace
from ferbench.predict.views import face_views, is_face_crop, view_scores


class BySize:
    """A stand-in model that sees only a face's side: 100 px and above "happiness" (0.8),
    smaller "sadness" (0.6), so each view's share in a mean is known exactly."""

    classes = ["happiness", "sadness"]

    def __init__(self) -> None:
        self.calls = []

    def predict_faces(self, crops):
        self.calls.append(len(crops))
        large = np.array([crop.shape[0] >= 100 for crop in crops])
        frame = pd.DataFrame({"happiness": np.where(large, 0.8, 0.4)})
        frame["sadness"] = 1 - frame["happiness"]
        frame.insert(0, "label", np.where(large, "happiness", "sadness"))
        return frame


def face(box, side=60, found="detector"):
    return DetectedFace(box=box, landmarks=None, crop=np.zeros((side, side, 3), np.uint8),
                        found=found)


def test_a_face_crop_is_classified_aligned_and_whole_for_an_aligned_model():
    photo = np.zeros((120, 120, 3), np.uint8)
    crop = face((10, 10, 110, 110))
    assert is_face_crop(photo, [crop])
    views = face_views(photo, [crop], aligned=True)
    assert len(views) == 1 and views[0][0] is crop.crop and views[0][1] is photo
    model = BySize()
    scores = view_scores(model, views)
    assert np.allclose(scores[["happiness", "sadness"]].to_numpy(), [[0.6, 0.4]])
    assert scores["label"].tolist() == ["happiness"] and model.calls == [2]


def test_a_face_in_a_scene_or_a_model_on_published_faces_gets_its_crop_alone():
    scene = np.zeros((350, 350, 3), np.uint8)
    small, second = face((100, 100, 160, 160)), face((200, 200, 260, 260))
    assert not is_face_crop(scene, [small])
    assert [len(v) for v in face_views(scene, [small, second], aligned=True)] == [1, 1]
    crop_photo = np.zeros((70, 70, 3), np.uint8)
    crop = face((0, 0, 70, 70))
    assert face_views(crop_photo, [crop], aligned=False) == [[crop.crop]]
    whole = face((0, 0, 70, 70), found="whole image")
    assert not is_face_crop(crop_photo, [whole])
    assert not is_face_crop(crop_photo, [crop, crop])


def test_view_scores_keep_each_face_its_own_mean_in_order():
    photo = np.zeros((120, 120, 3), np.uint8)
    views = [[np.zeros((60, 60, 3), np.uint8)], [np.zeros((60, 60, 3), np.uint8), photo],
             [photo]]
    scores = view_scores(BySize(), views)
    assert np.allclose(scores["happiness"], [0.4, 0.6, 0.8])
    assert scores["label"].tolist() == ["sadness", "happiness", "happiness"]
