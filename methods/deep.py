"""Deep methods: networks trained by ferbench's one shared trainer (``ferbench.nets``).

torch is imported inside the factories, so listing methods stays fast without it. Besides
its own parameters every factory takes the trainer's as keywords (see
``ferbench.nets.TrainConfig``: optimizer, schedule, lr, weight_decay, label_smoothing,
class_weighted, patience, monitor, val_fraction, augment, tta, precision, batch_size, …).

``cnn`` and ``seresnet`` register three budgets (``--budget``, see ``ferbench.core.budgets``):

- quick (their factory defaults): sized for the embedded default run on a two-core CPU,
  6 epochs of batch 32 at AdamW lr 2e-3 with flip-only augmentation (short runs learn
  fastest when every face part stays where it was); seresnet trains 4 of them under quick so
  that the whole default run stays within 3 minutes.
- standard: the schedule chosen on validation splits for full-size data on two CPU cores
  (docs/decisions.md): 32 epochs for cnn and 24 for seresnet of full augmentation, label
  smoothing 0.1, mirror test-time augmentation and the checkpoint of best validation
  accuracy; the 180-minute safety stop guards slow machines.
- full: the published GPU recipe the method follows, named with its number in ``details``.

A budget is an amount of work — epochs — never a time: the same command trains the same
schedule on a busy machine as on an idle one. ``max_minutes`` is only a safety stop, far
above a normal fit; a fit it stops is no result (its cells are stored as incomplete, left
out of rankings and recomputed by the next run).

``minixception``, ``vgg19`` and ``resnet50`` stay out of the default run.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ferbench import Method, register_method

REQUIRES = ("torch", "torchvision")
STANDARD = {"augment": "full", "label_smoothing": 0.1, "tta": True, "monitor": "accuracy",
            "batch_size": 64, "max_minutes": 180.0}
"""What the standard budget shares across networks; each adds its size and epoch count."""
QUICK_TRAINING = {"epochs": 6, "batch_size": 32, "lr": 2e-3, "augment": "flip",
                  "max_minutes": 5.0}
"""The quick budget's training (the factories' defaults), for a factory that lists only its
network's own parameters."""


@register_method(
    "cnn",
    summary="Plain CNN (conv-BN-ReLU blocks + max-pool, flattened head) from scratch, 48x48 gray",
    requires=REQUIRES,
    details={
        "full reference": "Tang (2013), 'Deep Learning using Linear SVMs': a 3-conv-layer CNN, "
        "71.2 % FER2013 PrivateTest (GPU); the full budget trains this CNN on a recipe of that "
        "scale, not that exact network",
    },
    budgets={
        "quick": {},
        "standard": {**STANDARD, "width": 16, "blocks": 4, "epochs": 32},
        "full": {"width": 32, "blocks": 4, "epochs": 100, "batch_size": 128, "optimizer": "sgd",
                 "lr": 0.01, "augment": "full", "label_smoothing": 0.1, "tta": True,
                 "monitor": "accuracy", "max_minutes": None},
    },
)
def cnn(
    *,
    width: int = 12,
    blocks: int = 3,
    head: str = "flatten",
    input_size: int = 48,
    color: str = "gray",
    epochs: int = 6,
    batch_size: int = 32,
    lr: float = 2e-3,
    augment: str = "flip",
    max_minutes: float | None = 5.0,
    device: str = "auto",
    seed: int = 0,
    **train: Any,
) -> Method:
    """The floor every network should beat: blocks of two 3x3 conv-BN-ReLU and a max-pool;
    ``head``: "flatten" (a linear layer over the last feature map) or "pool" (over its
    channel means)."""
    from ferbench.nets import HEADS, PlainCNN, check_choice, check_int

    check_int("width", width, minimum=1)
    check_int("blocks", blocks, minimum=1)
    check_choice("head", head, HEADS)
    if input_size >> blocks < 1:
        raise ValueError(f"blocks={blocks} halves a {input_size}-px input below one pixel")
    return _own_network(PlainCNN, {"width": width, "blocks": blocks, "head": head},
                        input_size=input_size, color=color, epochs=epochs,
                        batch_size=batch_size, lr=lr, augment=augment, max_minutes=max_minutes,
                        device=device, seed=seed, **train)


