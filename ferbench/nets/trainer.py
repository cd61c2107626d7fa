"""The one trainer every deep method shares.

It trains a network on uint8 image tensors with batch augmentation, an SGD/AdamW
optimiser and a per-step cosine or step schedule, validates every epoch, stops early or on
a wall-clock budget, and restores the best checkpoint. Everything random (initialisation,
shuffles, augmentation, dropout) follows ``seed``, so on the CPU the same seed gives the
same predictions.
"""

from __future__ import annotations

import contextlib
import copy
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ferbench.nets.augment import hflip
from ferbench.nets.config import AUGMENTATIONS, TrainConfig, resolve_device, resolve_precision

INFERENCE_BATCH = 256
STEP_MILESTONES = (0.5, 0.75)
"""The step schedule divides the learning rate by 10 at these fractions of training."""


@dataclass
class TrainReport:
    """What happened during ``fit``: the facts a results table needs."""

    stopped_by: str
    epochs_run: int
    best_epoch: int | None
    monitor: str
    best_score: float | None
    images_per_s: float
    train_seconds: float
    device: str
    precision: str
    validation: str
    history: list[dict[str, float]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Everything but the per-epoch history."""
        facts = asdict(self)
        del facts["history"]
        return facts


@contextlib.contextmanager
def seeded(seed: int, device: torch.device | None = None) -> Iterator[None]:
    """Run a block with torch's global RNG seeded, restoring the caller's RNG state after."""
    cuda = [torch.cuda.current_device()] if device is not None and device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield


@contextlib.contextmanager
def kernel_policy(device: torch.device) -> Iterator[None]:
    """Deterministic kernels on the CPU (they cost nothing there), autotuned cuDNN kernels on
    CUDA (fixed input shapes make autotuning pay); the caller's settings come back after."""
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
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
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


def class_weights(labels: torch.Tensor) -> torch.Tensor:
    """Inverse-frequency loss weights ``n / (classes · count)``: 1 everywhere when balanced."""
    counts = torch.bincount(labels).double()
    present = counts > 0
    weights = torch.zeros_like(counts)
    weights[present] = len(labels) / (present.sum() * counts[present])
    return weights.float()


def macro_f1(predicted: np.ndarray, true: np.ndarray) -> float:
    """Mean F1 over the classes present in either array (scikit-learn's macro average)."""
    scores = []
    for label in np.union1d(predicted, true):
        hits = np.sum((predicted == label) & (true == label))
        scores.append(2 * hits / (np.sum(predicted == label) + np.sum(true == label)))
    return float(np.mean(scores))


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
        run = _Run(self, model, device, dtype, generator, validation)
        with kernel_policy(device), seeded(config.seed, device):
            return run.train(images, labels, val)

    def predict_proba(self, model: nn.Module, images: torch.Tensor) -> np.ndarray:
        """Softmax probabilities (N, K) as float64 rows summing to 1, with flip TTA if set."""
        device = next(model.parameters()).device
        dtype = resolve_precision(self.config.precision, device)
        with kernel_policy(device):
            logits = _logits(model, images, device, dtype)
            probabilities = torch.softmax(logits, dim=1)
            if self.config.tta:
                mirrored = _logits(model, hflip(images), device, dtype)
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


def _autocast(device: torch.device, dtype: torch.dtype) -> contextlib.AbstractContextManager:
    if dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


def _logits(
    model: nn.Module, images: torch.Tensor, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """Float32 logits on the CPU, computed in eval mode, ``INFERENCE_BATCH`` at a time."""
    was_training = model.training
    model.eval()
    outputs = []
    with torch.inference_mode(), _autocast(device, dtype):
        for start in range(0, len(images), INFERENCE_BATCH):
            batch = images[start : start + INFERENCE_BATCH].to(device)
            outputs.append(model(batch.float()).float().cpu())
    model.train(was_training)
    return torch.cat(outputs)


def _train_mode(model: nn.Module) -> None:
    """Training mode, except batch norms whose parameters are frozen: a frozen backbone
    keeps its running statistics too."""
    model.train()
    for module in model.modules():
        frozen = getattr(getattr(module, "weight", None), "requires_grad", True) is False
        if isinstance(module, nn.modules.batchnorm._BatchNorm) and frozen:
            module.eval()


def _lr_factor(schedule: str, progress: float) -> float:
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * progress))
    return 0.1 ** sum(progress >= milestone for milestone in STEP_MILESTONES)


