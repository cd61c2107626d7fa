"""The model `ferbench predict` uses by default, and soft-vote ensembles of saved models."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ferbench.cli import main
from ferbench.predict.choice import Ensemble, ModelChoiceError, choose_model, load_choice
from ferbench.predict.saved import load_model
from ferbench.results.store import ResultStore


def record(method, protocol, train, test, accuracy, model=True, seed=0, **extra):
    """A stored cell with only what the choice reads."""
    name = f"{method}__{protocol}__{train}__{test}__{extra.get('train_fraction')}__s{seed}"
    return {"cell": name, "method": method, "protocol": protocol, "train": train, "test": test,
            "fold": None, "seed": seed, "status": "ok", "n_train": 100 if train == "a" else 50,
            "metrics": {"accuracy": accuracy},
            **({"model": f"models/{method}__{train}__s{seed}"} if model else {}), **extra}


@pytest.fixture
def run_dir(tmp_path):
    store = ResultStore(tmp_path)
    for cell in (record("svm", "within", "a", "a", 0.99), record("svm", "cross", "a", "b", 0.5),
                 record("knn", "within", "a", "a", 0.70), record("knn", "cross", "a", "b", 0.6),
                 record("svm", "within", "b", "b", 0.90), record("svm", "cross", "b", "a", 0.7),
                 record("knn", "cross", "b", "a", 0.9, train_fraction=0.5)):
        store.put(cell)
    return tmp_path


def test_the_default_is_the_best_cross_dataset_accuracy_and_says_so(run_dir):
    choice = choose_model(run_dir)
    assert (choice.method, choice.train) == ("svm", "b")  # not svm on a, best within a
    assert choice.paths == (((run_dir / "models" / "svm__b__s0").resolve(),),)
    assert choice.voted == "" and "cross-dataset accuracy, 0.700 on a" in choice.reason
    assert choose_model(run_dir, method="knn").train == "a"  # knn's learning curve is ignored


def test_a_run_ensemble_competes_and_an_asked_one_needs_every_member(run_dir):
    store = ResultStore(run_dir)
    store.put(record("svm+knn", "cross", "a", "b", 0.8, model=False))
    choice = choose_model(run_dir)
    assert (choice.method, choice.train) == ("svm+knn", "a") and len(choice.paths) == 2
    assert choice.voted == "svm seed 0 and knn seed 0"
    with pytest.raises(ModelChoiceError, match="no saved model for method=svm\\+knn, train=b"):
        choose_model(run_dir, method="svm+knn", train="b")


def test_every_seed_of_a_member_votes_unless_one_seed_is_asked_for(run_dir):
    store = ResultStore(run_dir)
    for seed in (2, 1):
        store.put(record("svm", "cross", "b", "a", 0.7, seed=seed))
    choice = choose_model(run_dir, method="svm", train="b")
    assert choice.seeds == ((0, 1, 2),) and choice.voted == "svm seeds 0, 1, 2"
    assert [p.name for p in choice.paths[0]] == ["svm__b__s0", "svm__b__s1", "svm__b__s2"]
    one = choose_model(run_dir, method="svm", train="b", seed=1)
    assert one.seeds == ((1,),) and one.path.name == "svm__b__s1" and one.voted == ""
    with pytest.raises(ModelChoiceError, match="no saved model of seed 5; its seeds: 0, 1, 2"):
        choose_model(run_dir, seed=5)


def test_a_run_without_cross_results_falls_back_to_the_largest_training_set(saved_run):
    choice = choose_model(saved_run)
    assert choice.train == "toy-a" and "no cross-dataset results" in choice.reason


def test_an_ensemble_averages_its_members_over_the_classes_they_share(saved_run):
    svm = load_model(choose_model(saved_run, "svm", "toy-a").path)
    knn = load_model(choose_model(saved_run, "knn", "toy-b").path)
    crops = [np.full((60, 60, 3), value, np.uint8) for value in (40, 200)]
    ensemble = Ensemble([svm, knn])
    shared = [c for c in svm.classes if c in knn.classes]
    assert ensemble.classes == shared and len(shared) < len(svm.classes)
    votes = [m.predict_faces(crops)[shared].to_numpy() for m in (svm, knn)]
    expected = np.mean([v / v.sum(axis=1, keepdims=True) for v in votes], axis=0)
    frame = ensemble.predict_faces(crops)
    assert np.allclose(frame[shared].to_numpy(), expected)
    assert frame["label"].tolist() == [shared[i] for i in expected.argmax(axis=1)]


def test_predict_soft_votes_the_methods_joined_by_plus(saved_run, tmp_path, capsys):
    image = tmp_path / "face.png"
    Image.fromarray(np.full((48, 48), 90, np.uint8)).save(image)
    csv = tmp_path / "out.csv"
    assert main(["predict", str(image), "--run", str(saved_run), "--method", "svm+knn",
                 "--faces", "whole", "--csv", str(csv)]) == 0
    err = capsys.readouterr().err
    assert "model: svm+knn trained on toy-a" in err and "soft vote of svm seed 0 and knn" in err
    frame = pd.read_csv(csv)
    classes = list(frame.columns[8:-1])
    assert frame[classes].sum(axis=1).iloc[0] == pytest.approx(1.0)


def test_a_run_of_two_seeds_predicts_with_both_and_one_seed_on_request(tmp_path, run_args,
                                                                        capsys):
    assert main(run_args(tmp_path, "--methods", "knn", "--protocol", "within", "--seeds", "0,1",
                         datasets="toy-a")) == 0
    run = tmp_path / "runs" / "r"
    vote = load_choice(choose_model(run))
    assert isinstance(vote, Ensemble) and vote.name == "knn" and len(vote.members) == 2
    assert len({member.directory for member in vote.members}) == 2
    one = load_choice(choose_model(run, seed=1))
    assert one.directory == vote.members[1].directory
    image = tmp_path / "face.png"
    Image.fromarray(np.full((48, 48), 90, np.uint8)).save(image)
    capsys.readouterr()
    assert main(["predict", str(image), "--run", str(run), "--faces", "whole"]) == 0
    assert "soft vote of knn seeds 0, 1" in capsys.readouterr().err
    assert main(["predict", str(image), "--run", str(run), "--faces", "whole", "--seed", "1"]) == 0
    assert "soft vote" not in capsys.readouterr().err
