"""Deep methods and their shared trainer: conformance, determinism, budgets, weights loading.

Networks here are a few thousand parameters on 16–48 px toy faces, so the file runs in about
a minute on two CPU cores.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.error
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

from ferbench import create_method  # noqa: E402
from ferbench.nets import (  # noqa: E402
    Augment,
    PlainCNN,
    SEResNet,
    TrainConfig,
    Trainer,
    WeightsNotFoundError,
)
from ferbench.nets.augment import erase, lower_resolution, relight, warp  # noqa: E402
from ferbench.nets.backbones import imagenet_cache_path  # noqa: E402
from ferbench.nets.loop import _lr_factor, class_weights  # noqa: E402
from ferbench.nets.trainer import stratified_holdout  # noqa: E402
from ferbench.testing import check_method, toy_faces  # noqa: E402

TINY = {
    "cnn": {"width": 4, "blocks": 2, "epochs": 2},
    "seresnet": {"width": 4, "depth": (1, 1), "epochs": 2},
    "minixception": {"width": 2, "input_size": 24, "epochs": 2},
}
CLASSES = (0, 3, 4, 6)


def tiny(name: str, **params):
    return create_method(name, **{**TINY[name], "verbose": False, **params})


def toy_tensors(per_class: int = 8, size: int = 24, seed: int = 0, shift_labels: int = 0):
    faces = toy_faces(CLASSES, per_class, size=size, seed=seed)
    labels = np.searchsorted(CLASSES, faces.labels)
    labels = (labels + shift_labels) % len(CLASSES)
    return torch.from_numpy(faces.images).unsqueeze(1), torch.from_numpy(labels)


def tiny_cnn(num_classes: int = len(CLASSES)):
    torch.manual_seed(0)
    return PlainCNN(num_classes, input_size=24, width=4, blocks=2)


def resnet50_file(tmp_path):
    from torchvision import models

    path = tmp_path / "resnet50.pth"
    torch.manual_seed(123)
    torch.save(models.resnet50().state_dict(), path)
    return path


# --- conformance --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cnn", "seresnet", "minixception"])
def test_small_networks_pass_conformance(name):
    passed = check_method(name, verbose=False, **TINY[name])
    assert "same seed, same predictions" in passed


@pytest.mark.slow
def test_vgg19_passes_conformance():
    check_method("vgg19", per_class=3, epochs=1, input_size=32, batch_size=8, verbose=False)


@pytest.mark.slow
def test_resnet50_passes_conformance_with_local_weights(tmp_path):
    weights = resnet50_file(tmp_path)
    check_method(
        "resnet50",
        per_class=3,
        weights=str(weights),
        freeze="last",
        epochs=1,
        input_size=32,
        batch_size=8,
        verbose=False,
    )


# --- determinism, budgets, checkpoints ------------------------------------------------------


def test_same_seed_same_predictions_and_seed_matters():
    train = toy_faces(CLASSES, 6, seed=1)
    test = toy_faces(CLASSES, 3, seed=2, split="test")
    runs = [tiny("seresnet", seed=seed).fit(train).predict_proba(test) for seed in (0, 0, 1)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[2])


def test_early_stopping_restores_the_best_checkpoint():
    """Validation labels are the training labels shifted, so the better the network fits the
    training set the higher its validation loss: the best epoch comes early, patience runs
    out, and the weights of the best epoch come back."""
    images, labels = toy_tensors()
    val_images, val_labels = toy_tensors(shift_labels=1)
    config = TrainConfig(
        epochs=30, patience=2, monitor="val_loss", lr=0.1, augment="none", verbose=False
    )
    model = tiny_cnn()
    report = Trainer(config).fit(model, images, labels, (val_images, val_labels))

    assert report.stopped_by == "early_stopping"
    assert report.epochs_run == report.best_epoch + 2 < 30
    assert report.history[report.best_epoch - 1]["val_loss"] == report.best_score
    assert report.best_score < report.history[-1]["val_loss"]
    proba = Trainer(config).predict_proba(model, val_images)
    restored_loss = -np.log(proba[np.arange(len(proba)), val_labels.numpy()]).mean()
    assert restored_loss == pytest.approx(report.best_score, rel=1e-4)


@pytest.mark.parametrize("monitor", ["accuracy", "val_loss"])
def test_monitor_picks_the_checkpoint(monitor):
    images, labels = toy_tensors()
    config = TrainConfig(epochs=4, monitor=monitor, verbose=False)
    report = Trainer(config).fit(tiny_cnn(), images, labels, toy_tensors(4))
    scores = [record[monitor] for record in report.history]
    best = min(scores) if monitor == "val_loss" else max(scores)
    assert report.best_score == best
    assert report.best_epoch == scores.index(best) + 1


def test_time_budget_ends_training():
    images, labels = toy_tensors()
    config = TrainConfig(epochs=10_000, max_minutes=0.02, batch_size=4, verbose=False)
    report = Trainer(config).fit(tiny_cnn(), images, labels)
    assert report.stopped_by == "time_budget"
    assert report.epochs_run < 10_000
    assert report.train_seconds < 10


def test_without_validation_a_stratified_tenth_is_held_out_or_nothing():
    images, labels = toy_tensors(per_class=10)
    held = Trainer(TrainConfig(epochs=1, verbose=False)).fit(tiny_cnn(), images, labels)
    assert held.validation == "10% of train" and held.best_epoch == 1
    none = Trainer(TrainConfig(epochs=2, val_fraction=0, verbose=False)).fit(
        tiny_cnn(), images, labels
    )
    assert (none.validation, none.best_epoch, none.stopped_by) == ("none", None, "epochs")


def test_stratified_holdout_keeps_every_class_in_train():
    labels = torch.tensor([0] * 20 + [1] * 10 + [2])
    keep, hold = stratified_holdout(labels, 0.1, torch.Generator().manual_seed(0))
    assert torch.bincount(labels[hold]).tolist() == [2, 1]
    assert set(labels[keep].tolist()) == {0, 1, 2}
    assert sorted(torch.cat([keep, hold]).tolist()) == list(range(31))


def test_describe_reports_budget_and_speed():
    assert not torch.are_deterministic_algorithms_enabled()
    method = tiny("cnn").fit(toy_faces(CLASSES, 6, seed=1), toy_faces(CLASSES, 2, seed=2))
    assert not torch.are_deterministic_algorithms_enabled(), "global torch state leaked"
    facts = method.describe()
    assert facts["stopped_by"] == "epochs" and facts["epochs_run"] == 2
    assert facts["best_epoch"] in (1, 2) and 0 <= facts["best_score"] <= 1
    assert facts["images_per_s"] > 0 and facts["device"] == "cpu"
    assert facts["validation"] == "given" and facts["trainable_parameters"] > 0


@pytest.mark.parametrize(
    "options",
    [
        {"optimizer": "adamw", "schedule": "step"},
        {"class_weighted": True, "label_smoothing": 0.1},
        {"tta": True, "augment": "none"},
        {"augment": "full+erase"},
    ],
)
def test_training_options_give_valid_probabilities(options):
    faces = toy_faces(CLASSES, 6, seed=1)
    proba = tiny("cnn", **options).fit(faces).predict_proba(faces)
    assert proba.shape == (len(faces), len(CLASSES))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_progress_lines_go_to_stderr_unless_quiet(capsys):
    faces = toy_faces(CLASSES, 10, seed=1)
    tiny("cnn", verbose=True).fit(faces)
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "val macro_f1" in err and "img/s" in err
    tiny("cnn", verbose=False).fit(faces)
    assert capsys.readouterr().err == ""


def test_class_weights_are_inverse_frequencies():
    weights = class_weights(torch.tensor([0, 0, 0, 2]))
    torch.testing.assert_close(weights, torch.tensor([2 / 3, 0.0, 2.0]))


def test_tta_averages_the_image_and_its_mirror():
    images, _ = toy_tensors(per_class=2)
    model = tiny_cnn()
    plain = Trainer(TrainConfig(verbose=False))
    tta = Trainer(TrainConfig(tta=True, verbose=False))
    original = plain.predict_proba(model, images)
    expected = (original + plain.predict_proba(model, images.flip(-1))) / 2
    np.testing.assert_allclose(tta.predict_proba(model, images), expected, atol=1e-6)
    assert not np.allclose(expected, original)


def test_learning_rate_schedules():
    assert [_lr_factor("cosine", p) for p in (0, 0.5, 1)] == pytest.approx([1, 0.5, 0])
    assert [_lr_factor("step", p) for p in (0.49, 0.5, 0.75)] == pytest.approx([1, 0.1, 0.01])


# --- augmentation and networks --------------------------------------------------------------


def test_warp_identity_and_mirror_matrices():
    images = torch.rand(3, 1, 16, 16) * 255
    identity = torch.tensor([[1.0, 0, 0], [0, 1, 0]]).expand(3, 2, 3)
    torch.testing.assert_close(warp(images, identity), images, atol=1e-3, rtol=0)
    mirror = Augment(flip=1, rotate_deg=0, shift=0, min_crop=1).matrices(3, torch.Generator())
    torch.testing.assert_close(warp(images, mirror), images.flip(-1), atol=1e-3, rtol=0)


def test_augment_is_seeded_and_flip_only_mirrors_exactly():
    images = torch.rand(8, 1, 16, 16) * 255
    first = Augment()(images, torch.Generator().manual_seed(5))
    again = Augment()(images, torch.Generator().manual_seed(5))
    torch.testing.assert_close(first, again)
    assert not torch.allclose(first, images)
    flipped = Augment(rotate_deg=0, shift=0, min_crop=1)(images, torch.Generator().manual_seed(0))
    mirrored = [torch.equal(f, i.flip(-1)) for f, i in zip(flipped, images)]
    unchanged = [torch.equal(f, i) for f, i in zip(flipped, images)]
    assert all(m or u for m, u in zip(mirrored, unchanged)) and any(mirrored) and any(unchanged)


def test_low_resolution_augment_blurs_only_the_chosen_faces():
    stripes = torch.zeros(6, 1, 16, 16)
    stripes[..., ::2] = 255.0
    lowered = lower_resolution(stripes, torch.tensor([True, False] * 3), torch.full((6,), 0.5))
    torch.testing.assert_close(lowered[1::2], stripes[1::2])
    detail = (lowered[::2, ..., 1:] - lowered[::2, ..., :-1]).abs().mean()
    assert detail < 0.1 * (stripes[..., 1:] - stripes[..., :-1]).abs().mean()
    mirror_only = Augment(rotate_deg=0, shift=0, min_crop=1, low_res=1.0)
    assert not torch.equal(mirror_only(stripes, torch.Generator().manual_seed(0)), stripes)
    with pytest.raises(ValueError, match="low_res"):
        Augment(low_res=1.5)
    assert TrainConfig(augment="full+lowres").augment == "full+lowres"


def test_relighting_changes_contrast_and_brightness_within_the_pixel_range():
    faces = torch.linspace(0, 255, 16 * 16).view(1, 1, 16, 16).repeat(3, 1, 1, 1)
    lit = relight(faces, torch.tensor([1.0, 0.5, 1.4]), torch.tensor([0.0, 40.0, 0.0]))
    torch.testing.assert_close(lit[0], faces[0])
    assert float(lit[1].std()) == pytest.approx(0.5 * float(faces[1].std()), rel=1e-4)
    assert float(lit[1].mean()) == pytest.approx(float(faces[1].mean()) + 40, rel=1e-4)
    assert lit.min() >= 0 and lit.max() <= 255 and lit[2].max() == 255
    light = Augment(rotate_deg=0, shift=0, min_crop=1, flip=0, contrast=0.4, brightness=0.2)
    changed = light(faces, torch.Generator().manual_seed(0))
    assert not torch.equal(changed, faces)
    with pytest.raises(ValueError, match="contrast"):
        Augment(contrast=1.0)
    assert TrainConfig(augment="full+light").augment == "full+light"


def test_erasing_paints_each_chosen_rectangle_with_the_face_mean_grey():
    faces = torch.arange(3 * 10 * 10, dtype=torch.float32).view(3, 1, 10, 10)
    rectangles = torch.tensor([[0.2, 0.3, 0.5, 0.4], [0.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5]])
    painted = erase(faces, rectangles)
    torch.testing.assert_close(painted[1], faces[1])
    changed = painted[0, 0] != faces[0, 0]
    assert changed.sum() == 5 * 4 and changed[2:7, 3:7].all()
    assert torch.all(painted[0, 0][changed] == faces[0].mean())
    assert (painted[2, 0] != faces[2, 0])[5:, 5:].all()
    every = Augment(rotate_deg=0, shift=0, min_crop=1, flip=0, erase=1.0)
    drawn = every.rectangles(200, torch.Generator().manual_seed(0))
    area = drawn[:, 2] * drawn[:, 3]
    assert area.min() >= 0.015 and area.max() <= 0.34 and (drawn[:, :2] + drawn[:, 2:] <= 1).all()
    half = Augment(erase=0.5).rectangles(200, torch.Generator().manual_seed(0))
    assert 70 < int((half[:, 2] > 0).sum()) < 130
    assert not torch.equal(every(faces, torch.Generator().manual_seed(0)), faces)
    with pytest.raises(ValueError, match="erase"):
        Augment(erase=1.5)
    assert TrainConfig(augment="full+erase").augment == "full+erase"


def normalized_cnn(normalization: str):
    """A tiny cnn trained with ``normalization`` on toy faces, its parameters and test faces."""
    params = {**TINY["cnn"], "input_size": 24, "normalization": normalization, "verbose": False}
    method = create_method("cnn", **params).fit(toy_faces(CLASSES, 6, size=24, seed=1))
    return method, params, toy_faces(CLASSES, 2, size=24, seed=2, split="test")


def reloaded_scores(method, params, faces, folder):
    """``faces``' class scores from ``method`` saved in ``folder`` and loaded as predict does."""
    from ferbench import load_model
    from ferbench.predict.saved import save_model

    save_model(method, "cnn", params, folder, training={"dataset": "toy", "face_shape": [24, 24]})
    return load_model(folder).predict_faces(list(faces.images)).drop(columns="label").to_numpy()


