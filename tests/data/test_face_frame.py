"""One canonical face frame (``--faces``): eyes where the frame puts them, every way a face
was found counted and reported, the published faces untouched, fingerprints apart, synthetic
datasets as published by default, bad choices named."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from ferbench import FaceSet, Splits
from ferbench.cli import main
from ferbench.core.registry import DATASETS, load_plugins
from ferbench.data import framing
from ferbench.data.faces import frame
from ferbench.data.faces.photos import EYE_DISTANCE, EYES_AT, face_in_box, find_faces
from ferbench.features.landmarks import LEFT_EYE, RIGHT_EYE


def _eyes(face: np.ndarray) -> tuple[np.ndarray, float]:
    """The eye midpoint and distance, as fractions of the side, of dlib's 68 landmarks fitted
    in ``face``'s whole image."""
    rgb = face if face.ndim == 3 else np.repeat(face[..., None], 3, axis=2)
    points = face_in_box(rgb, (0, 0, rgb.shape[1], rgb.shape[0])).landmarks
    right, left = points[RIGHT_EYE].mean(axis=0), points[LEFT_EYE].mean(axis=0)
    return (right + left) / 2 / rgb.shape[1], float(np.hypot(*(left - right))) / rgb.shape[1]


def _splits(images: np.ndarray, dataset: str = "mine") -> Splits:
    labels = np.arange(len(images)) % 2
    half = len(images) // 2
    return Splits(train=FaceSet(images[:half], labels[:half], dataset=dataset),
                  test=FaceSet(images[half:], labels[half:], dataset=dataset, split="test"))


class _Real:
    name, faces, framed_on_load = "mine", "aligned", ""


def test_a_photo_s_face_is_aligned_with_the_eyes_where_the_frame_puts_them(
        shared_data, photo_with_face):
    photo = np.asarray(photo_with_face(shared_data, size=350, offset=(150, 40)))
    face, found = frame.align_face(photo, 100)
    assert found == "detector" and face.shape == (100, 100, 3)
    middle, distance = _eyes(face)
    assert np.allclose(middle, EYES_AT, atol=0.03)
    assert distance == pytest.approx(EYE_DISTANCE, abs=0.03)


def test_ckplus48_crops_keep_their_size_and_gray_and_land_in_the_frame(shared_data):
    files = sorted((shared_data / "ckplus48" / "CK+48" / "happy").glob("*.png"))[:6]
    images = np.stack([np.asarray(Image.open(f).convert("L")) for f in files])
    aligned, found = frame.align_images(images, "test")
    assert aligned.shape == images.shape and aligned.dtype == np.uint8
    assert set(found) <= {"detector", "retry"}
    middles = np.array([_eyes(face)[0] for face in aligned])
    assert np.allclose(np.median(middles, axis=0), EYES_AT, atol=0.04)


def test_a_tight_crop_is_mirrored_outwards_never_framed_in_black(shared_data, photo_with_face):
    photo = np.asarray(photo_with_face(shared_data, size=350, offset=(150, 40)))
    left, top, right, bottom = find_faces(photo)[0].box
    tight = photo[top + 20:bottom, left + 15:right - 15]  # cut inside the face
    face, _ = frame.align_face(tight, 100)
    rim = np.concatenate([face[:3].reshape(-1, 3), face[-3:].reshape(-1, 3),
                          face[:, :3].reshape(-1, 3), face[:, -3:].reshape(-1, 3)])
    assert (rim.max(axis=1) < 8).mean() < 0.02  # no black border where the crop ended


def test_no_face_falls_back_to_the_image_resized_and_is_counted_in_provenance(tmp_path):
    rng = np.random.default_rng(0)
    large = rng.integers(0, 255, (4, 160, 160, 3), dtype=np.uint8)  # whole images, no face
    framed = framing.frame_splits(_splits(large), _Real(), "aligned", tmp_path)
    assert framed.train.images.shape == (2, 100, 100, 3)
    assert np.array_equal(framed.train.images[0], np.asarray(
        Image.fromarray(large[0]).resize((100, 100), Image.Resampling.BILINEAR)))
    facts = framed.test.provenance
    assert facts["faces_found"] == {"detector": 0, "retry": 0, "image box": 0, "fallback": 4}
    assert "fallback 4" in framing.faces_note(facts)
    small = rng.integers(0, 255, (4, 48, 48), dtype=np.uint8)  # face crops: landmarks inside
    counted = framing.frame_splits(_splits(small), _Real(), "aligned", tmp_path / "other")
    assert counted.train.provenance["faces_found"]["image box"] == 4


