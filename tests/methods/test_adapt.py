"""Test-time adaptation (AdaBN): a network's BatchNorm statistics re-estimated on the faces it
is about to classify, its weights untouched."""

import numpy as np
import pytest
import torch
from torch import nn

from ferbench.nets.adapt import ADAPT_BATCH, adapt_batchnorm


def network() -> nn.Module:
    """Unpadded convolutions, so a per-pixel affine change of the input is a per-channel
    affine change of the first BatchNorm layer's input, which that layer's statistics undo."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.5),
                         nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)).eval()


def faces(count: int, seed: int = 0) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    return torch.from_numpy(rng.integers(40, 200, (count, 1, 12, 12), dtype=np.uint8))


def test_statistics_are_the_faces_own_and_weights_stay():
    model, images = network(), faces(2 * ADAPT_BATCH)
    adapted = adapt_batchnorm(model, images, mirror=False)
    with torch.no_grad():
        first = model[0](images.float())
    layer = adapted[1]
    assert torch.allclose(layer.running_mean, first.mean(dim=(0, 2, 3)), atol=1e-3)
    assert torch.allclose(layer.running_var, first.var(dim=(0, 2, 3)), rtol=1e-2)
    weights = {k: v for k, v in adapted.state_dict().items() if "running" not in k
               and "num_batches" not in k}
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in weights.items())
    assert not adapted.training and not any(m.training for m in adapted.modules())
    assert torch.equal(model[1].running_mean, torch.zeros(4)), "the original is left as it was"


def test_faces_shifted_in_brightness_and_contrast_get_the_scores_of_the_originals():
    model, originals = network(), faces(300)
    shifted = (originals.float() * 0.5 + 90).round().to(torch.uint8)
    on_source = adapt_batchnorm(model, originals, mirror=False)
    on_target = adapt_batchnorm(model, shifted, mirror=False)
    with torch.no_grad():
        expected = on_source(originals.float()).softmax(1)
        unadapted = on_source(shifted.float()).softmax(1)
        adapted = on_target(shifted.float()).softmax(1)
    assert (unadapted - expected).abs().max() > 0.05
    assert (adapted - expected).abs().max() < 0.02


def test_a_network_without_batchnorm_or_without_faces_is_refused_by_name():
    with pytest.raises(ValueError, match="Sequential has no BatchNorm layer"):
        adapt_batchnorm(nn.Sequential(nn.Conv2d(1, 2, 3)), faces(4), mirror=False)
    with pytest.raises(ValueError, match="no faces"):
        adapt_batchnorm(network(), faces(0), mirror=True)
