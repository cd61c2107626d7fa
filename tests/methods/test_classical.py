import dataclasses
import sys

import numpy as np
import pytest

import ferbench.classical
from ferbench import features
from ferbench.cli import main
from ferbench.testing import MethodContractError, check_method, toy_faces
from tests.conftest import TEST_PLUGINS


@pytest.mark.parametrize("name", ["svm", "knn", "rf", "xgboost"])
def test_builtin_classical_method_passes_conformance(name):
    assert "same seed, same predictions" in check_method(name)


def test_conformance_check_catches_a_broken_method():
    from ferbench import InputSpec, Method

    class AlwaysFirst(Method):
        input_spec = InputSpec(size=(24, 24))

        def fit(self, train, val=None):
            self.classes_ = train.classes
            return self

        def predict_proba(self, faces):
            import numpy as np

            return np.ones((len(faces), len(self.classes_)))  # rows sum to K, not 1

    with pytest.raises(MethodContractError, match="rows must sum to 1"):
        check_method(AlwaysFirst)


def test_svm_solvers_and_bad_values():
    from ferbench import create_method

    with pytest.raises(ValueError, match="solver='fast' is not one of"):
        create_method("svm", solver="fast")
    with pytest.raises(ValueError, match="features='sift' is not one of hog, landmarks"):
        create_method("rf", features="sift")
    train = toy_faces((0, 3, 4), 10)
    svm = create_method("svm", solver="nystroem", nystroem_components=20)
    prepared = features.prepare(train, svm.input_spec)
    assert svm.fit(prepared).describe()["solver"] == "nystroem"
    steps = svm.estimator_.pipeline.named_steps
    reduced = steps["pca"].transform(steps["standardscaler"].transform(
        svm.feature_matrix(prepared)))
    # SVC's gamma="scale" on the features the map sees (its training rows add mirror images),
    # not Nystroem's 1 / n_features
    assert steps["nystroem"].gamma == pytest.approx(1 / (reduced.shape[1] * reduced.var()),
                                                    rel=0.01)


def test_svm_kernel_auto_is_chosen_on_inner_folds_of_the_training_faces(monkeypatch):
    from ferbench import create_method

    svm_class = type(create_method("svm"))
    svm_plugin = sys.modules[svm_class.__module__]
    with pytest.raises(ValueError, match="kernel='poly' is not one of auto, linear, rbf"):
        create_method("svm", kernel="poly")
    with pytest.raises(ValueError, match="cannot be combined with kernel='linear'"):
        create_method("svm", kernel="linear", solver="nystroem")
    spec = create_method("svm").input_spec
    few = create_method("svm").fit(features.prepare(toy_faces((0, 3, 4), 10), spec)).describe()
    assert few["kernel"] == "rbf" and "kernel_inner_accuracy" not in few
    train = features.prepare(toy_faces((0, 3, 4), 25), spec)
    chosen = create_method("svm").fit(train).describe()
    scores = chosen["kernel_inner_accuracy"]
    assert set(scores) == {"linear", "rbf"} and all(0 <= v <= 1 for v in scores.values())
    assert chosen["kernel"] == ("linear" if scores["linear"] > scores["rbf"] else "rbf")
    assert chosen["pca_components"] == min(svm_plugin.PCA_COMPONENTS[chosen["kernel"]], 150)
    for linear, rbf, expected in ((0.9, 0.8, "linear"), (0.8, 0.8, "rbf"), (0.7, 0.8, "rbf")):
        monkeypatch.setattr(svm_class, "_inner_fold_scores",
                            lambda self, *_, s={"linear": linear, "rbf": rbf}: s)
        assert create_method("svm").fit(train).describe()["kernel"] == expected
    monkeypatch.setattr(svm_plugin, "KERNEL_CHOICE_LIMIT", len(train) - 1)
    large = create_method("svm").fit(train).describe()
    assert large["kernel"] == "rbf" and "kernel_inner_accuracy" not in large
    forced = create_method("svm", kernel="linear", pca_components=5).fit(train).describe()
    assert (forced["kernel"], forced["pca_components"]) == ("linear", 5)


