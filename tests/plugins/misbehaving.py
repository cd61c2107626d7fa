"""Methods that misbehave on purpose: one fails in fit, one kills its own process (a lost
Ray worker), one is slow (for kill/resume tests), one is stopped by a time cap."""

import os
import time

import numpy as np

from ferbench import FaceSet, InputSpec, Method, register_method


@register_method("explode", summary="raises in fit (tests failure isolation)",
                 in_default_run=False)
class Explode(Method):
    input_spec = InputSpec(size=(24, 24))

    def fit(self, train: FaceSet, val: FaceSet | None = None) -> "Explode":
        raise RuntimeError("boom: this plugin always fails")

    def predict_proba(self, faces: FaceSet) -> np.ndarray:
        raise AssertionError("never fitted")


@register_method("die", summary="kills its process in fit (tests a lost Ray worker; never "
                 "run it in the driver)", in_default_run=False)
class Die(Explode):
    def fit(self, train: FaceSet, val: FaceSet | None = None) -> "Die":
        os._exit(3)


@register_method("sleepy", summary="majority class after a pause (tests kill and resume)",
                 in_default_run=False,
                 budgets={"quick": {"delay": 0.01}, "standard": {"delay": 0.02}, "full": {}})
class Sleepy(Method):
    input_spec = InputSpec(size=(24, 24))

    def __init__(self, delay: float = 0.5):
        super().__init__(delay=delay)
        self.delay = delay

    def fit(self, train: FaceSet, val: FaceSet | None = None) -> "Sleepy":
        time.sleep(self.delay)
        self.classes_ = train.classes
        counts = np.array([np.sum(train.labels == c) for c in self.classes_], dtype=float)
        self.prior_ = counts / counts.sum()
        return self

    def predict_proba(self, faces: FaceSet) -> np.ndarray:
        return np.tile(self.prior_, (len(faces), 1))


@register_method("capped", summary="a fit a time cap stopped early (tests incomplete cells)",
                 in_default_run=False)
class Capped(Sleepy):
    def __init__(self, delay: float = 0.0):
        super().__init__(delay=delay)

    def describe(self) -> dict:
        return {"stopped_by": "time_budget", "epochs_run": 1}