def test_as_published_is_bit_identical_and_aligned_never_shares_a_fingerprint(tmp_path):
    images = np.random.default_rng(1).integers(0, 255, (4, 48, 48), dtype=np.uint8)
    splits = _splits(images)
    published = framing.frame_splits(splits, _Real(), "as-published", tmp_path)
    assert published.train.images is splits.train.images
    assert published.train.fingerprint == splits.train.fingerprint
    assert framing.faces_note(published.train.provenance) == "faces as published"
    aligned = framing.frame_splits(splits, _Real(), "aligned", tmp_path)
    assert aligned.train.frame == "aligned"
    assert aligned.train.fingerprint != splits.train.fingerprint
    same_pixels = FaceSet(splits.train.images, splits.train.labels, frame="aligned")
    assert same_pixels.fingerprint != FaceSet(splits.train.images, splits.train.labels).fingerprint


def test_aligned_faces_are_cached_per_image_and_a_new_split_aligns_nothing(tmp_path,
                                                                          monkeypatch):
    images = np.random.default_rng(2).integers(0, 255, (6, 48, 48), dtype=np.uint8)
    first = framing.frame_splits(_splits(images), _Real(), "aligned", tmp_path)

    def fail(*args, **kwargs):
        raise AssertionError("aligned again although cached")

    monkeypatch.setattr(framing, "align_images", fail)
    regrouped = _splits(images[::-1].copy())
    again = framing.frame_splits(regrouped, _Real(), "aligned", tmp_path)
    assert np.array_equal(again.test.images[::-1], first.train.images)


def test_worker_processes_align_exactly_as_one_process_does(monkeypatch):
    images = np.random.default_rng(3).integers(0, 255, (6, 48, 48, 3), dtype=np.uint8)
    serial = frame.align_images(images, "serial")
    monkeypatch.setattr(frame, "PER_WORKER", 2)
    monkeypatch.setenv("FERBENCH_JOBS", "2")
    parallel = frame.align_images(images, "parallel")
    assert np.array_equal(serial[0], parallel[0]) and list(serial[1]) == list(parallel[1])


def test_real_datasets_default_to_aligned_and_synthetic_ones_to_as_published():
    load_plugins()
    plugins = {name: DATASETS.create(name) for name in ("synth-fer", "synth-raf", "fer2013")}
    assert framing.faces_of(plugins, {}) == {
        "synth-fer": "as-published", "synth-raf": "as-published", "fer2013": "aligned"}
    chosen = framing.parse_faces("fer2013=as-published,aligned")
    assert framing.faces_of(plugins, chosen) == {
        "synth-fer": "aligned", "synth-raf": "aligned", "fer2013": "as-published"}
    boxed = DATASETS.create("affectnet")
    assert "aligned when decoded" in boxed.framed_on_load
    assert DATASETS.create("affectnet", crop="box").framed_on_load == ""


@pytest.mark.parametrize(("value", "message"), [
    ("crooked", "--faces 'crooked': expected one of aligned, as-published"),
    ("toy-a=sideways", "expected one of aligned, as-published, got 'sideways'"),
    ("=aligned", "DATASET=CHOICE"),
    ("aligned,as-published", "the default is given twice"),
])
def test_a_bad_faces_value_is_refused_naming_the_flag(tmp_path, run_args, capsys, value,
                                                      message):
    with pytest.raises(SystemExit) as exit_:
        main(run_args(tmp_path, "--methods", "nearest-mean", "--faces", value))
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "argument --faces" in error and message in error


def test_faces_naming_a_dataset_outside_the_run_is_refused_before_any_data(tmp_path, run_args,
                                                                          capsys):
    code = main(run_args(tmp_path, "--methods", "nearest-mean", "--faces", "fer2013=aligned"))
    assert code == 2
    assert "--faces names fer2013, not among the run's datasets (toy-a, toy-b)" in \
        capsys.readouterr().err
    assert not (tmp_path / "runs" / "r" / "results").exists()


def test_a_run_states_its_framing_in_the_report_and_keeps_its_cells_apart(tmp_path, run_args,
                                                                          stored):
    args = run_args(tmp_path, "--methods", "svm", "--protocol", "within", "--budget", "quick")
    assert main(args) == 0
    before = {r["train"]: r["cell"] for r in stored(tmp_path)}
    assert main([*args, "--faces", "toy-a=aligned"]) == 0
    after = {r["train"]: r["cell"] for r in stored(tmp_path)}
    assert after["toy-a"] != before["toy-a"]  # aligned faces: a cell of their own
    assert after["toy-b"] == before["toy-b"]  # as published both times: stored once, reused
    manifests = [json.loads(path.read_text()) for path in
                 (tmp_path / "runs" / "r" / "models").glob("svm__toy-a__*/model.json")]
    assert sorted(m["training"]["faces"] for m in manifests) == ["aligned", "as-published"]
    readme = (tmp_path / "reports" / "r" / "README.md").read_text()
    assert "faces aligned (detector 0, retry 0, image box 100, fallback 0" in readme
    assert "faces as published" in readme