def _fits_of(svm, train, monkeypatch) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (rows, targets) of every pipeline fit while ``svm`` fits ``train``, in order."""
    seen = []
    real_pipeline = type(svm)._pipeline

    def spying(self, kernel, n_samples, n_features, solver):
        model = real_pipeline(self, kernel, n_samples, n_features, solver)
        fit = model.fit
        model.fit = lambda x, y: (seen.append((x, y)), fit(x, y))[1]
        return model

    monkeypatch.setattr(type(svm), "_pipeline", spying)
    svm.fit(train)
    return seen


def test_svm_inner_folds_keep_a_subject_and_the_mirror_images_together(monkeypatch):
    from ferbench import create_method

    faces = toy_faces((0, 3, 4), 20)
    subjects = np.array([f"s{i % 12}" for i in range(len(faces))])
    train = features.prepare(dataclasses.replace(faces, subjects=subjects),
                             create_method("svm").input_spec)
    svm = create_method("svm")
    seen = [rows for rows, _ in _fits_of(svm, train, monkeypatch)]
    own, mirrored = svm.feature_matrix(train), svm.feature_matrix(svm.mirrored_faces(train))
    assert len(seen) == 2 * 3 + 1  # each kernel on 3 inner folds, then the final fit
    for rows in seen[:-1]:
        used = [i for i in range(len(own)) if (rows == own[i]).all(axis=1).any()]
        assert 0 < len(used) < len(own) and len(rows) == 2 * len(used)
        assert all((rows == mirrored[i]).all(axis=1).any() for i in used)
        for subject in set(subjects):
            inside = [i in used for i in np.flatnonzero(subjects == subject)]
            assert all(inside) or not any(inside), f"subject {subject} split across folds"
def test_svm_compares_kernels_on_a_bounded_sample_of_the_training_faces(monkeypatch):
    from ferbench import create_method

    with pytest.raises(ValueError, match="kernel_choice_faces must be an int of at least 60"):
        create_method("svm", kernel_choice_faces=10)
    train = features.prepare(toy_faces((0, 3, 4), 40), create_method("svm").input_spec)
    svm = create_method("svm", kernel_choice_faces=60, mirror=False)
    seen = [targets for _, targets in _fits_of(svm, train, monkeypatch)]
    inner, final = seen[:-1], seen[-1]
    assert len(inner) == 2 * 3 and len(final) == len(train) == 120
    # each face of the 60-face sample is in the training part of 2 of the 3 inner folds
    assert sum(len(rows) for rows in inner[:3]) == 2 * 60
    assert np.bincount(np.concatenate(inner[:3])).tolist() == [40, 40, 40]  # stratified
    scores = svm.describe()["kernel_inner_accuracy"].values()
    assert all(round(score * 60, 2).is_integer() for score in scores)  # out of the 60


def test_method_without_prepared_features_says_how_to_prepare():
    from ferbench import create_method

    with pytest.raises(ValueError, match=r"carry no hog\(.*\) features.*prepare"):
        create_method("knn").fit(toy_faces((0, 3), 5))


def test_hog_is_extracted_once_per_split_and_shared_by_classifiers_and_runs(tmp_path):
    features.EXTRACTIONS.clear()
    base = ["run", "--plugins", str(TEST_PLUGINS), "--datasets", "toy-a", "--protocol",
            "within", "--cache-dir", str(tmp_path / "cache"), "--reports", str(tmp_path / "rep")]
    assert main([*base, "--methods", "svm,knn,rf,xgboost", "--out", str(tmp_path / "a")]) == 0
    hog = {key: n for key, n in features.EXTRACTIONS.items() if key.startswith("hog")}
    assert list(hog.values()) == [4, 4]  # both scales: train, its mirror, val, test, once each
    assert main([*base, "--methods", "svm,knn", "--out", str(tmp_path / "b")]) == 0
    assert sum(n for k, n in features.EXTRACTIONS.items() if k.startswith("hog")) == 8


def test_hog_plus_landmarks_end_to_end_names_the_features(tmp_path):
    pytest.importorskip("dlib")
    small = ["--set", "synth-fer.n_train=70", "--set", "synth-fer.n_val=14",
             "--set", "synth-fer.n_test=35"]
    code = main(["run", "--methods", "svm,rf", "--datasets", "synth-fer", *small,
                 "--set", "svm.features=hog+landmarks", "--set", "rf.features=landmarks",
                 "--out", str(tmp_path / "run"), "--reports", str(tmp_path / "rep"),
                 "--cache-dir", str(tmp_path / "cache")])
    assert code == 0
    from ferbench.results.store import ResultStore

    info = {r["method"]: r["method_info"] for r in ResultStore(tmp_path / "run").records()}
    assert info["svm"]["features"] == "hog+landmarks" and info["rf"]["features"] == "landmarks"
    boxes = info["svm"]["landmark_boxes"]
    assert boxes["detector_box"] + boxes["whole_image"] == 70
    leaderboard = (tmp_path / "rep" / "run" / "README.md").read_text()
    assert "| hog+landmarks" in leaderboard and "| landmarks" in leaderboard
    assert f"svm on synth-fer: detector box {boxes['detector_box']}" in leaderboard


def test_small_training_sets_are_mirrored_unless_told_otherwise(monkeypatch):
    from ferbench import create_method

    train = toy_faces((0, 3, 4), 10)
    fitted_rows = []
    for mirror, expected in (("auto", True), (False, False)):
        knn = create_method("knn", mirror=mirror, k=1)
        knn.fit(features.prepare(train, knn.input_spec))
        fitted_rows.append(knn.estimator_[-1].n_samples_fit_)
        assert knn.describe()["mirrored_training_faces"] is expected
    assert fitted_rows == [60, 30]
    monkeypatch.setattr(ferbench.classical, "MIRROR_LIMIT", 29)
    knn = create_method("knn")
    assert knn.fit(features.prepare(train, knn.input_spec)).describe()[
        "mirrored_training_faces"] is False
    with pytest.raises(ValueError, match="mirror must be auto, true or false, got 'yes'"):
        create_method("svm", mirror="yes")


def test_a_plugin_built_on_the_public_base_gets_features_mirroring_and_saving():
    from sklearn.linear_model import LogisticRegression

    class Logistic(ferbench.classical.FeatureClassifier):
        """Logistic regression: all a classical plugin writes is its estimator."""

        def __init__(self, features: str = "hog", seed: int = 0):
            super().__init__(features, image_size=48, seed=seed)

        def _estimator(self, n_samples, n_features):
            return LogisticRegression(max_iter=200)

    assert "saved and reloaded, same scores" in check_method(Logistic)
    method = Logistic()
    assert method.input_spec.features == ferbench.classical.feature_specs("hog", 48)
    train = features.prepare(toy_faces((0, 3, 4), 10), method.input_spec)
    assert method.fit(train).estimator_.n_features_in_ == method.feature_matrix(train).shape[1]
    assert method.describe() == {"features": "hog", "mirrored_training_faces": True}


def test_classical_fit_and_scores_run_on_fixed_blas_threads_whatever_the_caller_allows(
        monkeypatch):
    """The same numbers under ``taskset -c 0`` as on the reference machine: the SVD in PCA
    rounds differently on 1 and 2 BLAS threads."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from ferbench import create_method

    seen = []
    original = ferbench.classical.SoftmaxDecision.fit

    def spying_fit(self, x, y):
        seen.append({lib["internal_api"]: lib["num_threads"] for lib in threadpool_info()})
        return original(self, x, y)

    monkeypatch.setattr(ferbench.classical.SoftmaxDecision, "fit", spying_fit)
    svm = create_method("svm", kernel="rbf", features="hog")
    faces = features.prepare(toy_faces((0, 3, 4), 10), svm.input_spec)
    with threadpool_limits(1):
        svm.fit(faces)
        assert threadpool_info()[0]["num_threads"] == 1
    assert seen and seen[0]["openblas"] == ferbench.classical.NUMERIC_THREADS



