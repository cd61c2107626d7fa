"""Feature extractors: HOG equals skimage's, dlib landmarks are sane, extractions are cached."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage.feature import hog as skimage_hog

from ferbench import features
from ferbench.core.faceset import FaceSet
from ferbench.core.method import FeatureSpec, InputSpec
from ferbench.features import FeatureCache, hog, landmarks, parallel

HOG_PARAMS = [(9, 8, 2), (9, 6, 3), (7, 7, 2), (12, 16, 1)]
"""(orientations, pixels_per_cell, cells_per_block)."""


def structured_images(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Uniform noise, ramps, stripes at an angle, a disc, a blank and a saturated image."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width]
    disc = (rows - height / 2) ** 2 + (cols - width / 3) ** 2 < (min(height, width) / 3) ** 2
    images = [
        rng.integers(0, 256, (height, width)),
        rng.integers(100, 110, (height, width)),
        (rows * 5 + cols * 3) % 256,
        np.where(np.sin(0.7 * rows - 0.4 * cols) > 0, 255, 0),
        disc * 200 + 30,
        np.zeros((height, width)),
        np.full((height, width), 255),
        np.where((rows // 4 + cols // 4) % 2 == 0, 255, 0),
    ]
    return np.stack(images).astype(np.uint8)


def skimage_reference(
    images: np.ndarray, orientations: int, cell: int, block: int, channel_axis: int | None = None
) -> np.ndarray:
    return np.stack(
        [
            skimage_hog(
                image,
                orientations,
                (cell, cell),
                (block, block),
                block_norm="L2-Hys",
                channel_axis=channel_axis,
            )
            for image in images
        ]
    )


@pytest.mark.parametrize("shape", [(48, 48), (64, 64), (100, 100), (50, 61), (37, 45)])
@pytest.mark.parametrize("params", HOG_PARAMS)
def test_hog_equals_skimage_on_gray_images(shape, params):
    orientations, cell, block = params
    blocks = [side // cell - block + 1 for side in shape]
    assert min(blocks) >= 2, f"{shape} spans under 2 blocks per axis: overlap goes untested"
    images = structured_images(*shape)
    ours = hog.hog_features(images, orientations, cell, block)
    reference = skimage_reference(images, orientations, cell, block)
    assert ours.dtype == np.float32
    assert ours.shape == reference.shape == (len(images), hog.hog_width(shape, *params))
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-6)


@pytest.mark.parametrize("params", HOG_PARAMS[:2])
def test_hog_equals_skimage_on_rgb_images(params):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (4, 50, 61, 3), dtype=np.uint8)
    images[1, ..., 1] = 0  # channels tie on flat areas: skimage keeps the first
    ours = hog.hog_features(images, *params)
    np.testing.assert_allclose(
        ours, skimage_reference(images, *params, channel_axis=-1), rtol=0, atol=1e-6
    )


def test_hog_rejects_bad_input():
    with pytest.raises(ValueError, match="too small.*at least 16x16"):
        hog.hog_features(np.zeros((2, 12, 40), np.uint8))
    with pytest.raises(ValueError, match="pixels_per_cell must be a positive integer, got 0"):
        hog.hog_features(np.zeros((2, 48, 48), np.uint8), pixels_per_cell=0)
    with pytest.raises(TypeError, match="uint8"):
        hog.hog_features(np.zeros((2, 48, 48), np.float32))
    with pytest.raises(ValueError, match=r"got shape \(48, 48\)"):
        hog.hog_features(np.zeros((48, 48), np.uint8))


def where_each_row_was_computed(images: np.ndarray) -> np.ndarray:
    """(process id, thread id, the image's own number) per image."""
    where = [os.getpid(), threading.get_ident()]
    return np.array([[*where, image[0, 0]] for image in images], dtype=np.int64)


@pytest.mark.parametrize("processes", [False, True])
def test_big_batches_are_split_over_workers_in_order(monkeypatch, processes):
    monkeypatch.setenv(parallel.JOBS_ENV, "2")
    images = np.arange(16, dtype=np.uint8)[:, None, None] * np.ones((1, 2, 2), np.uint8)
    rows = parallel.map_rows(
        where_each_row_was_computed, images, min_images_per_worker=4, processes=processes
    )
    np.testing.assert_array_equal(rows[:, 2], np.arange(16))
    here = [os.getpid(), threading.get_ident()]
    assert not (rows[:, :2] == here).all(axis=1).any()
    if processes:
        assert os.getpid() not in rows[:, 0]
    alone = parallel.map_rows(
        where_each_row_was_computed, images, min_images_per_worker=16, processes=processes
    )
    assert (alone[:, :2] == here).all()


def test_hog_is_the_same_on_worker_threads(monkeypatch):
    images = np.concatenate([structured_images(48, 48, seed) for seed in range(3)])
    in_process = hog.hog_features(images)
    monkeypatch.setenv(parallel.JOBS_ENV, "2")
    monkeypatch.setattr(hog, "MIN_IMAGES_PER_WORKER", 4)
    np.testing.assert_array_equal(hog.hog_features(images), in_process)


def test_worker_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(parallel.JOBS_ENV, "3")
    assert parallel.worker_count() == 3
    monkeypatch.delenv(parallel.JOBS_ENV)
    assert parallel.worker_count() == (os.cpu_count() or 1)
    for bad in ("0", "two"):
        monkeypatch.setenv(parallel.JOBS_ENV, bad)
        with pytest.raises(ValueError, match=f"FERBENCH_JOBS must be a positive integer.*{bad}"):
            parallel.worker_count()


def test_cached_features_are_extracted_once_across_methods_and_runs(tmp_path):
    images = structured_images(48, 48)
    labels = np.arange(len(images)) % 7
    spec = InputSpec(color="gray", features=(FeatureSpec.of("hog", pixels_per_cell=8),))
    key = spec.features[0].key
    before = features.EXTRACTIONS[key]
    first = features.prepare(FaceSet(images, labels), spec, FeatureCache(tmp_path))
    # another classifier of the same run, then a later run: new objects, same content
    second = features.prepare(FaceSet(images.copy(), labels), spec, FeatureCache(tmp_path))
    third = features.prepare(FaceSet(images.copy(), labels), spec, FeatureCache(tmp_path))
    assert features.EXTRACTIONS[key] - before == 1
    np.testing.assert_array_equal(second.features[key], first.features[key])
    np.testing.assert_array_equal(third.features[key], hog.hog_features(images))


# --- landmarks --------------------------------------------------------------------------


def ck_face(shared_data: Path, emotion: str = "happy", index: int = 0) -> np.ndarray:
    files = sorted((shared_data / "ckplus48" / "CK+48" / emotion).glob("*.png"))
    return np.asarray(Image.open(files[index]).convert("L"))


def on_canvas(face: np.ndarray, side: int, top: int, left: int, size: int = 160) -> np.ndarray:
    """The face resized to ``side`` px and placed at (top, left) of a size x size canvas."""
    resized = np.asarray(Image.fromarray(face).resize((side, side), Image.Resampling.BILINEAR))
    return np.pad(resized, ((top, size - side - top), (left, size - side - left)), mode="edge")


def test_landmarks_are_registered():
    assert features.EXTRACTORS["landmarks"] is landmarks.landmark_features
    assert landmarks.LANDMARK_WIDTH == 68 * 2 + len(landmarks.GEOMETRY_NAMES) + 1 == 152
    assert landmarks.COLUMN_NAMES[landmarks.DETECTOR_COLUMN] == "used_detector"


def test_landmarks_of_a_real_face_are_finite_and_found_by_the_detector(shared_data):
    matrix = landmarks.landmark_features(ck_face(shared_data)[None])
    assert matrix.shape == (1, landmarks.LANDMARK_WIDTH) and matrix.dtype == np.float32
    assert np.isfinite(matrix).all()
    assert matrix[0, landmarks.DETECTOR_COLUMN] == 1.0
    frame = matrix[0, :136].reshape(68, 2)
    # the face frame puts the eye centres at (-0.5, 0) and (0.5, 0), the mouth below them
    np.testing.assert_allclose(frame[landmarks.RIGHT_EYE].mean(axis=0), [-0.5, 0], atol=1e-5)
    np.testing.assert_allclose(frame[landmarks.LEFT_EYE].mean(axis=0), [0.5, 0], atol=1e-5)
    assert frame[48:68, 1].min() > 0.5


def test_landmark_features_ignore_where_the_face_is_and_its_size(shared_data):
    face = ck_face(shared_data)
    moved = np.stack(
        [on_canvas(face, 96, 20, 30), on_canvas(face, 96, 44, 10), on_canvas(face, 120, 16, 24)]
    )
    other_face = on_canvas(ck_face(shared_data, "surprise", 0), 96, 20, 30)[None]
    matrix, used_detector = landmarks.split_detector_column(
        landmarks.landmark_features(np.concatenate([moved, other_face]))
    )
    assert used_detector.all()
    tolerance = 0.04  # in inter-ocular distances; dlib's box shifts a little with the pyramid
    drift = np.abs(matrix[1:3] - matrix[0]).mean(axis=1)
    assert (drift < tolerance).all(), drift
    assert np.abs(matrix[3] - matrix[0]).mean() > 2 * tolerance  # another face is far


def test_whole_image_box_when_no_face_is_found():
    rng = np.random.default_rng(0)
    blank_and_noise = np.stack(
        [np.full((48, 48), 128, np.uint8), rng.integers(0, 256, (48, 48), dtype=np.uint8)]
    )
    matrix = landmarks.landmark_features(blank_and_noise)
    assert np.isfinite(matrix).all()
    features_only, used_detector = landmarks.split_detector_column(matrix)
    assert features_only.shape == (2, landmarks.LANDMARK_WIDTH - 1)
    assert not used_detector.any()
    np.testing.assert_array_equal(matrix[:, landmarks.DETECTOR_COLUMN], 0.0)


def test_split_detector_column_checks_its_input():
    with pytest.raises(ValueError, match=r"\(N, 152\), got shape \(3, 900\)"):
        landmarks.split_detector_column(np.zeros((3, 900)))
    matrix = np.zeros((2, landmarks.LANDMARK_WIDTH))
    matrix[:, -1] = [1.0, 0.5]
    with pytest.raises(ValueError, match="must be 0 or 1"):
        landmarks.split_detector_column(matrix)


def test_face_frame_removes_position_scale_and_rotation():
    rng = np.random.default_rng(3)
    points = rng.normal(size=(1, 68, 2)) * 10 + 50
    angle, scale, shift = 0.4, 2.5, np.array([13.0, -7.0])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = points @ rotation.T * scale + shift
    np.testing.assert_allclose(landmarks.face_frame(moved), landmarks.face_frame(points), atol=1e-9)
    degenerate = np.zeros((1, 68, 2))
    assert np.isfinite(landmarks.expression_geometry(landmarks.face_frame(degenerate))).all()


def test_missing_dlib_names_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "dlib", None)
    with pytest.raises(ModuleNotFoundError, match=r"dlib.*pip install dlib-bin face-rec"):
        landmarks.landmark_features(np.zeros((1, 48, 48), np.uint8))


def test_missing_model_names_what_to_install(monkeypatch):
    monkeypatch.setattr(landmarks, "MODEL_FILE", "models/no_such_predictor.dat")
    with pytest.raises(FileNotFoundError, match=r"no_such_predictor.dat is missing.*pip install"):
        landmarks.landmark_features(np.zeros((1, 48, 48), np.uint8))
    monkeypatch.setattr(landmarks, "MODEL_PACKAGE", "no_such_face_models_package")
    with pytest.raises(ModuleNotFoundError, match=r"pip install dlib-bin face-recognition-models"):
        landmarks.landmark_features(np.zeros((1, 48, 48), np.uint8))


def test_empty_batches_give_empty_matrices():
    assert hog.hog_features(np.zeros((0, 48, 48), np.uint8)).shape == (0, 900)
    empty = landmarks.landmark_features(np.zeros((0, 48, 48), np.uint8))
    assert empty.shape == (0, landmarks.LANDMARK_WIDTH)
