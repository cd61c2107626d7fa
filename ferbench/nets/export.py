"""A trained network as one ONNX graph: pixels in, class probabilities out."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import torch
from torch import nn

from ferbench.nets.augment import hflip

INPUT = "pixels"
OUTPUT = "probabilities"
OPSET = 17
"""The ONNX operator set of an exported network: old enough for onnxruntime 1.17."""


class Probabilities(nn.Module):
    """The network's softmax, averaged with that of the mirrored faces when ``tta`` is on:
    what :meth:`ferbench.nets.Trainer.predict_proba` computes, as one module."""

    def __init__(self, network: nn.Module, tta: bool):
        super().__init__()
        self.network = network
        self.tta = tta

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        probabilities = torch.softmax(self.network(pixels), dim=1)
        if self.tta:
            mirrored = torch.softmax(self.network(hflip(pixels)), dim=1)
            probabilities = (probabilities + mirrored) / 2
        return probabilities


def export_network(network: nn.Module, tta: bool, shape: tuple[int, int, int],
                   path: Path) -> None:
    """Write ``network`` (float (N, C, H, W) pixels in ``shape`` = (C, H, W) in, logits out)
    to ``path`` as :class:`Probabilities`, in float32 on the CPU, for any batch size.

    torch's TorchScript-based exporter: the newer default one needs onnxscript, and the
    pinned torch keeps the older one (its deprecation warning is silenced here)."""
    module = Probabilities(copy.deepcopy(network).cpu().float().eval(), tta).eval()
    example = torch.zeros(2, *shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (example,), str(path), dynamo=False, input_names=[INPUT],
                          output_names=[OUTPUT], opset_version=OPSET,
                          dynamic_axes={INPUT: {0: "faces"}, OUTPUT: {0: "faces"}})