@pytest.mark.parametrize("classes", [2, 4])
def test_one_vs_one_scores_equal_scikit_learns_with_each_kernel_evaluated_once(classes):
    from sklearn.multiclass import OneVsOneClassifier
    from sklearn.svm import SVC

    rng = np.random.default_rng(0)
    rows = rng.normal(size=(120, 6))
    targets = np.arange(120) % classes
    rows[:, 0] += targets
    pairs = OneVsOneClassifier(SVC(C=10.0, gamma="scale")).fit(rows, targets)
    new = rng.normal(size=(40, 6))
    new[:, 0] += np.arange(40) % classes

    assert np.array_equal(ferbench.classical.one_vs_one_decision(pairs, new),
                          pairs.decision_function(new))


def test_svm_scores_through_its_pipeline_equal_the_pipelines_own_decision_values():
    from sklearn.multiclass import OneVsOneClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    rng = np.random.default_rng(1)
    rows = rng.normal(size=(90, 5)) * 10
    targets = np.arange(90) % 3
    pipeline = make_pipeline(StandardScaler(), OneVsOneClassifier(SVC()))
    model = ferbench.classical.SoftmaxDecision(pipeline).fit(rows, targets)

    expected = pipeline.decision_function(rows)
    expected = np.exp(expected - expected.max(axis=1, keepdims=True))
    assert np.allclose(model.predict_proba(rows), expected / expected.sum(axis=1, keepdims=True),
                       rtol=0, atol=1e-15)


