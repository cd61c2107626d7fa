"""Every test registers its own pretrained models: they are unregistered after it."""

import pytest

from ferbench.core.registry import METHODS
from ferbench.data.described import DESCRIBED_BY


@pytest.fixture(autouse=True)
def forget_pretrained_models():
    yield
    for entry in METHODS.entries():
        if DESCRIBED_BY in entry.details:
            METHODS.unregister(entry.name)
