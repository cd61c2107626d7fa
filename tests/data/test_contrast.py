"""A histogram-equalized copy of a dataset is told apart from the dataset as published."""

import numpy as np

from ferbench import FaceSet
from ferbench.core.dataset import Splits
from ferbench.data.contrast import equalized, equalized_note, equalized_share, note_equalized
from ferbench.nets.method import equalize


def faces(count: int, seed: int = 0) -> np.ndarray:
    """Smooth grey faces whose levels fill only part of 0-255, as photographs' do."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:48, :48] / 48
    out = []
    for _ in range(count):
        cx, cy, width = rng.uniform(0.3, 0.7, 2).tolist() + [rng.uniform(0.15, 0.4)]
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / width ** 2)
        out.append(60 + 110 * blob + rng.normal(0, 6, blob.shape))
    return np.clip(out, 0, 255).astype(np.uint8)


def splits_of(images: np.ndarray) -> Splits:
    labels = np.arange(len(images)) % 7
    half = len(images) // 2
    return Splits(train=FaceSet(images[:half], labels[:half], dataset="d", split="train"),
                  test=FaceSet(images[half:], labels[half:], dataset="d", split="test"))


def test_equalized_faces_are_flagged_and_published_ones_are_not():
    published = faces(40)
    assert not equalized(published).any()
    assert equalized(equalize(published)).all()


def test_colour_faces_are_judged_by_their_grey_levels():
    published = faces(10)
    rgb = np.repeat(published[..., None], 3, axis=3)
    assert not equalized(rgb).any()
    assert equalized(np.repeat(equalize(published)[..., None], 3, axis=3)).all()


def test_a_dataset_mostly_equalized_is_warned_about_in_every_split():
    published = faces(40)
    mixed = np.concatenate([equalize(published[:30]), published[30:]])
    noted = note_equalized(splits_of(mixed))
    assert equalized_share(splits_of(mixed)) == 0.75
    for part in noted.parts().values():
        assert part.provenance["equalized_faces"] == 0.75
        assert "75% of its faces are histogram-equalized" in equalized_note(part.provenance)


def test_a_published_dataset_gets_no_warning():
    noted = note_equalized(splits_of(faces(40)))
    assert noted.train.provenance["equalized_faces"] == 0.0
    assert equalized_note(noted.train.provenance) == ""
    assert equalized_note({}) == ""  # provenance from before the check


def test_a_dataset_without_faces_has_no_share():
    empty = FaceSet(np.zeros((0, 48, 48), np.uint8), np.zeros(0, np.int64))
    assert equalized_share(Splits(train=empty)) == 0.0
