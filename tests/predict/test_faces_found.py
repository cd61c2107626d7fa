"""Every face found: face crops the first try misses are found by a retry, blank images stay
faceless, and ``--faces whole`` classifies each image exactly as the benchmark did."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ferbench.cli import main
from ferbench.core.dataset import DataContext
from ferbench.core.labels import EMOTIONS
from ferbench.core.registry import DATASETS
from ferbench.data.faces.frame import align_face
from ferbench.data.faces.photos import RETRIES, find_faces, frame_faces, locate_faces, read_photo
from ferbench.data.samples import resized
from ferbench.predict.choice import choose_model
from ferbench.predict.prediction import photo_faces, predict_frame
from ferbench.predict.saved import SavedModel, load_model
from ferbench.predict.views import FACE_CROP_SHARE, box_share
from ferbench.results.store import ResultStore
from tests.conftest import TEST_PLUGINS

pytest.importorskip("dlib", reason="face detection needs the landmarks extra (dlib-bin)")


def test_tight_crops_the_first_try_misses_are_found_by_a_retry(shared_data):
    """RAF-DB's aligned 100x100 faces fill the frame: the frontal detector alone misses many."""
    files = sorted((shared_data / "rafdb-kaggle").rglob("*.jpg"))
    missed = [photo for photo in map(read_photo, files[:40]) if not find_faces(photo)][:8]
    assert len(missed) >= 4
    found = [locate_faces(photo) for photo in missed]
    assert sum(bool(faces) for faces in found) >= 6
    for photo, faces in zip(missed, found):
        for face in faces:
            left, top, right, bottom = face.box
            assert face.found == "retry" and face.crop.shape[2] == 3
            assert 0 <= left < right <= photo.shape[1] and 0 <= top < bottom <= photo.shape[0]


def test_less_certain_and_larger_retries_find_crops_the_first_retries_miss(shared_data):
    """The later retries (a lowered frontal threshold, the CNN detector at a larger scale)
    find faces in crops that both earlier retries miss."""
    files = sorted((shared_data / "rafdb-kaggle").rglob("*.jpg"))
    missed = [photo for photo in map(read_photo, files) if not locate_faces(photo, RETRIES[:2])]
    assert missed
    found = [faces for faces in map(locate_faces, missed) if faces]
    assert found and all(face.found == "retry" for faces in found for face in faces)


def test_a_face_found_at_the_first_try_is_the_one_datasets_prepare(shared_data):
    """locate_faces changes nothing where find_faces (crop = "detect") finds a face."""
    for file in sorted((shared_data / "ckplus48" / "CK+48" / "happy").glob("*.png"))[:3]:
        photo = read_photo(file)
        first, located = find_faces(photo), locate_faces(photo)
        assert first and [f.box for f in first] == [f.box for f in located]
        assert all(f.found == "detector" for f in located)
        assert all(np.array_equal(a.crop, b.crop) for a, b in zip(first, located))


def test_retries_find_no_face_in_blank_or_background_images():
    rng = np.random.default_rng(0)
    shading = Image.fromarray(rng.integers(0, 256, (5, 5, 3), dtype=np.uint8))
    background = np.asarray(shading.resize((350, 350), Image.Resampling.BICUBIC))
    for photo in (np.full((48, 48, 3), 128, np.uint8), np.zeros((100, 80, 3), np.uint8),
                  background):
        assert locate_faces(photo) == []


