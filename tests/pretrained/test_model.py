"""A pretrained ONNX model as a method: refused early when it does not fit its description,
fed its faces as described, its outputs turned into scores over the classes it is scored on."""

import sys

import numpy as np
import pytest

from ferbench import features
from ferbench.core.faceset import FaceSet
from ferbench.core.labels import emotion_index
from ferbench.pretrained import ModelDescriptionError, PretrainedMethod, read_model_description
from tests.pretrained.models import describe, flat_model, pooled_model


def build(path, **params):
    return PretrainedMethod(read_model_description(path), device="cpu", **params)


def faces(images, labels=None):
    images = np.asarray(images, dtype=np.uint8)
    labels = np.zeros(len(images), dtype=np.int64) if labels is None else labels
    return FaceSet(images, np.asarray(labels))


def scores(method, images):
    return method.predict_proba(features.prepare(faces(images), method.input_spec))


@pytest.fixture
def gray_2x2(tmp_path):
    """A model fed 2x2 gray faces that outputs its four input values."""
    flat_model(tmp_path / "model.onnx", ["N", 1, 2, 2], 4)
    return tmp_path


def test_logits_are_softmaxed_into_canonical_class_order(gray_2x2):
    method = build(describe(gray_2x2, size=2, scale=1.0,
                            classes=["neutral", "angry", "happy", "sad"]))
    assert method.classes_.tolist() == [emotion_index(c) for c in ("anger", "happiness",
                                                                   "sadness", "neutral")]
    got = scores(method, [[[1, 2], [3, 4]]])
    values = np.array([2, 3, 4, 1], dtype=float)  # anger, happiness, sadness, neutral
    assert got == pytest.approx((np.exp(values) / np.exp(values).sum())[None])


def test_probabilities_are_kept_and_renormalised_over_the_classes_scored(gray_2x2):
    method = build(describe(gray_2x2, size=2, outputs="probabilities"))
    image = [[[10, 20], [30, 40]]]
    assert scores(method, image) == pytest.approx(np.array([[1, 2, 3, 4]]) / 10)
    trained = faces(np.zeros((2, 2, 2)), [emotion_index("anger"), emotion_index("sadness")])
    method.fit(trained)
    assert method.classes_.tolist() == [emotion_index("anger"), emotion_index("sadness")]
    assert scores(method, image) == pytest.approx(np.array([[1, 3]]) / 4)


def test_probabilities_below_zero_are_refused_as_probably_logits(gray_2x2):
    method = build(describe(gray_2x2, size=2, outputs="probabilities", mean=1.0))
    with pytest.raises(ModelDescriptionError, match="gave negative scores .*are they logits"):
        scores(method, [[[10, 20], [30, 40]]])


def test_fit_records_only_the_training_classes_the_model_defines(gray_2x2):
    method = build(describe(gray_2x2, size=2))
    surprise = faces(np.zeros((2, 2, 2)), [emotion_index("surprise")] * 2)
    with pytest.raises(ValueError, match=r"the model's classes \(anger, happiness, sadness, "
                                         r"neutral\) and the training set's \(surprise\)"):
        method.fit(surprise)
    assert method.needs_training_faces is False and method.family == "pretrained"


@pytest.mark.parametrize(("color", "layout", "fed"), [
    ("gray", "nchw", [[[[77, 77], [77, 77]]]]),  # one channel: 0.299 R + 0.587 G + 0.114 B
    ("rgb", "nchw", [[[[255, 255], [255, 255]], [[0, 0], [0, 0]], [[10, 10], [10, 10]]]]),
    ("bgr", "nchw", [[[[10, 10], [10, 10]], [[0, 0], [0, 0]], [[255, 255], [255, 255]]]]),
    ("rgb", "nhwc", [[[[255, 0, 10], [255, 0, 10]], [[255, 0, 10], [255, 0, 10]]]]),
    ("bgr", "nhwc", [[[[10, 0, 255], [10, 0, 255]], [[10, 0, 255], [10, 0, 255]]]]),
])
def test_faces_are_fed_in_the_described_colour_and_layout(tmp_path, color, layout, fed):
    channels = 1 if color == "gray" else 3
    shape = ["N", channels, 2, 2] if layout == "nchw" else ["N", 2, 2, channels]
    pooled_model(tmp_path / "model.onnx", channels, layout=layout, shape=shape)
    method = build(describe(tmp_path, size=2, color=color, layout=layout, scale=1.0))
    red = np.zeros((1, 6, 6, 3), dtype=np.uint8)
    red[..., 0], red[..., 2] = 255, 10
    fed_array = method.inputs(features.prepare(faces(red), method.input_spec))
    assert fed_array.tolist() == fed
    assert scores(method, red).shape == (1, 4)