@register_method(
    "seresnet",
    summary="SE-ResNet-18 (3x3 stem, no max-pool, flattened head) from scratch, 48x48 gray",
    requires=REQUIRES,
    details={
        "full reference": "ResNet-18 in WuJie1010/Facial-Expression-Recognition.Pytorch: "
        "72.97 % FER2013 PrivateTest (GPU; SGD lr 0.01, batch 128, 250 epochs, crop + flip, "
        "best epoch picked on PrivateTest itself, so optimistic); "
        "the full budget is that recipe with this network at width 64 (ResNet-18's channels)",
    },
    budgets={
        "quick": {"epochs": 4},
        "standard": {**STANDARD, "width": 8, "epochs": 24},
        "full": {"width": 64, "epochs": 250, "batch_size": 128, "optimizer": "sgd", "lr": 0.01,
                 "weight_decay": 5e-4, "augment": "full", "tta": True, "monitor": "accuracy",
                 "max_minutes": None},
    },
)
def seresnet(
    *,
    depth: tuple[int, ...] | list[int] = (2, 2, 2, 2),
    width: int = 8,
    head: str = "flatten",
    input_size: int = 48,
    color: str = "gray",
    epochs: int = 6,
    batch_size: int = 32,
    lr: float = 2e-3,
    augment: str = "flip",
    max_minutes: float | None = 5.0,
    device: str = "auto",
    seed: int = 0,
    **train: Any,
) -> Method:
    """ResNet with squeeze-and-excitation blocks; ``depth`` blocks per stage, stage i has
    ``width * 2**i`` channels; ``head`` as cnn's."""
    from ferbench.nets import HEADS, SEResNet, check_choice, check_int

    depth = tuple(depth)
    if not depth:
        raise ValueError("depth must list at least one stage, e.g. (2, 2, 2, 2)")
    for blocks in depth:
        check_int("depth entries", blocks, minimum=1)
    check_int("width", width, minimum=1)
    check_choice("head", head, HEADS)
    return _own_network(SEResNet, {"depth": depth, "width": width, "head": head},
                        input_size=input_size, color=color, epochs=epochs,
                        batch_size=batch_size, lr=lr, augment=augment, max_minutes=max_minutes,
                        device=device, seed=seed, **train)


@register_method(
    "minixception",
    summary="mini-Xception (separable convs, residuals, class conv + global pool) from scratch, "
    "64x64 gray; the `fer` package's classifier; not in the default run",
    requires=REQUIRES,
    in_default_run=False,
    details={
        "full reference": "Arriaga, Valdenegro-Toro and Ploeger (2017), 'Real-time "
        "Convolutional Neural Networks for Emotion and Gender Classification': 66 % FER2013 "
        "test accuracy (GPU; batch 32, Adam, early stopping on validation loss)",
    },
    budgets={
        "quick": {},
        "standard": {**STANDARD, "epochs": 32},
        "full": {"epochs": 200, "batch_size": 32, "lr": 1e-3, "patience": 50, "augment": "full",
                 "monitor": "val_loss", "max_minutes": None},
    },
)
def minixception(*, width: int = 8, input_size: int = 64, color: str = "gray",
                 **train: Any) -> Method:
    """Mini-Xception as published (``width`` 8: about 60,000 weights); faces are brought to
    ``input_size`` (64 px, the published input). Trained as cnn is under each budget; by
    default (quick) ``QUICK_TRAINING``."""
    from ferbench.nets import MiniXception, check_int

    check_int("width", width, minimum=1)
    check_int("input_size", input_size, minimum=20)
    return _own_network(MiniXception, {"width": width}, input_size=input_size, color=color,
                        **{**QUICK_TRAINING, **train})


