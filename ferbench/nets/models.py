"""Networks trained from scratch on small face crops: a plain CNN, an SE-ResNet and
mini-Xception.

Both end by default in a linear classifier over the *flattened* last feature map
(``head="flatten"``) rather than global average pooling (``head="pool"``). On aligned faces
a feature means different things in different places (a curve at the mouth, a curve at the
brow), and keeping the layout lets a short run learn that directly; a short run on synth-fer
learned far better with the flattened head than with global pooling (docs/decisions.md). The
price is a head sized for one input size.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def _conv_bn_relu(in_channels: int, out_channels: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


HEADS = ("flatten", "pool")


def _classifier(channels: int, side: int, num_classes: int, dropout: float, head: str
                ) -> nn.Sequential:
    """A (channels, side, side) map flattened (``head="flatten"``) or averaged over its
    positions (``"pool"``), then dropout and a linear layer."""
    if side < 1:
        raise ValueError("the input is too small for this many downsampling steps")
    if head == "pool":
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout),
                             nn.Linear(channels, num_classes))
    return nn.Sequential(
        nn.Flatten(), nn.Dropout(dropout), nn.Linear(channels * side * side, num_classes)
    )


class PlainCNN(nn.Module):
    """VGG-style baseline: ``blocks`` × (two 3×3 conv-BN-ReLU, 2×2 max-pool), doubling width.

    The textbook FER2013 baseline: no residuals, no attention, nothing a reader has to
    look up, so that every other network has a floor to beat.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int = 1,
        input_size: int = 48,
        width: int = 12,
        blocks: int = 3,
        dropout: float = 0.3,
        head: str = "flatten",
    ):
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        for block in range(blocks):
            out = width * 2**block
            layers += [_conv_bn_relu(channels, out), _conv_bn_relu(out, out), nn.MaxPool2d(2)]
            channels = out
        self.features = nn.Sequential(*layers)
        self.head = _classifier(channels, input_size >> blocks, num_classes, dropout, head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class SqueezeExcitation(nn.Module):
    """Channel attention (Hu et al., 2018): rescale channels by a gate from their means."""

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        hidden = max(channels // reduction, 4)
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(channels, hidden, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, 1),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)


class SEBasicBlock(nn.Module):
    """ResNet basic block (two 3×3 convs) with squeeze-and-excitation before the sum."""

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            _conv_bn_relu(in_channels, out_channels, stride),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            SqueezeExcitation(out_channels),
        )
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.body(x) + self.shortcut(x))


class SEResNet(nn.Module):
    """SE-ResNet for small faces: 3×3 stride-1 stem and no max-pool, so a 48×48 input keeps
    48×48 resolution in the first stage (ImageNet's 7×7/2 stem + pool would leave 12×12).

    ``depth`` blocks per stage (ResNet-18: 2, 2, 2, 2); stage ``i`` has ``width · 2^i``
    channels and halves the resolution from the second stage on.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int = 1,
        input_size: int = 48,
        depth: Sequence[int] = (2, 2, 2, 2),
        width: int = 8,
        dropout: float = 0.2,
        head: str = "flatten",
    ):
        super().__init__()
        self.stem = _conv_bn_relu(in_channels, width)
        stages: list[nn.Module] = []
        channels, side = width, input_size
        for stage, blocks in enumerate(depth):
            out = width * 2**stage
            for block in range(blocks):
                stride = 2 if stage > 0 and block == 0 else 1
                stages.append(SEBasicBlock(channels, out, stride))
                channels, side = out, -(-side // stride)
        self.stages = nn.Sequential(*stages)
        self.head = _classifier(channels, side, num_classes, dropout, head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))


class SeparableConv(nn.Sequential):
    """A 3×3 depthwise convolution, then a 1×1 pointwise one (Keras' ``SeparableConv2D``)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(
            nn.Conv2d(in_channels, in_channels, 3, padding=1, groups=in_channels, bias=False),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
        )


class XceptionModule(nn.Module):
    """Two separable convolutions and a 3×3 stride-2 max-pool, plus a strided 1×1 shortcut."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.body = nn.Sequential(
            SeparableConv(in_channels, out_channels),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            SeparableConv(out_channels, out_channels),
            nn.BatchNorm2d(out_channels),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        self.shortcut = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1, stride=2, bias=False),
            nn.BatchNorm2d(out_channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.shortcut(x)


class MiniXception(nn.Module):
    """Mini-Xception (Arriaga, Valdenegro-Toro and Plöger, 2017), the classifier of the `fer`
    package: two unpadded 3×3 conv-BN-ReLU of ``width`` channels, four Xception modules of
    2, 4, 8 and 16 × ``width``, then a 3×3 convolution to the classes averaged over the map.
    About 60,000 weights at ``width=8``, the published size.
    """

    def __init__(self, num_classes: int, in_channels: int = 1, input_size: int = 64,
                 width: int = 8):
        super().__init__()
        if input_size - 4 < 16:
            raise ValueError("mini-Xception needs an input of at least 20 px")
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, width, 3, bias=False), nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
        ]
        channels = width
        for stage in range(1, 5):
            layers.append(XceptionModule(channels, width * 2**stage))
            channels = width * 2**stage
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Conv2d(channels, num_classes, 3, padding=1),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
