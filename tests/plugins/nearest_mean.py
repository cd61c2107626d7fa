"""A user's method plugin: nearest class mean on raw pixels (used by the plugin tests)."""

import numpy as np

from ferbench import FaceSet, InputSpec, Method, register_method


@register_method("nearest-mean", summary="nearest class mean on 24x24 pixels", in_default_run=False)
class NearestMean(Method):
    input_spec = InputSpec(size=(24, 24), color="gray")

    def fit(self, train: FaceSet, val: FaceSet | None = None) -> "NearestMean":
        pixels = train.images.reshape(len(train), -1).astype(np.float64)
        self.classes_ = train.classes
        self.means_ = np.stack([pixels[train.labels == c].mean(axis=0) for c in self.classes_])
        return self

    def predict_proba(self, faces: FaceSet) -> np.ndarray:
        pixels = faces.images.reshape(len(faces), -1).astype(np.float64)
        distances = ((pixels[:, None, :] - self.means_[None]) ** 2).mean(axis=2)
        scores = np.exp(-(distances - distances.min(axis=1, keepdims=True)) / 100.0)
        return scores / scores.sum(axis=1, keepdims=True)
