"""A pretrained model's TOML description: every key checked, with the file and key named."""

import pytest

from ferbench.core.labels import EMOTIONS
from ferbench.pretrained import ModelDescriptionError, read_model_description
from tests.pretrained.models import describe


def test_a_description_reads_with_synonyms_defaults_and_per_channel_values(tmp_path):
    path = describe(tmp_path, color="rgb", size=224, mean=[0.485, 0.456, 0.406], std=0.5,
                    classes=["Angry", "happy", "SAD", "neutral", "contemptuous"])
    described = read_model_description(path)
    assert described.name == "tiny" and described.onnx == tmp_path / "model.onnx"
    assert [EMOTIONS[c] for c in described.classes] == [
        "anger", "happiness", "sadness", "neutral", "contempt"]
    assert described.layout == "nchw" and described.scale == 255.0
    assert described.mean == (0.485, 0.456, 0.406) and described.std == (0.5, 0.5, 0.5)
    assert described.values["std"] == 0.5  # as written: what enters the cell key
    assert "224x224 rgb faces, NCHW, pixels / 255" in described.pixels


@pytest.mark.parametrize(("keys", "message"), [
    ({"colour": "rgb"}, "unknown key 'colour'; did you mean 'color'?"),
    ({"classes": None}, "missing key 'classes'"),
    ({"color": "rgba"}, "key 'color' must be one of 'gray', 'rgb', 'bgr', got 'rgba'"),
    ({"layout": "chw"}, "key 'layout' must be one of 'nchw', 'nhwc'"),
    ({"outputs": "scores"}, "key 'outputs' must be one of 'logits', 'probabilities'"),
    ({"size": 0}, "key 'size' must be the input's height and width"),
    ({"name": "a+b"}, "key 'name' must be a name of letters, digits and . _ -"),
    ({"classes": ["anger", "joyful"]}, "classes[1] = 'joyful' is not an emotion"),
    ({"classes": ["happy", "joy"]}, "classes[1] = 'joy' names happiness again (as 'happy'"),
    ({"classes": []}, "key 'classes' must be a list of emotion names"),
    ({"color": "rgb", "mean": [0.5, 0.5]}, "key 'mean' has 2 values for 3 input channel(s)"),
    ({"std": [0.0]}, "key 'std' must be > 0 for every channel"),
    ({"features": "hog", "scale": 1.0}, "key 'scale' does not apply with features = 'hog'"),
    ({"features": "hog", "color": "rgb"}, "are computed on gray faces of at least 16 px"),
    ({"features": "sift"}, "key 'features' must be one of 'hog', 'landmarks'"),
])
def test_a_bad_key_names_the_file_the_key_and_what_fits(tmp_path, keys, message):
    path = describe(tmp_path, **keys)
    with pytest.raises(ModelDescriptionError) as error:
        read_model_description(path)
    assert message in str(error.value) and str(path) in str(error.value)


def test_a_missing_or_broken_description_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="model description .*absent.toml not found"):
        read_model_description(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n")
    with pytest.raises(ModelDescriptionError, match="broken.toml: not valid TOML"):
        read_model_description(broken)