def test_chunk_average_fits_disjoint_stratified_chunks_and_averages_their_decisions():
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.multiclass import OneVsOneClassifier
    from sklearn.svm import SVC

    class Recorder(ClassifierMixin, BaseEstimator):
        def fit(self, x, y):
            self.rows_, self.classes_ = x[:, -1].astype(int), np.unique(y)
            return self

    rng = np.random.default_rng(2)
    targets = np.arange(300) % 3
    rows = np.column_stack([rng.normal(size=300) + 4 * targets, np.arange(300)])
    recorded = ferbench.classical.ChunkAverage(Recorder(), chunks=3).fit(rows, targets)
    chunks = [member.rows_ for member in recorded.estimators_]
    assert sorted(np.concatenate(chunks)) == list(range(300))  # each row in one chunk
    assert all(np.abs(np.bincount(targets[c], minlength=3) - 100 / 3).max() < 1
               for c in chunks)  # stratified: a third of each class per chunk

    model = ferbench.classical.ChunkAverage(OneVsOneClassifier(SVC()), chunks=3).fit(
        rows[:, :1], targets)
    expected = np.mean([m.decision_function(rows[:, :1]) for m in model.estimators_], axis=0)
    assert np.allclose(model.decision_function(rows[:, :1]), expected, rtol=0, atol=1e-12)
    assert np.mean(model.predict(rows[:, :1]) == targets) > 0.9
    with pytest.raises(ValueError, match="chunks must be an int of at least 2"):
        ferbench.classical.ChunkAverage(SVC(), chunks=1).fit(rows, targets)


