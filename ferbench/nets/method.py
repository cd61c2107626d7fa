"""NetMethod: any network behind the ferbench Method contract, trained by the shared Trainer."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps
from torch import nn

from ferbench.core.faceset import FaceSet
from ferbench.core.method import InputSpec, Method
from ferbench.nets.adapt import adapt_batchnorm, batchnorm_layers
from ferbench.nets.backbones import IMAGENET_MEAN, IMAGENET_STD
from ferbench.nets.config import TrainConfig, check_int, resolve_device, resolve_precision
from ferbench.nets.export import export_network
from ferbench.nets.loop import TrainReport
from ferbench.nets.trainer import Trainer, seeded

COLORS = ("gray", "rgb")
WEIGHTS_FILE = "weights.safetensors"
NETWORK_FILE = "network.json"
NORMALIZATIONS = ("dataset", "imagenet", "face", "equalized")


class Standardize(nn.Module):
    """Per-channel ``(x - mean) / std`` on 0–255 pixels: the network's first layer, so the
    statistics it was trained with are saved and restored with its weights."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class StandardizeEach(nn.Module):
    """Each face minus its own mean, over its own standard deviation (at least 1 grey
    level): the network's first layer, so a face's overall brightness and contrast, which
    differ between datasets, never reach the network."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        std = x.std(dim=(1, 2, 3), keepdim=True, correction=0).clamp(min=1.0)
        return (x - mean) / std


def image_input(input_size: int, color: str, minimum_size: int = 16) -> InputSpec:
    """The InputSpec of a network fed ``input_size``² images in ``color``."""
    check_int("input_size", input_size, minimum=minimum_size)
    if color not in COLORS:
        raise ValueError(f"color={color!r} is not one of {', '.join(COLORS)}")
    return InputSpec(size=(input_size, input_size), color=color)


def channels(color: str) -> int:
    """Input channels of a network fed ``color`` images."""
    return 3 if color == "rgb" else 1


class NetMethod(Method):
    """A network from ``build(num_classes)`` trained by :class:`Trainer` under ``train``.

    input_size, color: the square view the harness prepares (gray is one channel, rgb three);
                       ``minimum_size`` is the smallest the architecture can take.
    normalization:     "dataset" standardises with the training set's channel statistics;
                       "imagenet" with ImageNet's, as pretrained weights expect; "face"
                       each face with its own mean and standard deviation; "equalized"
                       histogram-equalizes each face (each channel of a colour one) before
                       fit and predict, as some copies of a dataset were filtered, then
                       standardises as "dataset" does: faces of any contrast then look
                       alike to the network (no ONNX export: the graph cannot equalize).
    model_params:      the architecture's parameters, recorded with the results.
    facts:             extra facts for ``describe()`` (e.g. where the weights came from).
    train:             TrainConfig fields (epochs, lr, device, seed, …), validated here.
    """

    family = "deep"
    score_kind = "softmax of the network's logits (mirror-averaged when tta is on)"

    def __init__(
        self,
        build: Callable[..., nn.Module],
        *,
        input_size: int,
        color: str,
        normalization: str = "dataset",
        minimum_size: int = 16,
        model_params: dict[str, Any] | None = None,
        facts: dict[str, Any] | None = None,
        **train: Any,
    ):
        model_params = dict(model_params or {})
        super().__init__(**model_params, input_size=input_size, color=color, **train)
        if normalization not in NORMALIZATIONS:
            raise ValueError(
                f"normalization={normalization!r} is not one of {', '.join(NORMALIZATIONS)}"
            )
        self.input_spec = image_input(input_size, color, minimum_size)
        self.config = TrainConfig.from_params(
            method_params=[*model_params, "input_size", "color"], **train
        )
        self.build = build
        self.normalization = normalization
        self.facts = dict(facts or {})
        self.model: nn.Module | None = None
        self.trainer: Trainer | None = None
        self.report: TrainReport | None = None

    def identity(self) -> dict[str, Any]:
        """Every training setting, pass-through ones included, with the device and precision
        that "auto" resolves to on this machine; not the seed, nor progress output."""
        device = resolve_device(self.config.device)
        settings = {f.name: getattr(self.config, f.name) for f in fields(self.config)
                    if f.name not in ("seed", "verbose")}
        settings.update(device=str(device),
                        precision=str(resolve_precision(self.config.precision, device)))
        return {"train": settings, "normalization": self.normalization}

    def fit(self, train: FaceSet, val: FaceSet | None = None) -> NetMethod:
        train = self._view(train)
        self.classes_ = train.classes
        images, labels = _images(train), self._labels(train)
        val_tensors = None
        if val is not None:
            val = self._view(val).with_classes(self.classes_)
            val_tensors = (_images(val), self._labels(val)) if len(val) else None
        with seeded(self.config.seed):
            network = self.build(num_classes=len(self.classes_))
        self.model = nn.Sequential(self._standardize(images), network)
        self.trainer = Trainer(self.config, label=self.name or type(self).__name__)
        self.report = self.trainer.fit(self.model, images, labels, val_tensors)
        return self

    def predict_proba(self, faces: FaceSet) -> np.ndarray:
        if self.model is None or self.trainer is None:
            raise RuntimeError(f"method {self.name or type(self).__name__}: call fit() first")
        return self.trainer.predict_proba(self.model, _images(self._view(faces)))

    def adapted(self, faces: FaceSet) -> NetMethod | None:
        """A copy whose BatchNorm statistics are those of ``faces`` (AdaBN,
        :mod:`ferbench.nets.adapt`), mirrored faces included under ``tta``; weights, classes
        and configuration shared. None for a network without BatchNorm layers."""
        if self.model is None:
            raise RuntimeError(f"method {self.name or type(self).__name__}: call fit() first")
        if not batchnorm_layers(self.model):
            return None
        twin = copy.copy(self)
        twin.model = adapt_batchnorm(self.model, _images(self._view(faces)), self.config.tta)
        return twin

    def save(self, directory: Path) -> None:
        """The whole network's state (its input standardisation included) as safetensors."""
        from safetensors.torch import save_file

        if self.model is None:
            raise RuntimeError(f"method {self.name or type(self).__name__}: call fit() first")
        state = {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
        save_file(state, str(directory / WEIGHTS_FILE))
        (directory / NETWORK_FILE).write_text(json.dumps({"num_classes": len(self.classes_)}))

    def load(self, directory: Path) -> None:
        from safetensors.torch import load_file

        num_classes = json.loads((directory / NETWORK_FILE).read_text())["num_classes"]
        if num_classes != len(self.classes_):
            raise ValueError(f"{directory / NETWORK_FILE}: {num_classes} outputs for "
                             f"{len(self.classes_)} classes")
        depth = channels(self.input_spec.color)
        first = (StandardizeEach() if self.normalization == "face"
                 else Standardize([0.0] * depth, [1.0] * depth))
        model = nn.Sequential(first, self.build(num_classes=num_classes))
        model.load_state_dict(load_file(str(directory / WEIGHTS_FILE)), strict=True)
        self.model = model.to(resolve_device(self.config.device)).eval()
        self.trainer = Trainer(self.config, label=self.name or type(self).__name__)

    def export_onnx(self, path: Path) -> dict[str, Any]:
        """The network with its input standardisation and its softmax (mirror-averaged when
        ``tta`` is on) as one graph, fed 0–255 pixels as float (N, C, H, W)."""
        if self.model is None:
            raise RuntimeError(f"method {self.name or type(self).__name__}: call fit() first")
        if self.normalization == "equalized":
            raise ValueError(f"method {self.name or type(self).__name__}: normalization="
                             f"'equalized' equalizes faces outside the network, which an ONNX "
                             f"graph cannot do; export a network trained with another "
                             f"normalization")
        size, depth = self.input_spec.size[0], channels(self.input_spec.color)
        export_network(self.model, self.config.tta, (depth, size, size), path)
        return {"size": size, "color": self.input_spec.color, "layout": "nchw", "scale": 1.0,
                "mean": [0.0] * depth, "std": [1.0] * depth, "outputs": "probabilities"}

    def describe(self) -> dict[str, Any]:
        facts: dict[str, Any] = {**self.facts, "normalization": self.normalization}
        if self.model is not None:
            parameters = list(self.model.parameters())
            facts["parameters"] = sum(p.numel() for p in parameters)
            facts["trainable_parameters"] = sum(p.numel() for p in parameters if p.requires_grad)
        if self.report is not None:
            facts.update(self.report.summary())
        return facts

    def _view(self, faces: FaceSet) -> FaceSet:
        """The faces as ``input_spec`` asks (a no-op when the harness prepared them),
        equalized under ``normalization="equalized"``."""
        faces = faces.gray() if self.input_spec.color == "gray" else faces.rgb()
        faces = faces.resized(self.input_spec.size)
        if self.normalization != "equalized":
            return faces
        return replace(faces, images=equalize(faces.images), features={})

    def _labels(self, faces: FaceSet) -> torch.Tensor:
        """Class indices 0..K-1 into ``classes_`` (faces of training classes only)."""
        return torch.from_numpy(np.searchsorted(self.classes_, faces.labels))

    def _standardize(self, images: torch.Tensor) -> nn.Module:
        if self.normalization == "face":
            return StandardizeEach()
        if self.normalization == "imagenet":
            return Standardize([255 * m for m in IMAGENET_MEAN], [255 * s for s in IMAGENET_STD])
        return Standardize(*channel_statistics(images))


def equalize(images: np.ndarray) -> np.ndarray:
    """Each uint8 face (N, H, W) or (N, H, W, 3) histogram-equalized, channel by channel,
    as Pillow's ``ImageOps.equalize`` does it."""
    return np.stack([np.asarray(ImageOps.equalize(Image.fromarray(image))) for image in images]
                    ) if len(images) else images


def _images(faces: FaceSet) -> torch.Tensor:
    """The faces as a uint8 (N, C, H, W) tensor."""
    array = faces.images if faces.images.flags.writeable else faces.images.copy()
    images = torch.from_numpy(array)
    images = images.unsqueeze(1) if images.ndim == 3 else images.permute(0, 3, 1, 2)
    return images.contiguous()


def channel_statistics(images: torch.Tensor, chunk: int = 1024) -> tuple[list[float], list[float]]:
    """Per-channel mean and standard deviation (at least 1) of uint8 (N, C, H, W) images,
    summed in chunks so a large training set is never copied whole as floats."""
    total = torch.zeros(images.shape[1], dtype=torch.float64)
    squares = torch.zeros_like(total)
    for start in range(0, len(images), chunk):
        block = images[start : start + chunk].double()
        total += block.sum(dim=(0, 2, 3))
        squares += block.square().sum(dim=(0, 2, 3))
    count = images.numel() / images.shape[1]
    mean = total / count
    std = (squares / count - mean.square()).clamp(min=1.0).sqrt()
    return mean.tolist(), std.tolist()
