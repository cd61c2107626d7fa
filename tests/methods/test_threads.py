"""A network trains to the same numbers whatever the machine's core count or load."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ferbench.nets import PlainCNN, TrainConfig, Trainer  # noqa: E402


def fit_once(available_threads: int) -> np.ndarray:
    """Train a tiny CNN while torch would otherwise use ``available_threads``."""
    torch.set_num_threads(available_threads)
    rng = np.random.default_rng(0)
    images = torch.from_numpy(rng.integers(0, 256, (64, 1, 24, 24), dtype=np.uint8))
    labels = torch.from_numpy(rng.integers(0, 3, 64))
    config = TrainConfig(epochs=2, batch_size=16, device="cpu", verbose=False, augment="flip")
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = PlainCNN(in_channels=1, num_classes=3, width=4, blocks=2, input_size=24)
    trainer = Trainer(config)
    trainer.fit(model, images, labels, None)
    assert torch.get_num_threads() == available_threads  # the caller's setting comes back
    return trainer.predict_proba(model, images)


def test_the_same_network_on_one_thread_or_four():
    previous = torch.get_num_threads()
    try:
        assert np.array_equal(fit_once(1), fit_once(4))
    finally:
        torch.set_num_threads(previous)