def test_svm_chunked_solver_trains_on_chunks_and_survives_saving(tmp_path):
    from ferbench import create_method

    with pytest.raises(ValueError, match="chunk_faces must be an int of at least 60"):
        create_method("svm", chunk_faces=10)
    train = toy_faces((0, 3, 4), 40)
    svm = create_method("svm", solver="chunked", chunk_faces=60, kernel="rbf", mirror=False)
    prepared = features.prepare(train, svm.input_spec)
    info = svm.fit(prepared).describe()
    assert (info["solver"], info["chunks"], info["kernel"]) == ("chunked", 2, "rbf")

    svm.save(tmp_path)
    loaded = create_method("svm", solver="chunked", chunk_faces=60, kernel="rbf", mirror=False)
    loaded.load(tmp_path)
    assert np.array_equal(loaded.predict_proba(prepared), svm.predict_proba(prepared))


def test_svm_auto_solver_is_exact_up_to_its_limit_and_chunked_above(monkeypatch):
    from ferbench import create_method

    train = toy_faces((0, 3, 4), 40)
    svm = create_method("svm", chunk_faces=60, kernel="rbf", mirror=False)
    prepared = features.prepare(train, svm.input_spec)
    assert svm.fit(prepared).describe()["solver"] == "exact"
    monkeypatch.setattr(sys.modules[type(svm).__module__], "EXACT_SVM_LIMIT", 100)
    info = svm.fit(prepared).describe()
    assert (info["solver"], info["chunks"]) == ("chunked", 2)


def _refuse_extraction(*args, **kwargs):
    raise AssertionError("the classifier extracted mirror-image features itself")


def test_mirror_images_features_are_prepared_once_cached_and_equal_to_extracting_them(tmp_path):
    from ferbench import create_method

    spec = create_method("knn", features="hog").input_spec
    cache = features.FeatureCache(tmp_path)
    prepared = features.prepare(toy_faces((0, 3), 4), spec, cache)
    mirrored = features.with_mirrored(prepared, spec, cache)
    for feature in spec.features:
        flipped = np.ascontiguousarray(prepared.images[:, :, ::-1])
        np.testing.assert_array_equal(mirrored.features[features.MIRRORED + feature.key],
                                      features.extract(flipped, feature))
    before = dict(features.EXTRACTIONS)
    again = features.with_mirrored(features.prepare(toy_faces((0, 3), 4), spec, cache), spec,
                                   cache)
    assert dict(features.EXTRACTIONS) == before
    assert again.features.keys() == mirrored.features.keys()


def test_a_classifier_trains_on_the_mirror_features_prepared_for_it_with_the_same_result(
        monkeypatch):
    from ferbench import create_method

    spec = create_method("knn", features="hog").input_spec
    train = features.prepare(toy_faces((0, 3, 4), 10), spec)
    test = features.prepare(toy_faces((0, 3, 4), 3, seed=5), spec)
    plain = create_method("knn", features="hog", k=1).fit(train)
    with_mirror_features = features.with_mirrored(train, spec)
    monkeypatch.setattr(ferbench.classical, "with_mirrored", _refuse_extraction)
    prepared = create_method("knn", features="hog", k=1).fit(with_mirror_features)
    assert prepared.describe()["mirrored_training_faces"] is True
    np.testing.assert_array_equal(plain.predict_proba(test), prepared.predict_proba(test))


def test_the_runner_prepares_mirror_features_outside_the_timed_fit(monkeypatch, tmp_path):
    from ferbench import create_method

    assert create_method("svm").mirrors(ferbench.classical.MIRROR_LIMIT)
    assert not create_method("svm").mirrors(ferbench.classical.MIRROR_LIMIT + 1)
    assert not create_method("knn", mirror=False).mirrors(10)
    assert not create_method("cnn").mirrors(10)
    monkeypatch.setattr(ferbench.classical, "with_mirrored", _refuse_extraction)
    code = main(["run", "--plugins", str(TEST_PLUGINS), "--datasets", "toy-a", "--protocol",
                 "within", "--methods", "knn", "--cache-dir", str(tmp_path / "cache"),
                 "--out", str(tmp_path / "run"), "--reports", str(tmp_path / "rep")])
    assert code == 0
    assert "| knn" in (tmp_path / "rep" / "run" / "README.md").read_text()
