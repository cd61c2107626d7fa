"""MTCNN, predict's last retry: it finds real faces that fill or nearly fill the frame, none
in backgrounds, and says clearly when the package carrying its weights is missing."""

import numpy as np
import pytest
from PIL import Image

from ferbench.data.faces import mtcnn
from ferbench.data.faces.photos import RETRIES, _retried, read_photo


def test_pooling_and_suppression_follow_the_networks_conventions():
    x = np.arange(2 * 5 * 5 * 1, dtype=np.float32).reshape(2, 5, 5, 1)
    assert mtcnn._max_pool(x, 2, 2, same=True).shape == (2, 3, 3, 1)
    assert mtcnn._max_pool(x, 3, 2, same=False).shape == (2, 2, 2, 1)
    assert mtcnn._max_pool(x, 2, 2, same=True)[0, 2, 2, 0] == x[0, 4, 4, 0]
    boxes = np.array([[0, 0, 10, 10, 0.9], [1, 1, 11, 11, 0.8], [50, 50, 60, 60, 0.7]])
    assert mtcnn._nms(boxes, 0.5).tolist() == [0, 2]
    inner = np.array([[0, 0, 20, 20, 0.6], [5, 5, 10, 10, 0.9]])
    assert mtcnn._nms(inner, 0.5).tolist() == [1, 0]
    assert mtcnn._nms(inner, 0.5, by_min=True).tolist() == [1]


def test_finds_real_faces_and_none_in_backgrounds(shared_data):
    files = sorted((shared_data / "rafdb-kaggle").rglob("*.jpg"))[:12]
    found = 0
    for file in files:
        photo = np.asarray(Image.fromarray(read_photo(file)).resize((200, 200)))
        boxes = mtcnn.detect(np.pad(photo, ((60, 60), (60, 60), (0, 0)), constant_values=128))
        if len(boxes):
            found += 1
            x1, y1, x2, y2, probability = boxes[0]
            assert 0.5 <= probability <= 1 and 20 < x2 - x1 < 320 and 20 < y2 - y1 < 320
            assert 0 < (x1 + x2) / 2 < 320 and 0 < (y1 + y2) / 2 < 320
    assert found >= 9
    rng = np.random.default_rng(0)
    for side in (120, 240):
        noise = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
        assert mtcnn.detect(noise).shape == (0, 5)
    assert mtcnn.detect(np.full((150, 150, 3), 128, np.uint8)).shape == (0, 5)


def test_a_face_mtcnn_finds_is_a_retry_with_landmarks(shared_data):
    photo = read_photo(sorted((shared_data / "rafdb-kaggle").rglob("*.jpg"))[0])
    faces = _retried(np.asarray(Image.fromarray(photo).resize((180, 180))), RETRIES[-1:])
    assert RETRIES[-1].detector == "mtcnn"
    assert faces and faces[0].found == "retry" and faces[0].landmarks.shape == (68, 2)


def test_missing_weights_package_is_named_with_the_fix(monkeypatch):
    def absent(name):
        raise mtcnn.PackageNotFoundError(name)

    monkeypatch.setattr(mtcnn, "distribution", absent)
    mtcnn._weights.cache_clear()
    with pytest.raises(mtcnn.MTCNNWeightsNotFound, match=r"mtcnn package .*pip install"):
        mtcnn.detect(np.zeros((60, 60, 3), np.uint8) + 90)
    mtcnn._weights.cache_clear()
