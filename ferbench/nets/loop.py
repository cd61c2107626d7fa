"""The epoch loop of one fit: optimiser and schedule, validation every epoch, early stopping,
a wall-clock budget, and the best checkpoint restored at the end."""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ferbench.nets.augment import Augment
from ferbench.nets.config import TrainConfig
from ferbench.nets.inference import autocast, logits
from ferbench.nets.progress import Progress

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


class TrainingLoop:
    """The state of one ``Trainer.fit`` call: ``model`` trained on ``device`` in ``dtype``,
    shuffled and augmented (``augment``) from ``generator``; ``validation`` says where the
    validation set came from, ``label`` names the method in messages."""

    def __init__(
        self,
        config: TrainConfig,
        model: nn.Module,
        device: torch.device,
        dtype: torch.dtype,
        generator: torch.Generator,
        validation: str,
        label: str,
        augment: Augment | None,
    ):
        self.config, self.augment = config, augment
        self.progress = Progress(config, label)
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
                    f"[{self.progress.label}] training loss became {loss_sum} in epoch {epoch} "
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
            self.progress.epoch(record, report.images_per_s, report.train_seconds, improved)
            if epoch == 1 and config.epochs > 1:
                self.progress.estimate(time.perf_counter() - fit_started)
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
            if self.augment is not None:
                batch = self.augment(batch, self.generator)
            with autocast(self.device, self.dtype):
                loss = loss_fn(self.model(batch), target)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            loss_sum += loss.detach().float()
            self.progress.bar(step + 1, steps_per_epoch)
            if self.deadline is not None and time.perf_counter() > self.deadline:
                return float(loss_sum), step + 1, True
        return float(loss_sum), steps_per_epoch, False

    def _evaluate(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        scores = logits(self.model, images, self.device, self.dtype)
        predicted = scores.argmax(dim=1)
        return {
            "val_loss": float(F.cross_entropy(scores, labels)),
            "accuracy": float((predicted == labels).double().mean()),
            "macro_f1": macro_f1(predicted.numpy(), labels.numpy()),
        }
