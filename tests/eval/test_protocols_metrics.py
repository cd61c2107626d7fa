import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from ferbench import FaceSet, Splits
from ferbench.data.splits import subject_kfold
from ferbench.eval.metrics import score
from ferbench.eval.protocols import check_sources, plan_jobs
from ferbench.predict.crops import _as_training_faces


def faceset(n, classes=(0, 3), subjects=None, name="d"):
    labels = np.resize(np.array(classes), n)
    return FaceSet(np.zeros((n, 4, 4), np.uint8), labels, subjects=subjects, dataset=name)


def test_subject_kfold_never_splits_a_subject_and_covers_everyone():
    subjects = np.array([f"s{i % 13}" for i in range(100)])
    folds = subject_kfold(subjects, k=5, seed=3)
    assert len(folds) == 5
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested.tolist()) == list(range(100))
    for train, test in folds:
        assert not set(subjects[train]) & set(subjects[test])
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, subject_kfold(subjects, 5, 3)))


def test_subject_kfold_rejects_too_few_subjects():
    with pytest.raises(ValueError, match="3 subjects cannot fill k=5"):
        subject_kfold(np.array(["a", "b", "c"]), k=5, seed=0)


def test_plan_trains_once_per_dataset_and_kfolds_datasets_without_test():
    official = Splits(train=faceset(20), val=faceset(4), test=faceset(6, name="a"))
    kfold = Splits(train=faceset(30, subjects=[f"p{i % 6}" for i in range(30)]), kfold=3)
    jobs = plan_jobs({"a": official, "ck": kfold}, ("within", "cross"), seed=0)
    described = [(j.train_dataset, j.fold, [(t.protocol, t.dataset) for t in j.targets])
                 for j in jobs]
    assert described == [
        ("a", None, [("within", "a"), ("cross", "ck")]),
        ("ck", 0, [("within", "ck")]),
        ("ck", 1, [("within", "ck")]),
        ("ck", 2, [("within", "ck")]),
        ("ck", None, [("cross", "a")]),
    ]
    assert len(jobs[0].targets[1].faces) == 30  # all of CK+ is the cross-database target
    within_only = plan_jobs({"a": official, "ck": kfold}, ("within",), seed=0)
    assert [j.fold for j in within_only] == [None, 0, 1, 2]
    with pytest.raises(ValueError, match="unknown protocol"):
        plan_jobs({"a": official}, ("diagonal",), seed=0)


def _described(jobs):
    return [(j.train_dataset, j.fold, [(t.protocol, t.dataset) for t in j.targets]) for j in jobs]


def test_sources_are_the_only_datasets_trained_and_are_scored_on_every_target():
    official = Splits(train=faceset(20), val=faceset(4), test=faceset(6, name="a"))
    kfold = Splits(train=faceset(30, subjects=[f"p{i % 6}" for i in range(30)]), kfold=3)
    other = Splits(train=faceset(10), test=faceset(8, name="c"))
    splits = {"ck": kfold, "a": official, "c": other}
    assert _described(plan_jobs(splits, ("within", "cross"), 0, sources=["a"])) == [
        ("a", None, [("within", "a"), ("cross", "ck"), ("cross", "c")])]
    assert _described(plan_jobs(splits, ("cross",), 0, sources=["a"])) == [
        ("a", None, [("cross", "ck"), ("cross", "c")])]
    # two sources: each is scored on the targets, never on the other source
    assert _described(plan_jobs(splits, ("within", "cross"), 0, sources=["a", "ck"])) == [
        ("ck", 0, [("within", "ck")]), ("ck", 1, [("within", "ck")]),
        ("ck", 2, [("within", "ck")]), ("ck", None, [("cross", "c")]),
        ("a", None, [("within", "a"), ("cross", "c")])]
    with pytest.raises(ValueError, match=r"source dataset\(s\) \['b'\] are not among"):
        plan_jobs(splits, ("cross",), 0, sources=["b"])


def test_a_cross_target_reaches_the_model_as_the_source_stores_its_faces():
    """A 100-px RGB dataset scored by a model trained on 48-px gray faces is brought to 48-px
    gray first, exactly as predict brings a photo's face; the same-shape target is untouched."""
    rng = np.random.default_rng(0)
    small = Splits(train=FaceSet(rng.integers(0, 256, (6, 48, 48), np.uint8), np.zeros(6, int),
                                 dataset="small"), kfold=2)
    large_faces = FaceSet(rng.integers(0, 256, (4, 100, 100, 3), np.uint8), np.zeros(4, int),
                          dataset="large", split="test")
    large = Splits(train=large_faces, test=large_faces)
    jobs = plan_jobs({"small": small, "large": large}, ("cross",), 0)
    from_small = next(j for j in jobs if j.train_dataset == "small").targets[0]
    assert from_small.faces.images.shape == (4, 48, 48)
    as_photos = _as_training_faces(list(large_faces.images), (48, 48))
    np.testing.assert_array_equal(from_small.faces.images, as_photos.images)
    from_large = next(j for j in jobs if j.train_dataset == "large").targets[0]
    assert from_large.faces.images.shape == (6, 100, 100, 3)
    assert from_large.faces.fingerprint != small.as_target().fingerprint
    same = plan_jobs({"small": small, "twin": Splits(train=small.train, kfold=2)}, ("cross",), 0)
    assert same[0].targets[0].faces.fingerprint == small.train.fingerprint


@pytest.mark.parametrize("sources, targets, protocols, message", [
    (["rafdb"], [], ("within", "cross"), "--train rafdb needs --test"),
    ([], ["ckplus", "jaffe"], ("cross",), "--test ckplus,jaffe needs --train"),
    (["rafdb"], ["ckplus", "rafdb"], ("cross",), "--train and --test both name 'rafdb'"),
    (["rafdb"], ["ckplus"], ("within",), "--protocol within with --test"),
])
def test_a_bad_source_target_selection_is_named(sources, targets, protocols, message):
    with pytest.raises(ValueError, match=message):
        check_sources(sources, targets, protocols)


def test_a_good_selection_or_none_passes():
    check_sources([], [], ("within",))
    check_sources(["rafdb"], ["ckplus", "fer2013"], ("cross",))


def test_scores_match_scikit_learn():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 200)
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, 4, 200))
    result = score(y_true, y_pred, np.arange(4))
    assert result["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert result["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert result["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y_true, y_pred))
    assert np.sum(result["confusion"]) == 200


def test_scores_reject_predictions_outside_the_scored_classes():
    with pytest.raises(ValueError, match="outside the scored"):
        score(np.array([0, 1]), np.array([0, 5]), np.array([0, 1]))
    with pytest.raises(ValueError, match="empty test set"):
        score(np.array([]), np.array([]), np.array([0, 1]))
