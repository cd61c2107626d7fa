"""Complete cell keys, and cells scored over a label space fixed before any test label."""

from __future__ import annotations

import numpy as np
import pytest

from ferbench import FaceSet, InputSpec, Method, Splits, create_method, emotion_index
from ferbench.eval.protocols import Job, plan_jobs
from ferbench.features import VERSIONS
from ferbench.run.job import Inputs, JobContext, _score
from ferbench.run.keys import job_key, method_identity, params_key, resolved_identity

pytest.importorskip("torch")

CHANGED = {"epochs": 7, "max_minutes": 9.0, "batch_size": 16, "optimizer": "sgd", "lr": 0.05,
           "weight_decay": 0.01, "schedule": "step", "label_smoothing": 0.1,
           "class_weighted": True, "patience": 3, "monitor": "accuracy", "val_fraction": 0.2,
           "augment": "full", "tta": True, "precision": "fp32", "threads": 1, "seed": 5}


def faces(n: int = 8, labels=None, subjects=None) -> FaceSet:
    labels = np.asarray(labels if labels is not None else [i % 2 for i in range(n)])
    return FaceSet(np.zeros((len(labels), 8, 8), dtype=np.uint8), labels,
                   subjects=np.asarray(subjects if subjects is not None else [""] * len(labels)))


JOB = Job("toy", None, faces(), None, [])


def key_of(name: str, budget: str | None = None, **params) -> tuple[str, str]:
    identity = method_identity(name, params,
                               resolved_identity(create_method(name, **params), budget))
    return job_key(name, identity, JOB, params.get("seed", 0)), params_key(name, identity)


def test_every_training_setting_passed_through_enters_the_key():
    """cnn takes the trainer's settings through **train: each one still changes its key."""
    base = key_of("cnn")
    assert set(CHANGED) >= {"class_weighted", "patience", "val_fraction", "precision"}
    for field, value in CHANGED.items():
        job, pooled = key_of("cnn", **{field: value})
        assert job != base[0], f"cnn's job key ignores {field}"
        if field != "seed":
            assert pooled != base[1], f"cnn's params key ignores {field}"
    assert key_of("cnn", seed=5)[1] == base[1]  # seeds of one setting pool together


def test_the_resolved_device_and_precision_enter_the_key():
    resolved = resolved_identity(create_method("cnn"), None)["resolved"]["train"]
    assert resolved["device"] in ("cpu", "cuda", "mps") and resolved["device"] != "auto"
    assert resolved["precision"].startswith("torch.")


def test_the_budget_and_a_feature_version_enter_the_key(monkeypatch):
    assert key_of("svm", budget="quick") != key_of("svm", budget="standard")
    before = key_of("svm", features="hog")
    monkeypatch.setitem(VERSIONS, "hog", VERSIONS["hog"] + "-changed")
    assert key_of("svm", features="hog") != before


class Contempt(Method):
    """Always says contempt, whatever it is shown."""

    input_spec = InputSpec()

    def fit(self, train, val=None):
        self.classes_ = train.classes
        return self

    def predict_proba(self, test):
        proba = np.zeros((len(test), len(self.classes_)))
        proba[:, list(self.classes_).index(emotion_index("contempt"))] = 1.0
        return proba


def test_a_fold_without_a_class_can_still_be_predicted_as_that_class():
    """Subject s0 holds the only contempt faces; its fold's test set has none, yet the cell
    scores over the dataset's whole label space, so a contempt prediction counts as one."""
    happy, contempt = emotion_index("happiness"), emotion_index("contempt")
    labels = [contempt, happy] + [happy] * 10
    subjects = ["s0", "s0"] + [f"s{1 + i % 5}" for i in range(10)]
    splits = {"ck": Splits(train=faces(labels=labels, subjects=subjects), kfold=3)}
    jobs = plan_jobs(splits, ("within",), seed=0)
    without = [j for j in jobs if contempt not in j.targets[0].faces.labels]
    assert without and all(j.targets[0].classes == (happy, contempt) for j in jobs)
    job = next(j for j in without if contempt in j.train.labels)
    method = Contempt().fit(job.train)
    record, _ = _score(method, job.targets[0], {}, JobContext(False, 0, {}), Inputs(None))
    assert record["classes"] == ["happiness", "contempt"]
    assert set(record["y_pred"]) == {contempt} and record["metrics"]["accuracy"] == 0.0


def test_a_cross_cell_scores_the_classes_both_datasets_define():
    happy, sad, contempt = (emotion_index(c) for c in ("happiness", "sadness", "contempt"))
    splits = {"a": Splits(train=faces(labels=[happy, sad, contempt, happy]),
                          test=faces(labels=[happy, sad])),
              "b": Splits(train=faces(labels=[happy, sad]), test=faces(labels=[happy]))}
    targets = {(j.train_dataset, t.protocol, t.dataset): t.classes
               for j in plan_jobs(splits, ("within", "cross"), seed=0) for t in j.targets}
    assert targets[("a", "within", "a")] == (happy, sad, contempt)
    assert targets[("a", "cross", "b")] == (happy, sad)  # b's test holds only happy faces
    assert targets[("b", "within", "b")] == (happy, sad)
