"""Source → targets runs (``--train A --test B,C``, CD-FER's protocol): only the sources are
trained, their cells keep the keys a ``--datasets`` run gives them, and a bad selection
fails, naming the flag or dataset, before any data is read."""

import pytest

from ferbench import DataContext
from ferbench.cli import main
from ferbench.core.registry import DATASETS
from ferbench.run import RunConfig, run
from ferbench.run import plan as planning


def config(tmp_path, **changes):
    values = dict(methods=["knn", "nearest-mean"], datasets=["toy-a", "toy-b"],
                  run_dir=tmp_path / "r", data=DataContext(tmp_path / "data", tmp_path / "cache"),
                  budget="quick")
    return RunConfig(**{**values, **changes})


def cells(config):
    """(method, train dataset, fold) → {cell id: (protocol, test dataset)} of a plan."""
    settings = planning.settle(config)
    plan = planning.make_plan(settings, planning.load(settings, lambda line: None))
    return {(i.method, i.job.train_dataset, i.job.fold):
            {cell: (t.protocol, t.dataset) for cell, t in i.cells.items()} for i in plan.items}


def test_only_the_sources_are_trained_with_their_within_cells_by_default(tmp_path, toy_plugins):
    planned = cells(config(tmp_path, sources=("toy-b",)))
    assert {train for _, train, _ in planned} == {"toy-b"}
    assert set(planned) == {(m, "toy-b", fold) for m in ("knn", "nearest-mean")
                            for fold in (None, 0, 1, 2)}
    assert sorted(planned["knn", "toy-b", None].values()) == [("cross", "toy-a")]
    assert list(planned["knn", "toy-b", 0].values()) == [("within", "toy-b")]
    cross_only = cells(config(tmp_path, sources=("toy-a",), protocols=("cross",)))
    assert [sorted(c.values()) for c in cross_only.values()] == [[("cross", "toy-b")]] * 2


@pytest.mark.parametrize("source, target", [("toy-a", "toy-b"), ("toy-b", "toy-a")])
def test_cells_keep_the_keys_of_a_datasets_run(tmp_path, toy_plugins, source, target):
    every = cells(config(tmp_path))
    every_cross = cells(config(tmp_path, protocols=("cross",)))
    sourced = cells(config(tmp_path, sources=(source,)))
    for key, scored in sourced.items():
        assert scored == every[key]
    sourced_cross = cells(config(tmp_path, sources=(source,), protocols=("cross",)))
    assert sourced_cross == {k: v for k, v in every_cross.items() if k[1] == source}


@pytest.mark.parametrize("changes, message", [
    (dict(sources=("toy-a", "toy-b")), "--train toy-a,toy-b needs --test"),
    (dict(sources=("toy-a",), protocols=("within",)), "--protocol within with --test"),
    (dict(sources=("toy-c",)), r"source dataset\(s\) \['toy-c'\] are not among"),
])
def test_a_bad_config_fails_before_any_data_is_read(tmp_path, toy_plugins, monkeypatch,
                                                    changes, message):
    touched = []
    for name in ("toy-a", "toy-b"):
        toy = DATASETS.get(name).factory
        monkeypatch.setattr(toy, "locate", lambda self, ctx: touched.append("locate"))
    with pytest.raises(ValueError, match=message):
        run(config(tmp_path, **changes), progress=touched.append)
    assert touched == [] and not (tmp_path / "r").exists()


@pytest.mark.parametrize("extra, message", [
    (["--datasets", "toy-a,toy-b", "--train", "toy-a", "--test", "toy-b"],
     "--datasets cannot be combined with --train/--test"),
    (["--train", "toy-a"], "--train toy-a needs --test"),
    (["--test", "toy-b"], "--test toy-b needs --train"),
    (["--train", "toy-a", "--test", "toy-b,toy-a"], "--train and --test both name 'toy-a'"),
    (["--train", "toy-a", "--test", "toy-bb"], "unknown dataset 'toy-bb'; did you mean 'toy-b'"),
    (["--train", "toy-aa", "--test", "toy-b"], "unknown dataset 'toy-aa'"),
    (["--train", "toy-a", "--test", "toy-b", "--protocol", "within"],
     "--protocol within with --test"),
])
def test_bad_train_test_arguments_are_named(tmp_path, capsys, run_args, extra, message):
    assert main(run_args(tmp_path, "--methods", "nearest-mean", *extra, datasets=None)) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_a_train_test_run_and_a_datasets_run_reuse_each_other(tmp_path, capsys, run_args,
                                                              stored):
    def ferbench(*extra, datasets=None):
        assert main(run_args(tmp_path, "--methods", "nearest-mean", *extra,
                             datasets=datasets)) == 0
        return capsys.readouterr().err

    assert "2 cell(s) computed" in ferbench("--train", "toy-a", "--test", "toy-b")
    assert {(r["protocol"], r["train"], r["test"]) for r in stored(tmp_path)} == {
        ("within", "toy-a", "toy-a"), ("cross", "toy-a", "toy-b")}
    assert "4 cell(s) computed, 2 already stored" in ferbench(datasets="toy-a,toy-b")
    assert "0 cell(s) computed, 1 already stored" in ferbench(
        "--train", "toy-b", "--test", "toy-a", "--protocol", "cross")
    page = (tmp_path / "reports" / "r" / "cross.md").read_text()
    assert "mean across targets" in page and "Beside published results" not in page
