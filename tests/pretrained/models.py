"""Tiny ONNX models built with onnx.helper (never downloaded), and descriptions of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="pretrained models need the onnx extra")
pytest.importorskip("onnxruntime", reason="pretrained models need the onnx extra")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

FOUR = ["anger", "happiness", "sadness", "neutral"]
"""toy-a's classes, in canonical order."""


def _save(path: Path, nodes: list[Any], inputs: list[Any], outputs: list[Any],
          initializers: list[Any] = ()) -> Path:
    graph = helper.make_graph(nodes, "tiny", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # what every onnxruntime >= 1.17 reads
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def pooled_model(path: Path, channels: int = 1, classes: int = 4, layout: str = "nchw",
                 shape: list[Any] | None = None, seed: int = 0) -> Path:
    """Per-channel mean brightness times random weights: (N, channels) → (N, classes) logits.
    ``shape``: the declared input shape (default: any batch, any size)."""
    axes = [2, 3] if layout == "nchw" else [1, 2]
    declared = shape or (["N", channels, "H", "W"] if layout == "nchw" else
                         ["N", "H", "W", channels])
    weights = np.random.default_rng(seed).normal(size=(channels, classes)).astype(np.float32)
    nodes = [helper.make_node("ReduceMean", ["x"], ["pooled"], axes=axes, keepdims=0),
             helper.make_node("MatMul", ["pooled", "w"], ["logits"])]
    return _save(path, nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, declared)],
                 [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", classes])],
                 [numpy_helper.from_array(weights, "w")])


def flat_model(path: Path, shape: list[Any], width: int, outputs: int = 1) -> Path:
    """Its input flattened: (N, ...) → (N, width), so a test sees what the model was fed;
    ``outputs`` > 1 adds copies named ``copy1``, ``copy2``…"""
    nodes = [helper.make_node("Flatten", ["x"], ["flat"], axis=1)]
    names = ["flat"] + [f"copy{i}" for i in range(1, outputs)]
    nodes += [helper.make_node("Identity", ["flat"], [name]) for name in names[1:]]
    return _save(path, nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                 [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", width])
                  for n in names])


def describe(folder: Path, onnx_file: str = "model.onnx", name: str = "tiny",
             **keys: Any) -> Path:
    """A model TOML in ``folder``: name, onnx, then ``keys`` (defaults: size 8, gray,
    logits, toy-a's four classes)."""
    values = {"name": name, "onnx": onnx_file, "size": 8, "color": "gray",
              "outputs": "logits", "classes": FOUR, **keys}
    lines = []
    for key, value in values.items():
        if value is None:
            continue
        text = repr(value).replace("'", '"') if not isinstance(value, bool) else str(value)
        lines.append(f"{key} = {text}")
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path
