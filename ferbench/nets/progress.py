"""What a fit tells the person watching it, on stderr: a bar within each epoch, one line per
epoch, and after the first epoch the expected length of the whole fit."""

from __future__ import annotations

import sys

from ferbench.nets.config import TrainConfig


class Progress:
    """Progress output of one fit under ``config``; ``label`` prefixes every line."""

    def __init__(self, config: TrainConfig, label: str):
        self.config = config
        self.label = label

    def bar(self, step: int, steps: int, width: int = 30) -> None:
        """A progress bar within the epoch, redrawn in place; only on an interactive terminal."""
        if not (self.config.verbose and sys.stderr.isatty()):
            return
        if step != steps and step % max(1, steps // width):
            return
        filled = width * step // steps
        bar = "#" * filled + "." * (width - filled)
        print(f"\r[{self.label}] [{bar}] {step}/{steps}", end="", file=sys.stderr, flush=True)

    def estimate(self, first_epoch_seconds: float) -> None:
        """Before a long fit goes on: its expected length, measured on the first epoch."""
        if not self.config.verbose:
            return
        total = first_epoch_seconds * self.config.epochs
        line = (
            f"[{self.label}] estimated training time {total / 60:.1f} min "
            f"({self.config.epochs} epochs at {first_epoch_seconds:.1f} s, from epoch 1)"
        )
        if self.config.max_minutes is not None and total > 60 * self.config.max_minutes:
            line += (f"; the max_minutes={self.config.max_minutes:g} cap will stop it after "
                     f"about {60 * self.config.max_minutes / first_epoch_seconds:.0f} epochs")
        print(line, file=sys.stderr, flush=True)

    def epoch(self, record: dict[str, float], images_per_s: float, train_seconds: float,
              improved: bool) -> None:
        """One epoch's line: its loss, its validation score (``*`` when it is the best so far)
        and the training speed so far."""
        if not self.config.verbose:
            return
        line = (
            f"[{self.label}] epoch {record['epoch']}/{self.config.epochs} "
            f"loss {record['loss']:.4f}"
        )
        if self.config.monitor in record:
            line += f"  val {self.config.monitor} {record[self.config.monitor]:.4f}"
            line += " *" if improved else "  "
        line += f"  {images_per_s:.0f} img/s  {train_seconds:.1f}s"
        clear = "\r\033[K" if sys.stderr.isatty() else ""
        print(clear + line, file=sys.stderr, flush=True)
