import numpy as np
import pytest
from PIL import Image

from ferbench import EMOTIONS, FaceSet, LabelMap, emotion_index
from ferbench.core.faceset import concatenate


def faces(n=6, shape=(8, 8), rgb=False):
    images = np.arange(n * shape[0] * shape[1] * (3 if rgb else 1), dtype=np.int64) % 256
    images = images.reshape((n, *shape, 3) if rgb else (n, *shape)).astype(np.uint8)
    return FaceSet(images, np.arange(n) % 3, subjects=[f"s{i % 2}" for i in range(n)])


def test_rejects_non_uint8_images():
    with pytest.raises(TypeError, match="uint8"):
        FaceSet(np.zeros((2, 4, 4), dtype=np.float32), [0, 1])


def test_rejects_bad_shape_and_length_mismatch():
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        FaceSet(np.zeros((2, 4, 4, 2), dtype=np.uint8), [0, 1])
    with pytest.raises(ValueError, match="2 images but 3 labels"):
        FaceSet(np.zeros((2, 4, 4), dtype=np.uint8), [0, 1, 2])


def test_rejects_labels_outside_canonical_space():
    with pytest.raises(ValueError, match="canonical indices"):
        FaceSet(np.zeros((2, 4, 4), dtype=np.uint8), [0, len(EMOTIONS)])


def test_views_do_not_touch_the_original():
    original = faces(rgb=True)
    before = original.images.copy()
    gray = original.gray()
    small = original.resized((4, 4))
    assert gray.images.shape == (6, 8, 8) and small.images.shape == (6, 4, 4, 3)
    assert np.array_equal(original.images, before)
    assert np.array_equal(gray.gray().images, gray.images)
    expected = np.asarray(Image.fromarray(original.images[0]).convert("L"))
    assert np.array_equal(gray.images[0], expected)
    replicated = faces().rgb().images
    assert replicated.shape == (6, 8, 8, 3)
    assert all(np.array_equal(replicated[..., c], faces().images) for c in range(3))


def test_subset_keeps_columns_aligned_and_fingerprint_tracks_content():
    full = faces()
    part = full.subset(np.array([1, 3]))
    assert part.labels.tolist() == [1, 0] and part.subjects.tolist() == ["s1", "s1"]
    assert part.ids.tolist() == [full.ids[1], full.ids[3]]
    assert faces().fingerprint == full.fingerprint != part.fingerprint
    assert full.with_classes(np.array([2])).labels.tolist() == [2, 2]


def test_concatenate_and_class_counts():
    joined = concatenate([faces(), faces(3)], split="trainval")
    assert len(joined) == 9 and joined.class_counts() == {0: 3, 1: 3, 2: 3}
    with pytest.raises(ValueError, match="different image shapes"):
        concatenate([faces(), faces(shape=(4, 4))], split="x")


def test_label_map_names_dataset_code_and_place():
    mapping = LabelMap("fer2013", {0: "angry", 3: "happy", 6: "neutral"})
    assert mapping.to_canonical(3) == emotion_index("happiness")
    with pytest.raises(ValueError, match=r"fer2013: unknown label code 9 at fer2013.csv:12"):
        mapping.to_canonical(9, where="fer2013.csv:12")
    assert mapping.to_canonical_array(np.array([0, 6])).tolist() == [0, 6]
    with pytest.raises(ValueError, match="unknown label code 5 at row 1"):
        mapping.to_canonical_array(np.array([0, 5]))


def test_unknown_emotion_name_lists_the_choices():
    with pytest.raises(ValueError, match="unknown emotion name 'joyful'"):
        emotion_index("joyful")
