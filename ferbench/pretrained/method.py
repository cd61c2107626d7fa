"""A pretrained ONNX model behind the Method contract: never trained, only scored."""

from __future__ import annotations

from typing import Any

import numpy as np

from ferbench.classical import feature_rows, feature_specs
from ferbench.core.faceset import FaceSet
from ferbench.core.labels import EMOTIONS
from ferbench.core.method import InputSpec, Method
from ferbench.features import prepare
from ferbench.pretrained.description import ModelDescription, ModelDescriptionError
from ferbench.pretrained.runtime import OnnxModel

PRETRAINED = "pretrained"
"""The family of these methods, which the report marks in every table."""
NOT_CONTROLLED = "pretrained (training data not controlled)"


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class PretrainedMethod(Method):
    """The ONNX model a TOML file describes (docs/pretrained.md), run by onnxruntime.

    It is not trained: ``fit`` only records the training classes it is scored against (those
    it and the training set both define). Building it opens and checks the model, so a file,
    input shape or output width that does not fit fails before any data is read.
    device:     "auto" (CUDA where onnxruntime has it), "cpu", "cuda".
    batch_size: faces per onnxruntime call (a model fixed to a batch size gets its own).
    threads:    CPU threads of the session.
    """

    family = PRETRAINED
    needs_training_faces = False

    def __init__(self, description: ModelDescription, device: str = "auto",
                 batch_size: int = 64, threads: int = 2):
        for key, value in (("batch_size", batch_size), ("threads", threads)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{key} must be an int >= 1, got {value!r}")
        super().__init__(device=device, batch_size=batch_size, threads=threads)
        self.description = description
        self.batch_size = batch_size
        size = (description.size, description.size)
        specs = feature_specs(description.features, description.size) \
            if description.features else ()
        self.input_spec = InputSpec(size=size, color="gray" if description.color == "gray"
                                    else "rgb", features=specs)
        self.score_kind = ("softmax of the model's logits" if description.outputs == "logits"
                           else "the model's own probabilities")
        self.onnx = OnnxModel(description, device, threads)
        self.model_classes = np.asarray(description.classes, dtype=np.int64)
        self.classes_ = np.sort(self.model_classes)
        blank = FaceSet(np.zeros((1, *size, *((3,) if self.input_spec.color == "rgb" else ())),
                                 dtype=np.uint8), np.zeros(1, dtype=np.int64))
        self.onnx.check_input(self.inputs(prepare(blank, self.input_spec)))

    def inputs(self, faces: FaceSet) -> np.ndarray:
        """What the model is fed for ``faces`` (prepared as :attr:`input_spec` asks)."""
        described = self.description
        if described.features:
            return feature_rows(faces, self.input_spec.features, self.name)[0]
        pixels = faces.images.astype(np.float32)
        if pixels.ndim == 3:
            pixels = pixels[..., None]
        if described.color == "bgr":
            pixels = pixels[..., ::-1]
        mean = np.asarray(described.mean, dtype=np.float32)
        std = np.asarray(described.std, dtype=np.float32)
        pixels = (pixels / np.float32(described.scale) - mean) / std
        return pixels.transpose(0, 3, 1, 2) if described.layout == "nchw" else pixels

    def fit(self, train: FaceSet, val: FaceSet | None = None) -> PretrainedMethod:
        shared = np.intersect1d(self.model_classes, train.classes)
        if not len(shared):
            ours = ", ".join(EMOTIONS[c] for c in np.sort(self.model_classes))
            theirs = ", ".join(EMOTIONS[c] for c in train.classes)
            raise ValueError(f"{self.name}: the model's classes ({ours}) and the training "
                             f"set's ({theirs}) share none")
        self.classes_ = shared
        return self

    def predict_proba(self, faces: FaceSet) -> np.ndarray:
        scores = self.onnx.run(self.inputs(faces), self.batch_size)
        if self.description.outputs == "logits":
            scores = _softmax(scores)
        elif not np.all(scores >= -1e-6):
            raise ModelDescriptionError(
                f"{self.description.file}: outputs = \"probabilities\", but the model gave "
                f"negative scores (down to {scores.min():.3g}); are they logits?")
        position = {int(c): i for i, c in enumerate(self.model_classes)}
        scores = np.clip(scores[:, [position[int(c)] for c in self.classes_]], 0, None)
        totals = scores.sum(axis=1, keepdims=True)
        return np.divide(scores, totals, out=np.full_like(scores, 1 / scores.shape[1]),
                         where=totals > 0)

    def identity(self) -> dict[str, Any]:
        """The ONNX file's content hash, the description as written, and the provider:
        a changed model file is never served from the store."""
        return {"onnx_sha256": self.onnx.sha256, "description": self.description.values,
                "provider": self.onnx.provider}

    def describe(self) -> dict[str, Any]:
        described = self.description
        info = {PRETRAINED: NOT_CONTROLLED, "onnx": str(described.onnx),
                "onnx_sha256": self.onnx.sha256, "described_by": str(described.file),
                "input": described.pixels, "provider": self.onnx.provider}
        if described.features:
            info["features"] = described.features
        return info
