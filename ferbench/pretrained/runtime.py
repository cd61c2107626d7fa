"""An ONNX file in an onnxruntime session: loaded, hashed, checked, run in batches.

onnxruntime is optional (the ``onnx`` extra), so it is imported only when a model is used,
with an error naming the extra when it is missing.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from ferbench.pretrained.description import ModelDescription, ModelDescriptionError

INSTALL_HINT = "pip install 'ferbench[onnx]'"
CPU, CUDA = "CPUExecutionProvider", "CUDAExecutionProvider"
DEVICES = ("auto", "cpu", "cuda", "mps")
"""What ``device`` may be: "auto" takes CUDA where onnxruntime has it; "mps" (a choice of
``ferbench run --device``) runs on the CPU, as onnxruntime's wheels have no Metal provider."""
INPUT_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64,
               "tensor(float16)": np.float16}


def onnxruntime() -> Any:
    """The onnxruntime module; a clear error naming the extra when it is not installed."""
    try:
        import onnxruntime
    except ImportError:
        raise ModelDescriptionError(f"pretrained ONNX models need onnxruntime: "
                                    f"{INSTALL_HINT}") from None
    return onnxruntime


def providers(device: str) -> list[str]:
    """onnxruntime's execution providers for ``device`` (one of :data:`DEVICES`)."""
    if device not in DEVICES:
        raise ValueError(f"device={device!r} is not one of {', '.join(DEVICES)}")
    available = onnxruntime().get_available_providers()
    if device == "cuda" and CUDA not in available:
        raise ValueError("device='cuda', but this onnxruntime has no CUDA provider (install "
                         "onnxruntime-gpu instead of onnxruntime)")
    cuda = device == "cuda" or (device == "auto" and CUDA in available)
    return [CUDA, CPU] if cuda else [CPU]


def _dims(shape: list[Any]) -> str:
    return "[" + ", ".join(str(d) if isinstance(d, (int, str)) else "?" for d in shape) + "]"


class OnnxModel:
    """The ONNX file of ``description`` in a session on ``device`` with ``threads`` CPU
    threads; ``sha256`` is the hash of the very bytes the session was built from."""

    def __init__(self, description: ModelDescription, device: str = "cpu", threads: int = 2):
        self.description = description
        where = f"{description.file}: onnx = {description.values.get('onnx')!r}"
        if not description.onnx.is_file():
            raise FileNotFoundError(f"{where}: {description.onnx} not found")
        data = description.onnx.read_bytes()
        self.sha256 = hashlib.sha256(data).hexdigest()
        runtime = onnxruntime()
        options = runtime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self.session = runtime.InferenceSession(data, options, providers=providers(device))
        except Exception as error:  # onnxruntime raises its own exception types
            raise ModelDescriptionError(f"{where}: onnxruntime cannot load it: "
                                        f"{str(error).strip().splitlines()[0]}") from None
        self.provider = self.session.get_providers()[0]
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            names = ", ".join(i.name for i in inputs)
            raise ModelDescriptionError(f"{where}: the model takes {len(inputs)} inputs "
                                        f"({names}); ferbench feeds exactly one")
        self.input = inputs[0]
        if self.input.type not in INPUT_TYPES:
            raise ModelDescriptionError(f"{where}: its input {self.input.name!r} is a "
                                        f"{self.input.type}; ferbench feeds float tensors")
        self.output = self._output(where)
        first = self.input.shape[0] if self.input.shape else None
        self.batch = first if isinstance(first, int) and first > 0 else None
        """The batch size the model is fixed to, or None when it takes any."""

    def _output(self, where: str) -> Any:
        outputs = self.session.get_outputs()
        wanted = self.description.output
        if wanted is not None:
            named = [o for o in outputs if o.name == wanted]
            if not named:
                raise ModelDescriptionError(
                    f"{self.description.file}: output = {wanted!r}, but the model's outputs "
                    f"are {', '.join(repr(o.name) for o in outputs)}")
            return named[0]
        scores = [o for o in outputs if o.type in INPUT_TYPES]
        if len(scores) != 1:
            raise ModelDescriptionError(
                f"{where}: the model has {len(scores)} float outputs "
                f"({', '.join(repr(o.name) for o in scores)}); name the one holding the class "
                f"scores with the key 'output'")
        return scores[0]

    def check_input(self, example: np.ndarray) -> None:
        """Refuse, naming the shapes, a model whose declared input does not fit the arrays
        its description makes (``example``: one of them), or that fails on it, or whose
        output width differs from the description's classes."""
        description = self.description
        declared = list(self.input.shape)
        fed = ["N", *example.shape[1:]]
        clash = len(declared) != len(fed) or any(
            isinstance(d, int) and d != f for d, f in zip(declared[1:], fed[1:]))
        feeds = (f"size = {description.size}, color = {description.color!r}, "
                 + (f"features = {description.features!r}" if description.features
                    else f"layout = {description.layout!r}"))
        refused = (f"{description.file}: the model's input {self.input.name!r} has shape "
                   f"{_dims(declared)}, but {feeds} give [{', '.join(map(str, fed))}]")
        if clash:
            raise ModelDescriptionError(refused)
        try:
            scores = self.run(example, batch_size=1)
        except Exception as error:  # onnxruntime raises its own exception types
            raise ModelDescriptionError(f"{refused}, which it refuses: "
                                        f"{str(error).strip().splitlines()[0]}") from None
        width = len(description.classes)
        if scores.shape[1] != width:
            raise ModelDescriptionError(
                f"{description.file}: the model's output {self.output.name!r} has "
                f"{scores.shape[1]} values per face, but 'classes' lists {width}")

    def run(self, inputs: np.ndarray, batch_size: int) -> np.ndarray:
        """The chosen output for ``inputs`` (one row per face) as float64 (N, K), fed in
        batches (of the model's fixed batch size, padded, when it has one)."""
        step = self.batch or batch_size
        dtype = INPUT_TYPES[self.input.type]
        rows = []
        for start in range(0, len(inputs), step):
            chunk = np.ascontiguousarray(inputs[start:start + step], dtype=dtype)
            count = len(chunk)
            if self.batch and count < self.batch:
                padding = np.zeros((self.batch - count, *chunk.shape[1:]), dtype=dtype)
                chunk = np.concatenate([chunk, padding])
            out = self.session.run([self.output.name], {self.input.name: chunk})[0]
            out = np.asarray(out, dtype=np.float64)
            if out.ndim < 2 or len(out) != len(chunk) or any(d != 1 for d in out.shape[2:]):
                raise ModelDescriptionError(
                    f"{self.description.file}: the model's output {self.output.name!r} has "
                    f"shape {list(out.shape)} for {len(chunk)} faces; expected (faces, classes)")
            rows.append(out.reshape(len(chunk), -1)[:count])
        return np.concatenate(rows) if rows else np.empty((0, len(self.description.classes)))