def test_per_face_normalization_ignores_brightness_and_contrast_and_reloads(tmp_path):
    method, params, test = normalized_cnn("face")
    dimmer = replace(test, images=(test.images // 2 + 20).astype(np.uint8))
    np.testing.assert_allclose(method.predict_proba(dimmer), method.predict_proba(test),
                               atol=0.02)
    assert method.describe()["normalization"] == "face"
    np.testing.assert_allclose(reloaded_scores(method, params, test, tmp_path / "model"),
                               method.predict_proba(test), atol=1e-6)
    with pytest.raises(ValueError, match="normalization='channel'"):
        create_method("cnn", normalization="channel")


def test_equalized_faces_ignore_any_order_keeping_contrast_change_reload_and_refuse_onnx(
        tmp_path):
    method, params, test = normalized_cnn("equalized")
    test = replace(test, images=test.images // 2)
    # Brighter, with more contrast, its levels spread unevenly, but in the same order.
    grey = test.images.astype(np.int64)
    reshaped = replace(test, images=(grey + np.round(grey ** 2 / 127)).astype(np.uint8))
    assert (reshaped.images > test.images).mean() > 0.9
    np.testing.assert_allclose(method.predict_proba(reshaped), method.predict_proba(test),
                               atol=1e-6)
    assert method.describe()["normalization"] == "equalized"
    np.testing.assert_allclose(reloaded_scores(method, params, reshaped, tmp_path / "model"),
                               method.predict_proba(test), atol=1e-6)
    with pytest.raises(ValueError, match="'equalized' equalizes faces outside the network"):
        method.export_onnx(tmp_path / "cnn.onnx")


def test_seresnet_keeps_full_resolution_in_its_first_stage():
    model = SEResNet(7, in_channels=1, input_size=48, depth=(2, 2, 2, 2), width=8)
    x = torch.zeros(2, 1, 48, 48)
    assert model.stages[0](model.stem(x)).shape == (2, 8, 48, 48)
    assert model(x).shape == (2, 7)
    assert sum(type(m).__name__ == "SEBasicBlock" for m in model.modules()) == 8


def test_mini_xception_has_the_published_size_and_maps_to_class_scores():
    from ferbench.nets import MiniXception

    network = MiniXception(7)
    assert 55_000 < sum(p.numel() for p in network.parameters()) < 60_000
    assert network(torch.zeros(2, 1, 64, 64)).shape == (2, 7)
    assert network.features(torch.zeros(1, 1, 64, 64)).shape == (1, 128, 4, 4)
    with pytest.raises(ValueError, match="input_size=8 must be an integer >= 20"):
        create_method("minixception", input_size=8)


def test_pooled_head_averages_each_channel_over_the_map():
    """``head="pool"``: the classifier sees one mean per channel, so it has as many inputs
    as the last stage has channels and ignores where in the map a feature fired."""
    torch.manual_seed(0)
    cnn = PlainCNN(3, input_size=24, width=4, blocks=2, head="pool").eval()
    seresnet = SEResNet(3, input_size=24, depth=(1, 1), width=4, head="pool").eval()
    assert cnn.head[-1].in_features == 8 and seresnet.head[-1].in_features == 8
    flat = PlainCNN(3, input_size=24, width=4, blocks=2).head[-1]
    assert flat.in_features == 8 * 6 * 6
    maps = torch.rand(2, 8, 6, 6)
    shuffled = maps.flatten(2)[:, :, torch.randperm(36)].view(2, 8, 6, 6)
    torch.testing.assert_close(cnn.head(maps), cnn.head(shuffled))


def test_pooled_head_trains_through_the_method():
    train, test = toy_faces(CLASSES, 8, size=48, seed=0), toy_faces(CLASSES, 3, size=48, seed=1)
    method = tiny("cnn", head="pool")
    method.fit(train)
    probabilities = method.predict_proba(test)
    assert probabilities.shape == (len(test), len(CLASSES))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert method.params["head"] == "pool"


# --- pretrained weights -----------------------------------------------------------------------


def test_resnet50_loads_local_weights_and_freezes_the_backbone(tmp_path):
    weights = resnet50_file(tmp_path)
    saved = torch.load(weights, weights_only=True)
    method = create_method(
        "resnet50",
        weights=str(weights),
        freeze="head",
        input_size=32,
        epochs=1,
        batch_size=8,
        verbose=False,
    )
    method.fit(toy_faces(CLASSES, 3, seed=1, rgb=True))
    state = method.model[1].state_dict()
    for key in ("conv1.weight", "layer4.2.bn3.weight", "layer4.2.bn3.running_mean"):
        torch.testing.assert_close(state[key], saved[key])
    assert not torch.equal(state["fc.weight"][:1], saved["fc.weight"][:1, :])
    assert method.describe()["weights"] == f"file {weights}"
    assert method.describe()["normalization"] == "imagenet"


def test_fine_tuned_model_reloads_without_the_weights_it_started_from(tmp_path):
    from ferbench import load_model
    from ferbench.predict.saved import save_model

    weights = resnet50_file(tmp_path)
    params = {"weights": str(weights), "freeze": "head", "input_size": 32, "epochs": 1,
              "batch_size": 8, "verbose": False}
    train = toy_faces(CLASSES, 3, seed=1, rgb=True)
    method = create_method("resnet50", **params).fit(train)
    save_model(method, "resnet50", params, tmp_path / "model",
               training={"dataset": "toy", "face_shape": list(train.images.shape[1:])})
    weights.unlink()
    test = toy_faces(CLASSES, 2, seed=2, rgb=True, split="test")
    reloaded = load_model(tmp_path / "model").predict_faces(list(test.images))
    np.testing.assert_allclose(reloaded.drop(columns="label").to_numpy(),
                               method.predict_proba(test), atol=1e-6)


@pytest.mark.parametrize("name,architecture", [("resnet50", "resnet50"), ("vgg19", "vgg19_bn")])
def test_offline_imagenet_weights_error_names_the_cache_file(
    name, architecture, tmp_path, monkeypatch
):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    with pytest.raises(WeightsNotFoundError) as error:
        create_method(name, pretrained="imagenet")
    expected = imagenet_cache_path(architecture)
    assert str(expected).startswith(str(tmp_path))
    assert str(expected) in str(error.value) and "weights=PATH" in str(error.value)


def test_missing_or_wrong_weights_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "nope.pth"
    with pytest.raises(WeightsNotFoundError, match="nope.pth does not exist"):
        create_method("resnet50", weights=str(missing))
    wrong = tmp_path / "wrong.pth"
    torch.save({"fc.weight": torch.zeros(2, 2)}, wrong)
    method = create_method("resnet50", weights=str(wrong), input_size=32, verbose=False)
    with pytest.raises(ValueError, match="wrong.pth does not match torchvision.models.resnet50"):
        method.fit(toy_faces(CLASSES, 2, seed=1))


# --- parameters -------------------------------------------------------------------------------


TRAINED_BY_DEFAULT = {"device": "auto", "seed": 0}


@pytest.mark.parametrize(
    ("name", "params", "recorded"),
    [
        ("cnn", {}, {"width": 12, "blocks": 3, "head": "flatten", "input_size": 48,
                     "color": "gray", "epochs": 6,
                     "batch_size": 32, "lr": 2e-3, "augment": "flip", "max_minutes": 5.0}),
        ("seresnet", {"depth": [1, 1]},
         {"depth": (1, 1), "width": 8, "head": "flatten", "input_size": 48, "color": "gray",
          "epochs": 6,
          "batch_size": 32, "lr": 2e-3, "augment": "flip", "max_minutes": 5.0}),
        ("vgg19", {}, {"pretrained": None, "weights": None, "input_size": 48, "color": "rgb",
                       "epochs": 40, "max_minutes": None}),
        ("resnet50", {"pretrained": None, "freeze": "head"},
         {"pretrained": None, "weights": None, "freeze": "head", "input_size": 224,
          "color": "rgb", "epochs": 15, "max_minutes": None, "optimizer": "sgd", "lr": 0.01}),
    ],
)
def test_each_factory_records_its_network_and_its_training_defaults(name, params, recorded):
    """What a method reports it was built with: its network's parameters, then the trainer's,
    the factory's defaults included."""
    method = create_method(name, **params)
    assert method.params == {**recorded, **TRAINED_BY_DEFAULT}
    assert method.normalization == "dataset"


@pytest.mark.parametrize(
    "name,params,message",
    [
        ("cnn", {"optimizer": "adam"}, "optimizer='adam' is not one of sgd, adamw"),
        ("cnn", {"epochs": -1}, "epochs=-1 must be an integer >= 1"),
        ("cnn", {"schedule": "linear"}, "schedule='linear'"),
        ("cnn", {"monitor": "f1"}, "monitor='f1'"),
        ("cnn", {"device": "tpu"}, "device='tpu'"),
        ("cnn", {"lr": -0.1}, "lr=-0.1"),
        ("cnn", {"label_smoothing": 1.0}, "label_smoothing=1.0"),
        ("cnn", {"patience": 0}, "patience=0"),
        ("cnn", {"tta": "yes"}, "tta='yes' must be true or false"),
        ("cnn", {"augment": True},
         "augment=True is not one of full, flip, full+lowres, full+light, full+erase, none"),
        ("cnn", {"precision": "fp16", "device": "cpu"}, "precision='fp16' needs"),
        ("cnn", {"epoch": 3}, "unknown parameter(s) epoch; known: augment, batch_size, blocks"),
        ("cnn", {"blocks": 7}, "blocks=7 halves a 48-px input"),
        ("cnn", {"color": "bgr"}, "color='bgr'"),
        ("cnn", {"head": "gap"}, "head='gap' is not one of flatten, pool"),
        ("seresnet", {"head": None}, "head=None is not one of flatten, pool"),
        ("seresnet", {"width": 0}, "width=0"),
        ("seresnet", {"depth": ()}, "depth must list"),
        ("seresnet", {"input_size": 8}, "input_size=8"),
        ("resnet50", {"freeze": "all", "pretrained": None}, "freeze='all' is not one of"),
        ("resnet50", {"pretrained": "imagenet21k"}, "pretrained='imagenet21k'"),
        ("vgg19", {"input_size": 16}, "input_size=16"),
    ],
)
def test_bad_parameters_are_named(name, params, message):
    with pytest.raises(ValueError) as error:
        create_method(name, **params)
    assert message in str(error.value)


def test_unavailable_device_is_an_error_at_fit():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    method = tiny("cnn", device="cuda")
    with pytest.raises(RuntimeError, match="device='cuda' was requested"):
        method.fit(toy_faces(CLASSES, 2, seed=1))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_training_uses_mixed_precision():
    faces = toy_faces(CLASSES, 6, seed=1)
    method = tiny("seresnet", device="cuda").fit(faces)
    facts = method.describe()
    assert facts["device"].startswith("cuda") and facts["precision"] in ("bfloat16", "float16")
    np.testing.assert_allclose(method.predict_proba(faces).sum(axis=1), 1.0)


def test_listing_methods_does_not_import_torch():
    code = (
        "import sys, ferbench; names = ferbench.list_methods(); "
        "assert {'cnn', 'seresnet', 'vgg19', 'resnet50'} <= set(names), names; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_diverging_loss_fails_the_fit_with_a_clear_error():
    method = tiny("cnn", lr=1e30, optimizer="sgd")
    faces = toy_faces((0, 3, 4), 8, size=48)
    with pytest.raises(FloatingPointError, match="training loss became nan"):
        method.fit(faces)


@pytest.mark.parametrize("name", ["cnn", "seresnet", "minixception"])
def test_every_budget_preset_builds_and_the_full_recipe_trains_a_few_batches(name, capsys):
    """The GPU recipe is not verified for accuracy here, only that it runs as written."""
    from ferbench.core.registry import METHODS, load_plugins

    load_plugins()
    entry = METHODS.get(name)
    assert set(entry.budgets) == {"quick", "standard", "full"}
    assert "full reference" in entry.details
    for budget in entry.budgets:
        create_method(name, **entry.params_for(budget, {}))
    smoke = entry.params_for("full", {"epochs": 2, "device": "cpu"})
    method = create_method(name, **smoke)
    train, val = toy_faces((0, 3, 4), 12), toy_faces((0, 3, 4), 4, seed=1)
    method.fit(train, val)
    assert method.predict_proba(val).shape == (len(val), 3)
    assert "estimated training time" in capsys.readouterr().err
