"""Training throughput of ferbench's shared trainer against a bare PyTorch loop.

Both train the same network (same initial weights) on the same uint8 images with the same
batch size, optimiser (SGD, Nesterov momentum, lr 0.05) and precision (fp32), for the same
number of epochs, each timed around its whole call. The bare loop is what anyone would
write: shuffle, slice, ``float()``, forward, cross-entropy, backward, step. The trainer runs
with ``augment="none"`` and no validation, so the ratio measures its own overhead (schedule,
determinism guard, loss bookkeeping, budget checks); a third row adds its full batch
augmentation (flip, rotation, shift, crop: one ``grid_sample`` per batch). Runs alternate and
the best of ``--repeats`` is kept, which is fairer than a mean on a shared machine.

    python benchmarks/train_speed.py --model seresnet --images 2100 --epochs 2
"""

from __future__ import annotations

import argparse
import copy
import time

import torch
from torch import nn

from ferbench.nets import PlainCNN, SEResNet, Standardize, TrainConfig, Trainer
from ferbench.nets.config import resolve_device
from ferbench.nets.trainer import seeded

MODELS = {
    "cnn": lambda classes: PlainCNN(classes, in_channels=1),
    "seresnet": lambda classes: SEResNet(classes, in_channels=1),
}


def bare_loop(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    epochs: int,
    batch_size: int,
    device: torch.device,
) -> float:
    """Seconds to train ``epochs`` epochs with a plain PyTorch loop."""
    model.to(device).train()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4
    )
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(0)
    started = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(images) - batch_size + 1, batch_size):
            index = order[start : start + batch_size]
            batch = images[index].to(device).float()
            loss = loss_fn(model(batch), labels[index].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started


def trainer_loop(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    epochs: int,
    batch_size: int,
    device: str,
    augment: str,
) -> tuple[float, float]:
    """(seconds for the whole fit, the trainer's own images/s) with ferbench's Trainer."""
    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        optimizer="sgd",
        lr=0.05,
        weight_decay=5e-4,
        augment=augment,
        val_fraction=0,
        device=device,
        precision="fp32",
        verbose=False,
    )
    started = time.perf_counter()
    report = Trainer(config).fit(model, images, labels)
    if torch.device(report.device).type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started, report.images_per_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="seresnet")
    parser.add_argument("--images", type=int, default=2100, help="training images (48x48 gray)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32, help="the methods' default")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    args = parser.parse_args()

    device = resolve_device(args.device)
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (args.images, 1, 48, 48), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, 7, (args.images,), generator=generator)
    with seeded(0):
        reference = nn.Sequential(Standardize([128.0], [64.0]), MODELS[args.model](7))
    trained = (args.images // args.batch_size) * args.batch_size * args.epochs

    best = {"bare loop": 0.0, "trainer": 0.0, "trainer + augmentation": 0.0}
    reported = 0.0
    for _ in range(args.repeats):
        seconds = bare_loop(
            copy.deepcopy(reference), images, labels, args.epochs, args.batch_size, device
        )
        best["bare loop"] = max(best["bare loop"], trained / seconds)
        for name, augment in (("trainer", "none"), ("trainer + augmentation", "full")):
            seconds, own = trainer_loop(
                copy.deepcopy(reference),
                images,
                labels,
                args.epochs,
                args.batch_size,
                args.device,
                augment,
            )
            best[name] = max(best[name], trained / seconds)
            if augment == "none":
                reported = max(reported, own)

    print(
        f"{args.model}, {args.images} images 48x48 gray, batch {args.batch_size}, "
        f"{args.epochs} epochs, device {device}, {torch.get_num_threads()} CPU threads, "
        f"best of {args.repeats}"
    )
    for name, rate in best.items():
        print(f"  {name:24s} {rate:8.1f} images/s  ratio to bare {rate / best['bare loop']:.3f}")
    print(f"  trainer's own images/s (training steps only, its describe()): {reported:.1f}")


if __name__ == "__main__":
    main()
