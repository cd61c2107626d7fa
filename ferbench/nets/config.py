"""Training parameters: their defaults, their validation, and what they resolve to.

Every field of :class:`TrainConfig` is a method parameter, so a bad value fails when the
method is built, naming the parameter and the accepted values, before anything trains.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import torch

from ferbench.nets.augment import Augment

OPTIMIZERS = ("sgd", "adamw")
SCHEDULES = ("cosine", "step")
MONITORS = ("macro_f1", "accuracy", "val_loss")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
AUGMENTATIONS = {
    "full": Augment(),
    "flip": Augment(rotate_deg=0, shift=0, min_crop=1),
    "full+lowres": Augment(low_res=0.5),
    "full+light": Augment(contrast=0.4, brightness=0.2),
    "full+erase": Augment(erase=0.5),
    "none": None,
}
DEFAULT_LR = {"sgd": 0.01, "adamw": 1e-3}
DEFAULT_WEIGHT_DECAY = {"sgd": 5e-4, "adamw": 0.05}


@dataclass(frozen=True)
class TrainConfig:
    """How to train; every field is a method parameter (``--set seresnet.epochs=30``).

    epochs:          passes over the training set (the upper bound of the budget).
    max_minutes:     wall-clock budget for training; None for none. Checked after every
                     step, so a run stops mid-epoch, validates, and keeps its best weights.
    batch_size:      images per step; the last incomplete batch of an epoch is dropped.
    optimizer:       "sgd" (Nesterov momentum) or "adamw".
    lr, weight_decay: None picks the optimiser's default (SGD 0.01 / 5e-4, AdamW 1e-3 / 0.05).
    schedule:        "cosine" (to zero) or "step" (÷10 at 50 % and 75 %), updated every step.
    label_smoothing: cross-entropy label smoothing in [0, 1).
    class_weighted:  weight the loss by inverse class frequency of the training set.
    patience:        stop after this many epochs without a better ``monitor``; None never.
    monitor:         validation metric that picks the checkpoint: "macro_f1", "accuracy"
                     or "val_loss".
    val_fraction:    with no validation set, hold out this stratified, seeded fraction of
                     train for checkpoint selection and early stopping; 0 trains on all of
                     train for the full budget and keeps the last weights.
    augment:         "full": random flip, ±10° rotation, ±10 % shift and 90–100 % crops;
                     "flip": random horizontal flip only (keeps every face part where it
                     was, which short runs learn fastest); "full+lowres": "full", then half
                     the faces brought down to 40–100 % of their side and back up, as faces
                     from a dataset of smaller images reach the model; "full+light": "full",
                     then each face's contrast scaled by 0.6–1.4 and its brightness
                     shifted by up to ±20 %, as lighting differs between datasets;
                     "full+erase": "full", then half the faces with a rectangle of 2–33 %
                     of the image painted their mean grey, as hands and hair hide parts of
                     faces in photos; "none".
    tta:             average predictions over the image and its mirror at inference.
    device:          "auto" (cuda, then mps, then cpu), "cpu", "cuda" or "mps".
    precision:       "auto" (bf16 autocast on CUDA where supported, else fp16 with a
                     gradient scaler; fp32 elsewhere), "fp32", "bf16" or "fp16" (CUDA only).
    threads:         CPU threads torch computes with. Fixed, not the machine's core count:
                     floating-point sums split over another number of threads round
                     differently, so a fixed number gives the same network on any machine,
                     busy or idle (more threads: faster, other numbers, another cell key).
    seed:            initialisation, shuffles, augmentation and dropout.
    verbose:         one progress line per epoch on stderr.
    """

    epochs: int = 30
    max_minutes: float | None = None
    batch_size: int = 64
    optimizer: str = "adamw"
    lr: float | None = None
    weight_decay: float | None = None
    schedule: str = "cosine"
    label_smoothing: float = 0.0
    class_weighted: bool = False
    patience: int | None = None
    monitor: str = "macro_f1"
    val_fraction: float = 0.1
    augment: str = "full"
    tta: bool = False
    device: str = "auto"
    precision: str = "auto"
    threads: int = 2
    seed: int = 0
    verbose: bool = True

    def __post_init__(self) -> None:
        check_int("epochs", self.epochs, minimum=1)
        check_int("batch_size", self.batch_size, minimum=1)
        check_int("seed", self.seed, minimum=0)
        check_int("threads", self.threads, minimum=1)
        if self.patience is not None:
            check_int("patience", self.patience, minimum=1)
        for name, choices in (
            ("optimizer", OPTIMIZERS),
            ("schedule", SCHEDULES),
            ("monitor", MONITORS),
            ("device", DEVICES),
            ("precision", PRECISIONS),
            ("augment", tuple(AUGMENTATIONS)),
        ):
            check_choice(name, getattr(self, name), choices)
        for name in ("class_weighted", "tta", "verbose"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name}={getattr(self, name)!r} must be true or false")
        _check_range("max_minutes", self.max_minutes, 0, math.inf, optional=True)
        _check_range("lr", self.lr, 0, math.inf, optional=True)
        _check_range("weight_decay", self.weight_decay, 0, math.inf, optional=True, open_low=False)
        _check_range("label_smoothing", self.label_smoothing, 0, 1, open_low=False)
        _check_range("val_fraction", self.val_fraction, 0, 1, open_low=False)
        if self.precision == "fp16" and self.device not in ("auto", "cuda"):
            raise ValueError(f"precision='fp16' needs device='cuda', not {self.device!r}")

    @classmethod
    def from_params(cls, method_params: Iterable[str] = (), **params: Any) -> TrainConfig:
        """A config from keyword parameters; an unknown name is an error listing the known
        ones, including the method's own ``method_params``."""
        fields_ = {f.name for f in fields(cls)}
        unknown = sorted(set(params) - fields_)
        if unknown:
            known = ", ".join(sorted(fields_ | set(method_params)))
            raise ValueError(f"unknown parameter(s) {', '.join(unknown)}; known: {known}")
        return cls(**params)

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]

    @property
    def decay(self) -> float:
        if self.weight_decay is not None:
            return self.weight_decay
        return DEFAULT_WEIGHT_DECAY[self.optimizer]