class _Run:
    """The state of one ``Trainer.fit`` call."""

    def __init__(
        self,
        trainer: Trainer,
        model: nn.Module,
        device: torch.device,
        dtype: torch.dtype,
        generator: torch.Generator,
        validation: str,
    ):
        self.trainer, self.config = trainer, trainer.config
        self.model = model.to(device)
        self.device, self.dtype, self.generator = device, dtype, generator
        self.validation = validation
        budget = self.config.max_minutes
        self.deadline = None if budget is None else time.perf_counter() + 60 * budget

    def train(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        val: tuple[torch.Tensor, torch.Tensor] | None,
    ) -> TrainReport:
        config, model = self.config, self.model
        parameters = [p for p in model.parameters() if p.requires_grad]
        if not parameters:
            raise ValueError("the model has no trainable parameters (everything is frozen)")
        optimizer = self._optimizer(parameters)
        steps_per_epoch = max(len(images) // config.batch_size, 1)
        total_steps = config.epochs * steps_per_epoch
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: _lr_factor(config.schedule, step / total_steps)
        )
        weights = class_weights(labels).to(self.device) if config.class_weighted else None
        loss_fn = nn.CrossEntropyLoss(weight=weights, label_smoothing=config.label_smoothing)
        scaler = torch.amp.GradScaler(self.device.type, enabled=self.dtype == torch.float16)
        higher_is_better = config.monitor != "val_loss"
        images, labels = images.to(self.device), labels.to(self.device)
        report = TrainReport(
            stopped_by="epochs",
            epochs_run=0,
            best_epoch=None,
            monitor=config.monitor,
            best_score=None,
            images_per_s=0.0,
            train_seconds=0.0,
            device=str(self.device),
            precision=str(self.dtype).removeprefix("torch."),
            validation=self.validation,
        )
        best_state = None
        images_seen = 0
        fit_started = time.perf_counter()
        for epoch in range(1, config.epochs + 1):
            started = time.perf_counter()
            loss_sum, steps, out_of_time = self._epoch(
                images, labels, optimizer, scheduler, loss_fn, scaler, steps_per_epoch
            )
            report.train_seconds += time.perf_counter() - started
            if not math.isfinite(loss_sum):
                raise FloatingPointError(
                    f"[{self.trainer.label}] training loss became {loss_sum} in epoch {epoch} "
                    f"(lr {config.learning_rate}); lower lr or use precision=fp32"
                )
            images_seen += steps * min(config.batch_size, len(images))
            report.epochs_run = epoch
            report.images_per_s = images_seen / report.train_seconds
            record = {"epoch": epoch, "loss": loss_sum / steps}
            improved = False
            if val is not None:
                record.update(self._evaluate(*val))
                score = record[config.monitor]
                improved = report.best_score is None or (
                    score > report.best_score if higher_is_better else score < report.best_score
                )
                if improved:
                    report.best_epoch, report.best_score = epoch, score
                    best_state = copy.deepcopy(model.state_dict())
            report.history.append(record)
            self._log(record, report, improved)
            if epoch == 1 and config.epochs > 1:
                self._log_estimate(time.perf_counter() - fit_started)
            if out_of_time:
                report.stopped_by = "time_budget"
                break
            if self._patience_ran_out(epoch, report):
                report.stopped_by = "early_stopping"
                break
        if best_state is not None:
            model.load_state_dict(best_state)
        return report

    def _patience_ran_out(self, epoch: int, report: TrainReport) -> bool:
        patience = self.config.patience
        return None not in (patience, report.best_epoch) and epoch - report.best_epoch >= patience

    def _optimizer(self, parameters: list[nn.Parameter]) -> torch.optim.Optimizer:
        config = self.config
        if config.optimizer == "sgd":
            return torch.optim.SGD(
                parameters,
                lr=config.learning_rate,
                momentum=0.9,
                nesterov=True,
                weight_decay=config.decay,
            )
        return torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=config.decay)

    def _epoch(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        optimizer: torch.optim.Optimizer,
        scheduler: torch.optim.lr_scheduler.LRScheduler,
        loss_fn: nn.Module,
        scaler: torch.amp.GradScaler,
        steps_per_epoch: int,
    ) -> tuple[float, int, bool]:
        """One pass; returns (summed batch loss, steps taken, whether time ran out)."""
        _train_mode(self.model)
        order = torch.randperm(len(images), generator=self.generator).to(self.device)
        batch_size = min(self.config.batch_size, len(images))
        loss_sum = torch.zeros((), device=self.device)
        for step in range(steps_per_epoch):
            index = order[step * batch_size : (step + 1) * batch_size]
            batch, target = images[index].float(), labels[index]
            if self.trainer.augment is not None:
                batch = self.trainer.augment(batch, self.generator)
            with _autocast(self.device, self.dtype):
                loss = loss_fn(self.model(batch), target)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            loss_sum += loss.detach().float()
            self._show_bar(step + 1, steps_per_epoch)
            if self.deadline is not None and time.perf_counter() > self.deadline:
                return float(loss_sum), step + 1, True
        return float(loss_sum), steps_per_epoch, False

    def _evaluate(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        logits = _logits(self.model, images, self.device, self.dtype)
        predicted = logits.argmax(dim=1)
        return {
            "val_loss": float(F.cross_entropy(logits, labels)),
            "accuracy": float((predicted == labels).double().mean()),
            "macro_f1": macro_f1(predicted.numpy(), labels.numpy()),
        }

    def _show_bar(self, step: int, steps: int, width: int = 30) -> None:
        """A progress bar within the epoch, redrawn in place; only on an interactive terminal."""
        if not (self.config.verbose and sys.stderr.isatty()):
            return
        if step != steps and step % max(1, steps // width):
            return
        filled = width * step // steps
        bar = "#" * filled + "." * (width - filled)
        print(f"\r[{self.trainer.label}] [{bar}] {step}/{steps}", end="", file=sys.stderr,
              flush=True)

    def _log_estimate(self, first_epoch_seconds: float) -> None:
        """Before a long fit goes on: its expected length, measured on the first epoch."""
        if not self.config.verbose:
            return
        total = first_epoch_seconds * self.config.epochs
        line = (
            f"[{self.trainer.label}] estimated training time {total / 60:.1f} min "
            f"({self.config.epochs} epochs at {first_epoch_seconds:.1f} s, from epoch 1)"
        )
        if self.config.max_minutes is not None and total > 60 * self.config.max_minutes:
            line += (f"; the max_minutes={self.config.max_minutes:g} cap will stop it after "
                     f"about {60 * self.config.max_minutes / first_epoch_seconds:.0f} epochs")
        print(line, file=sys.stderr, flush=True)

    def _log(self, record: dict[str, float], report: TrainReport, improved: bool) -> None:
        if not self.config.verbose:
            return
        line = (
            f"[{self.trainer.label}] epoch {record['epoch']}/{self.config.epochs} "
            f"loss {record['loss']:.4f}"
        )
        if self.config.monitor in record:
            line += f"  val {self.config.monitor} {record[self.config.monitor]:.4f}"
            line += " *" if improved else "  "
        line += f"  {report.images_per_s:.0f} img/s  {report.train_seconds:.1f}s"
        clear = "\r\033[K" if sys.stderr.isatty() else ""
        print(clear + line, file=sys.stderr, flush=True)