@register_method(
    "vgg19",
    summary="torchvision VGG-19-BN, from scratch or ImageNet weights; not in the default run "
    "(too slow for the 3-minute CPU run)",
    requires=REQUIRES,
    in_default_run=False,
)
def vgg19(
    *,
    pretrained: str | None = None,
    weights: str | None = None,
    input_size: int = 48,
    epochs: int = 40,
    max_minutes: float | None = None,
    device: str = "auto",
    seed: int = 0,
    **train: Any,
) -> Method:
    """VGG-19 with batch norm and a global-pool + linear head; gray faces are replicated to
    three channels. ``pretrained="imagenet"`` or ``weights=PATH`` start from pretrained
    weights (and ImageNet normalisation)."""
    from ferbench.nets import vgg19_bn

    return _torchvision_network("vgg19_bn", vgg19_bn, pretrained, weights, {},
                                {"minimum_size": 32}, input_size=input_size, epochs=epochs,
                                max_minutes=max_minutes, device=device, seed=seed, **train)


@register_method(
    "resnet50",
    summary="torchvision ResNet-50 transfer from ImageNet weights, new head, freeze=head|last|"
    "none; not in the default run (too slow for the 3-minute CPU run)",
    requires=REQUIRES,
    in_default_run=False,
)
def resnet50(
    *,
    pretrained: str | None = "imagenet",
    weights: str | None = None,
    freeze: str = "none",
    input_size: int = 224,
    epochs: int = 15,
    max_minutes: float | None = None,
    optimizer: str = "sgd",
    lr: float | None = 0.01,
    device: str = "auto",
    seed: int = 0,
    **train: Any,
) -> Method:
    """ResNet-50 fine-tuned from ImageNet: "head" trains the new head only, "last" also the
    last stage, "none" everything. ``weights=PATH`` loads a local torchvision state_dict
    instead of the hub cache; ``pretrained=None`` trains from scratch."""
    from ferbench.nets import check_freeze
    from ferbench.nets import resnet50 as build_resnet50

    check_freeze(freeze)
    return _torchvision_network("resnet50", build_resnet50, pretrained, weights,
                                {"freeze": freeze}, {}, input_size=input_size, epochs=epochs,
                                max_minutes=max_minutes, optimizer=optimizer, lr=lr,
                                device=device, seed=seed, **train)


def _own_network(network: Callable[..., Any], arch: dict[str, Any], /, *, input_size: int,
                 color: str, **train: Any) -> Method:
    """``network`` with the architecture parameters ``arch`` (recorded with the results),
    sized for ``input_size``² ``color`` faces, trained by the shared trainer under
    ``train``. Positional-only, so that ``train`` may hold any name, as the factories'
    ``**train`` may."""
    from ferbench.nets import NetMethod, channels

    build = partial(network, in_channels=channels(color), input_size=input_size, **arch)
    return NetMethod(build, input_size=input_size, color=color, model_params=arch, **train)


def _torchvision_network(backbone: str, network: Callable[..., Any], pretrained: str | None,
                         weights: str | None, arch: dict[str, Any], fixed: dict[str, Any], /,
                         *, input_size: int, **train: Any) -> Method:
    """The torchvision ``backbone`` on RGB faces, from the ``pretrained`` or local
    ``weights`` it names (with ImageNet's normalisation) or from scratch, built by
    ``network`` with ``arch`` and trained by the shared trainer under ``train``. ``fixed``:
    NetMethod options the architecture sets (its minimum input size), which ``train`` may
    not."""
    from ferbench.nets import NetMethod, locate_weights

    source = locate_weights(backbone, pretrained, weights)
    return NetMethod(
        partial(network, source=source, **arch),
        input_size=input_size,
        color="rgb",
        normalization="imagenet" if source.pretrained else "dataset",
        model_params={"pretrained": pretrained, "weights": weights, **arch},
        facts={"weights": source.description},
        **fixed,
        **train,
    )
