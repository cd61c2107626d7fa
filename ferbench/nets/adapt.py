"""Test-time adaptation of a trained network to the faces it is about to classify.

A network's BatchNorm layers normalise each channel with the mean and variance it had on the
training faces. Faces from another dataset reach those layers shifted (other cameras,
lighting, framing). AdaBN (Li et al., "Revisiting Batch Normalization for Practical Domain
Adaptation", 2016) re-estimates those statistics on the new faces, without their labels, and
leaves every learned weight as it is.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from ferbench.nets.augment import hflip

ADAPT_BATCH = 256
"""Faces per forward pass while the statistics are gathered."""
BATCHNORM = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def batchnorm_layers(model: nn.Module) -> list[nn.Module]:
    """The model's BatchNorm layers, in order."""
    return [m for m in model.modules() if isinstance(m, BATCHNORM)]


def adapt_batchnorm(model: nn.Module, images: torch.Tensor, mirror: bool) -> nn.Module:
    """A copy of ``model`` whose BatchNorm layers hold the mean and variance of ``images``
    (uint8, (N, C, H, W)), and of their mirror images when ``mirror`` (as flip TTA will show
    them), as each layer sees them; every weight and every other layer unchanged.

    The statistics are the average over near-equal batches of at most :data:`ADAPT_BATCH`
    faces, gathered with the network in eval mode except its BatchNorm layers, so dropout
    stays off.
    """
    if not batchnorm_layers(model):
        raise ValueError(f"{type(model).__name__} has no BatchNorm layer to adapt")
    if len(images) == 0:
        raise ValueError("no faces to adapt the network to")
    adapted = copy.deepcopy(model).eval()
    device = next(adapted.parameters()).device
    for layer in batchnorm_layers(adapted):
        layer.reset_running_stats()
        layer.momentum = None
        layer.train()
    with torch.no_grad():
        for batch in torch.tensor_split(images, -(-len(images) // ADAPT_BATCH)):
            batch = batch.to(device).float()
            adapted(batch)
            if mirror:
                adapted(hflip(batch))
    return adapted.eval()
