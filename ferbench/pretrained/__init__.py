"""Pretrained FER models: an ONNX file and a TOML description, benchmarked without code.

A model TOML file (docs/pretrained.md) says what the ONNX model takes (size, colour, layout,
scaling) and what its outputs are (logits or probabilities over named classes); its path
works wherever a method name does. The model runs in onnxruntime (the ``onnx`` extra) and is
never trained: it is scored within and across datasets on the classes it and each dataset
define, and the report marks its rows, since its training data is not controlled.
"""

from ferbench.pretrained.description import (
    ModelDescription,
    ModelDescriptionError,
    read_model_description,
)
from ferbench.pretrained.method import NOT_CONTROLLED, PRETRAINED, PretrainedMethod
from ferbench.pretrained.registry import (
    described_by,
    is_model_file,
    register_pretrained,
    resolve_method,
)

__all__ = [
    "NOT_CONTROLLED",
    "PRETRAINED",
    "ModelDescription",
    "ModelDescriptionError",
    "PretrainedMethod",
    "described_by",
    "is_model_file",
    "read_model_description",
    "register_pretrained",
    "resolve_method",
]