def check_int(name: str, value: Any, minimum: int) -> None:
    """Reject anything but an integer >= ``minimum`` (booleans too), naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name}={value!r} must be an integer >= {minimum}")


def check_choice(name: str, value: Any, choices: Iterable[str]) -> None:
    """Reject a ``value`` not among ``choices``, naming the parameter and listing them."""
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not one of {', '.join(choices)}")


def _check_range(
    name: str,
    value: Any,
    low: float,
    high: float,
    optional: bool = False,
    open_low: bool = True,
) -> None:
    if value is None and optional:
        return
    low_ok = isinstance(value, (int, float)) and (value > low if open_low else value >= low)
    if isinstance(value, bool) or not low_ok or not value < high:
        bracket = "(" if open_low else "["
        raise ValueError(f"{name}={value!r} must be a number in {bracket}{low}, {high})")


def resolve_device(name: str) -> torch.device:
    """The torch device for a ``device`` parameter; a missing accelerator is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": torch.backends.mps.is_available(),
    }
    if not available[name]:
        raise RuntimeError(f"device={name!r} was requested but this torch build sees no {name}")
    return torch.device(name)


def resolve_precision(name: str, device: torch.device) -> torch.dtype:
    """The autocast dtype (float32 = no autocast) for a ``precision`` parameter."""
    if name == "auto":
        if device.type != "cuda":
            return torch.float32
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if name == "fp16" and device.type != "cuda":
        raise ValueError(f"precision='fp16' needs a CUDA device, got {device}")
    return {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[name]