def test_scale_mean_and_std_apply_per_channel(tmp_path):
    pooled_model(tmp_path / "model.onnx", 3)
    method = build(describe(tmp_path, size=1, color="rgb", scale=255.0, mean=[0.5, 0, 0],
                            std=[0.5, 1, 2]))
    fed = method.inputs(features.prepare(faces(np.full((1, 1, 1, 3), 255)),
                                         method.input_spec))
    assert fed.ravel().tolist() == [1.0, 1.0, 0.5]


def test_a_model_fixed_to_one_face_per_call_scores_any_number(tmp_path):
    flat_model(tmp_path / "model.onnx", [1, 1, 2, 2], 4)
    method = build(describe(tmp_path, size=2), batch_size=3)
    images = np.random.default_rng(0).integers(0, 256, (5, 2, 2))
    got = scores(method, images)
    assert got.shape == (5, 4) and np.allclose(got.sum(axis=1), 1)
    assert np.allclose(got[3], scores(method, images[3:4])[0])


@pytest.mark.parametrize(("make", "keys", "message"), [
    (lambda p: pooled_model(p, 1, classes=3), {},
     "output 'logits' has 3 values per face, but 'classes' lists 4"),
    (lambda p: pooled_model(p, 3, shape=[1, 3, 224, 224]), {"color": "rgb"},
     "input 'x' has shape [1, 3, 224, 224], but size = 8, color = 'rgb', layout = 'nchw' "
     "give [N, 3, 8, 8]"),
    (lambda p: pooled_model(p, 3, layout="nhwc"), {"color": "rgb"},
     "has shape [N, H, W, 3], but size = 8, color = 'rgb', layout = 'nchw' give [N, 3, 8, 8]"),
    (lambda p: flat_model(p, ["N", 1, 2, 2], 4, outputs=2), {"size": 2},
     "the model has 2 float outputs ('flat', 'copy1'); name the one holding the class scores"),
    (lambda p: flat_model(p, ["N", 1, 2, 2], 4, outputs=2), {"size": 2, "output": "probs"},
     "output = 'probs', but the model's outputs are 'flat', 'copy1'"),
    (lambda p: p.write_bytes(b"not an onnx model"), {}, "onnxruntime cannot load it"),
])
def test_a_model_that_does_not_fit_its_description_is_refused_when_built(tmp_path, make,
                                                                         keys, message):
    make(tmp_path / "model.onnx")
    with pytest.raises(ModelDescriptionError) as error:
        build(describe(tmp_path, **keys))
    assert message in str(error.value)


def test_a_model_whose_input_the_runtime_refuses_is_refused(tmp_path):
    """Declared any size, but it reshapes to 4 values per face: 3x3 faces fail when run."""
    from onnx import TensorProto, helper, numpy_helper

    from tests.pretrained.models import _save

    _save(tmp_path / "model.onnx",
          [helper.make_node("Reshape", ["x", "shape"], ["y"])],
          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, "H", "W"])],
          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
          [numpy_helper.from_array(np.array([-1, 4], dtype=np.int64), "shape")])
    build(describe(tmp_path, size=2))
    with pytest.raises(ModelDescriptionError, match=r"give \[N, 1, 3, 3\], which it refuses"):
        build(describe(tmp_path, size=3))


def test_a_named_output_among_several_is_used(tmp_path):
    flat_model(tmp_path / "model.onnx", ["N", 1, 2, 2], 4, outputs=2)
    assert scores(build(describe(tmp_path, size=2, output="copy1")), [[[0, 0], [0, 0]]]) \
        == pytest.approx(np.full((1, 4), 0.25))


def test_a_missing_model_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"tiny.toml: onnx = 'absent.onnx': .*absent.onnx "
                                                r"not found"):
        build(describe(tmp_path, onnx_file="absent.onnx"))


def test_a_missing_onnxruntime_names_the_extra(tmp_path, monkeypatch):
    pooled_model(tmp_path / "model.onnx")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ModelDescriptionError, match=r"need onnxruntime: pip install "
                                                    r"'ferbench\[onnx\]'"):
        build(describe(tmp_path))


def test_cuda_without_a_cuda_provider_is_refused(tmp_path):
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    pooled_model(tmp_path / "model.onnx")
    with pytest.raises(ValueError, match="no CUDA provider"):
        PretrainedMethod(read_model_description(describe(tmp_path)), device="cuda")
    assert build(describe(tmp_path)).onnx.provider == "CPUExecutionProvider"
