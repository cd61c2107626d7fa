"""The one trainer every deep method shares.

It trains a network on uint8 image tensors with batch augmentation, an SGD/AdamW
optimiser and a per-step cosine or step schedule, validates every epoch, stops early or on
a wall-clock budget, and restores the best checkpoint. Everything random (initialisation,
shuffles, augmentation, dropout) follows ``seed``, so on the CPU the same seed gives the
same predictions.

The loop itself is :mod:`ferbench.nets.loop`, its output :mod:`ferbench.nets.progress`, and
the forward passes of validation and prediction :mod:`ferbench.nets.inference`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch
from torch import nn

from ferbench.nets.augment import hflip
from ferbench.nets.config import AUGMENTATIONS, TrainConfig, resolve_device, resolve_precision
from ferbench.nets.inference import logits
from ferbench.nets.loop import TrainingLoop, TrainReport


@contextlib.contextmanager
def seeded(seed: int, device: torch.device | None = None) -> Iterator[None]:
    """Run a block with torch's global RNG seeded, restoring the caller's RNG state after."""
    cuda = [torch.cuda.current_device()] if device is not None and device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield


@contextlib.contextmanager
def kernel_policy(device: torch.device, threads: int) -> Iterator[None]:
    """Deterministic kernels on ``threads`` CPU threads (the same numbers whatever the
    machine), autotuned cuDNN kernels on CUDA (fixed input shapes make autotuning pay); the
    caller's settings come back after."""
    if device.type == "cuda":
        previous_benchmark = torch.backends.cudnn.benchmark
        torch.backends.cudnn.benchmark = True
        try:
            yield
        finally:
            torch.backends.cudnn.benchmark = previous_benchmark
        return
    if device.type != "cpu":
        yield
        return
    previous = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    previous_threads = torch.get_num_threads()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous_threads)
        torch.use_deterministic_algorithms(previous, warn_only=warn_only)


def stratified_holdout(
    labels: torch.Tensor, fraction: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, held-out) indices: ``fraction`` of every class, at least one sample of each
    class always staying in train."""
    keep, hold = [], []
    for label in torch.unique(labels):
        members = torch.nonzero(labels == label).flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        count = min(round(fraction * len(members)), len(members) - 1)
        hold.append(members[:count])
        keep.append(members[count:])
    return torch.sort(torch.cat(keep)).values, torch.sort(torch.cat(hold)).values


class Trainer:
    """Fits and runs networks whose input is a uint8 (N, C, H, W) tensor, per ``config``.

    ``label`` prefixes the progress lines (the method's name).
    """

    def __init__(self, config: TrainConfig, label: str = "net"):
        self.config = config
        self.label = label
        self.augment = AUGMENTATIONS[config.augment]

    def fit(
        self,
        model: nn.Module,
        images: torch.Tensor,
        labels: torch.Tensor,
        val: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> TrainReport:
        """Train ``model`` in place on ``images``/``labels`` (class indices 0..K-1).

        ``val`` steers checkpoint selection and early stopping; without it, see
        ``TrainConfig.val_fraction``. The uint8 training set moves to the device once
        (N·C·H·W bytes); validation and inference stream in batches. The model ends on the
        training device with its best (or, without validation, last) weights.
        """
        config = self.config
        _check_batch(images, labels, "training")
        device = resolve_device(config.device)
        dtype = resolve_precision(config.precision, device)
        generator = torch.Generator().manual_seed(config.seed)
        validation = "given"
        if val is not None:
            _check_batch(*val, "validation")
        elif config.val_fraction > 0:
            train_index, val_index = stratified_holdout(labels, config.val_fraction, generator)
            if len(val_index):
                val = (images[val_index], labels[val_index])
                images, labels = images[train_index], labels[train_index]
                validation = f"{config.val_fraction:.0%} of train"
        if val is None:
            validation = "none"
        run = TrainingLoop(config, model, device, dtype, generator, validation, self.label,
                           self.augment)
        with kernel_policy(device, config.threads), seeded(config.seed, device):
            return run.train(images, labels, val)

    def predict_proba(self, model: nn.Module, images: torch.Tensor) -> np.ndarray:
        """Softmax probabilities (N, K) as float64 rows summing to 1, with flip TTA if set."""
        device = next(model.parameters()).device
        dtype = resolve_precision(self.config.precision, device)
        with kernel_policy(device, self.config.threads):
            probabilities = torch.softmax(logits(model, images, device, dtype), dim=1)
            if self.config.tta:
                mirrored = logits(model, hflip(images), device, dtype)
                probabilities = (probabilities + torch.softmax(mirrored, dim=1)) / 2
        result = probabilities.double().numpy()
        return result / result.sum(axis=1, keepdims=True)


def _check_batch(images: torch.Tensor, labels: torch.Tensor, what: str) -> None:
    if images.dtype != torch.uint8 or images.ndim != 4:
        raise ValueError(
            f"{what} images must be a uint8 (N, C, H, W) tensor, got {images.dtype} "
            f"{tuple(images.shape)}"
        )
    if len(images) != len(labels):
        raise ValueError(f"{what}: {len(images)} images but {len(labels)} labels")
    if what == "training" and len(images) < 2:
        raise ValueError(f"training needs at least 2 images, got {len(images)}")
