"""torchvision backbones (VGG-19-BN, ResNet-50) with their weights loading and new heads.

Pretrained weights come from torchvision's weights API: the enum names the file, and the
file lives in the torch hub cache (``$TORCH_HOME/hub/checkpoints``), downloaded there when
online. ``weights=PATH`` loads a local state_dict in torchvision's layout instead. Both
load through :func:`load_state`, strictly, into the ImageNet-shaped model before its head is
replaced, so a wrong file fails loudly instead of training a half-initialised network. A
missing file is an error that says where to put it: a transfer method never silently falls
back to random initialisation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import nn
from torchvision import models

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
FREEZE_CHOICES = ("head", "last", "none")
PRETRAINED_CHOICES = ("imagenet", None)
IMAGENET_WEIGHTS = {
    "vgg19_bn": models.VGG19_BN_Weights.IMAGENET1K_V1,
    "resnet50": models.ResNet50_Weights.IMAGENET1K_V2,
}


class WeightsNotFoundError(FileNotFoundError):
    """Pretrained weights are neither on disk nor downloadable; the message says where to
    put them."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class WeightsSource:
    """Where an architecture's initial weights come from: a file, or nowhere (random)."""

    path: Path | None
    description: str

    @property
    def pretrained(self) -> bool:
        return self.path is not None


def locate_weights(
    architecture: str, pretrained: str | None, weights: str | Path | None
) -> WeightsSource:
    """Resolve the ``pretrained`` / ``weights`` parameters to a file on disk, up front.

    ``weights=PATH`` wins over ``pretrained``; ``pretrained="imagenet"`` uses the hub cache
    file of torchvision's ImageNet weights, downloading it when absent; neither means random
    initialisation. Called when the method is built, so a missing file fails before any
    training starts.
    """
    if pretrained == "none":
        pretrained = None
    if pretrained not in PRETRAINED_CHOICES:
        raise ValueError(f"pretrained={pretrained!r} must be 'imagenet' or None")
    if weights is not None:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise WeightsNotFoundError(
                f"{architecture}: weights file {path} does not exist; weights=PATH must name "
                f"a state_dict saved with torch.save(model.state_dict(), PATH) from "
                f"torchvision.models.{architecture}()"
            )
        return WeightsSource(path, f"file {path}")
    if pretrained is None:
        return WeightsSource(None, "none (random initialisation)")
    enum = IMAGENET_WEIGHTS[architecture]
    cached = imagenet_cache_path(architecture)
    if not cached.is_file():
        _download(enum.url, cached, architecture)
    return WeightsSource(cached, f"imagenet {type(enum).__name__}.{enum.name} ({cached})")


def imagenet_cache_path(architecture: str) -> Path:
    """Where torch hub keeps the ImageNet weights file of ``architecture``."""
    url = IMAGENET_WEIGHTS[architecture].url
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(url).path).name


def _download(url: str, destination: Path, architecture: str) -> None:
    match = re.search(r"-([a-f0-9]+)\.", destination.name)
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(
            url, str(destination), hash_prefix=match.group(1) if match else None, progress=False
        )
    except (OSError, RuntimeError) as error:
        destination.unlink(missing_ok=True)
        raise WeightsNotFoundError(
            f"{architecture}: ImageNet weights not found at {destination} and the download "
            f"from {url} failed ({type(error).__name__}: {error}). Put that file at "
            f"{destination} (the folder is $TORCH_HOME/hub/checkpoints), or pass "
            f"weights=PATH to a local copy, or pretrained=None to train from scratch."
        ) from error


def load_state(model: nn.Module, source: WeightsSource, architecture: str) -> None:
    """Load ``source`` strictly into a torchvision ``architecture`` model (ImageNet layout)."""
    if source.path is None:
        return
    try:
        state = torch.load(source.path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ValueError(
            f"{architecture}: cannot read weights file {source.path} as a state_dict: "
            f"{type(error).__name__}: {error}"
        ) from error
    if not isinstance(state, dict):
        raise ValueError(
            f"{architecture}: weights file {source.path} holds a {type(state).__name__}, "
            f"not a state_dict"
        )
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        first_lines = "; ".join(str(error).splitlines()[:3])
        raise ValueError(
            f"{architecture}: weights file {source.path} does not match "
            f"torchvision.models.{architecture}(): {first_lines}"
        ) from error


def vgg19_bn(num_classes: int, source: WeightsSource, dropout: float = 0.5) -> nn.Module:
    """VGG-19 with batch norm, its classifier replaced by global pooling + dropout + linear.

    At FER input sizes (48–100 px) the last feature map is 1–3 px wide; torchvision's
    7×7-pool + 4096-4096 classifier (120 M parameters) would learn from copies of those few
    pixels. The compact head is how FER papers run VGG-19; the loaded ImageNet classifier
    weights are discarded.
    """
    model = models.vgg19_bn()
    load_state(model, source, "vgg19_bn")
    model.avgpool = nn.AdaptiveAvgPool2d(1)
    model.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(512, num_classes))
    return model


def resnet50(num_classes: int, source: WeightsSource, freeze: str = "none") -> nn.Module:
    """ResNet-50 with a new linear head; ``freeze`` fixes the backbone: "head" trains the head
    only, "last" the last stage (layer4) and the head, "none" everything."""
    check_freeze(freeze)
    model = models.resnet50()
    load_state(model, source, "resnet50")
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    trainable = {"head": (model.fc,), "last": (model.layer4, model.fc), "none": (model,)}
    model.requires_grad_(False)
    for module in trainable[freeze]:
        module.requires_grad_(True)
    return model


def check_freeze(freeze: str) -> None:
    """Reject a ``freeze`` value other than head, last or none."""
    if freeze not in FREEZE_CHOICES:
        raise ValueError(f"freeze={freeze!r} is not one of {', '.join(FREEZE_CHOICES)}")
