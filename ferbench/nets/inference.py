"""Forward passes for validation and prediction: batched, in eval mode, under autocast."""

from __future__ import annotations

import contextlib

import torch
from torch import nn

INFERENCE_BATCH = 256


def autocast(device: torch.device, dtype: torch.dtype) -> contextlib.AbstractContextManager:
    """Mixed precision in ``dtype`` on ``device``; nothing for float32."""
    if dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


def logits(
    model: nn.Module, images: torch.Tensor, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """Float32 logits on the CPU, computed in eval mode, ``INFERENCE_BATCH`` at a time."""
    was_training = model.training
    model.eval()
    outputs = []
    with torch.inference_mode(), autocast(device, dtype):
        for start in range(0, len(images), INFERENCE_BATCH):
            batch = images[start : start + INFERENCE_BATCH].to(device)
            outputs.append(model(batch.float()).float().cpu())
    model.train(was_training)
    return torch.cat(outputs)