def test_faces_whole_classifies_each_file_as_the_benchmark_scored_it(saved_run, toy_plugins,
                                                                   tmp_path):
    """toy-a's test faces written as files and predicted whole get the stored predictions:
    benchmark and use agree face for face (the faces are stripes: no detector finds them)."""
    test = DATASETS.create("toy-a").load(DataContext.default(data_root=tmp_path)).test
    folder = tmp_path / "faces"
    folder.mkdir()
    for index, image in enumerate(test.images):
        Image.fromarray(image).save(folder / f"{index:03d}.png")
    csv = tmp_path / "whole.csv"
    assert main(["predict", str(folder), "--run", str(saved_run), "--method", "svm",
                 "--train", "toy-a", "--faces", "whole", "--csv", str(csv),
                 "--plugins", str(TEST_PLUGINS)]) == 0
    frame = pd.read_csv(csv)
    record = next(r for r in ResultStore(saved_run).records()
                  if (r["method"], r["protocol"], r["train"]) == ("svm", "within", "toy-a"))
    assert (frame["found"] == "whole image").all() and len(frame) == len(test)
    assert frame[["left", "top", "right", "bottom"]].drop_duplicates().values.tolist() == \
        [[0, 0, 48, 48]]
    assert record["y_true"] == test.labels.tolist()
    assert frame["label"].tolist() == [EMOTIONS[label] for label in record["y_pred"]]


def test_a_photo_that_is_a_face_crop_is_classified_whole(saved_run, shared_data, tmp_path):
    """A 48x48 CK+ crop is found by the detector and classified as the file it is, as the
    benchmark scored CK+48's crops; a face in a scene is aligned."""
    crop = sorted((shared_data / "ckplus48" / "CK+48" / "surprise").glob("*.png"))[0]
    model = load_model(choose_model(saved_run, "svm", "toy-a").path)
    detected = predict_frame(model, [crop])
    whole = predict_frame(model, [crop], faces="whole")
    assert detected["found"].tolist() == ["detector"] and whole["found"].tolist() == ["whole image"]
    assert box_share(tuple(detected.iloc[0][["left", "top", "right", "bottom"]]), (48, 48)) >= \
        FACE_CROP_SHARE
    assert np.allclose(detected[model.classes].to_numpy(), whole[model.classes].to_numpy())
    scene = np.zeros((350, 350, 3), np.uint8)
    scene[100:196, 150:246] = np.asarray(Image.open(crop).convert("RGB").resize((96, 96)))
    faces = photo_faces(scene, "detect")
    assert len(faces) == 1 and faces[0].crop.shape[0] < 200


def test_a_face_crop_is_aligned_for_a_model_trained_on_aligned_faces(shared_data):
    """``--faces aligned`` trained the model on re-framed faces: a face crop is framed the
    same way for it, not classified whole; older models (no ``faces`` in their manifest) keep
    the crop whole."""
    crop = sorted((shared_data / "ckplus48" / "CK+48" / "surprise").glob("*.png"))[0]
    photo = np.asarray(Image.open(crop).convert("RGB"))
    published = photo_faces(photo, "detect")
    aligned = photo_faces(photo, "detect", aligned=True)
    assert published[0].crop is photo
    assert aligned[0].crop is not photo and aligned[0].box == published[0].box
    manifest = {"training": {"face_shape": [48, 48]}}
    assert not SavedModel(None, manifest, crop).aligned
    assert SavedModel(None, {"training": {"faces": "aligned"}}, crop).aligned


def test_predict_frames_a_small_crop_no_detector_finds_as_the_training_faces_were(shared_data):
    """A dataset-sized crop whose face no try finds is a face crop to predict as it was to
    ``--faces aligned``: landmarks in the whole image, the very crop training saw; a blank
    image of that size is still no face."""
    files = sorted((shared_data / "rafdb-kaggle").rglob("*.jpg"))
    photo = next(p for p in map(read_photo, files) if not locate_faces(p, RETRIES[:1]))
    faces = photo_faces(photo, "detect", aligned=True)
    assert [face.found for face in faces] == ["image box"]
    assert faces[0].box == (0, 0, photo.shape[1], photo.shape[0])
    trained, how = align_face(photo, 100)
    assert how == "image box"
    assert np.array_equal(trained, resized(faces[0].crop, 100, 100))
    assert frame_faces(photo, retry_further=False)[0].found == "image box"
    assert photo_faces(np.full((100, 100, 3), 77, np.uint8), "detect", aligned=True) == []
