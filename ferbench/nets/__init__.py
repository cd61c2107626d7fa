"""Deep networks and the one trainer the deep methods share.

Importing this package imports torch; method plugins import it inside their factories so
that listing methods stays fast on machines without torch.
"""

from ferbench.nets.augment import Augment
from ferbench.nets.backbones import (
    WeightsNotFoundError,
    check_freeze,
    locate_weights,
    resnet50,
    vgg19_bn,
)
from ferbench.nets.config import TrainConfig, check_choice, check_int
from ferbench.nets.loop import TrainReport
from ferbench.nets.method import NetMethod, Standardize, channels, image_input
from ferbench.nets.models import HEADS, MiniXception, PlainCNN, SEResNet
from ferbench.nets.trainer import Trainer

__all__ = [
    "HEADS",
    "Augment",
    "MiniXception",
    "NetMethod",
    "PlainCNN",
    "SEResNet",
    "Standardize",
    "TrainConfig",
    "TrainReport",
    "Trainer",
    "WeightsNotFoundError",
    "channels",
    "check_choice",
    "check_freeze",
    "check_int",
    "image_input",
    "locate_weights",
    "resnet50",
    "vgg19_bn",
]
