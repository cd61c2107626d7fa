"""The plan: cell keys pinned (a stored run is reused only under the same keys), immutable,
and every choice resolved once, before any data is read."""

import dataclasses

import pytest

from ferbench import DataContext
from ferbench.core.errors import UnknownNameError
from ferbench.core.registry import DATASETS, METHODS
from ferbench.results.store import ResultStore
from ferbench.run import RunConfig, run
from ferbench.run import plan as planning
from ferbench.run.ensembles import run_ensembles
from ferbench.run.outputs import RunOutputs


def toy_config(tmp_path, **changes):
    values = dict(methods=["knn", "nearest-mean", "sleepy"], datasets=["toy-a", "toy-b"],
                  run_dir=tmp_path / "r", data=DataContext(tmp_path / "data", tmp_path / "cache"),
                  seeds=(0, 1), params={"knn": {"k": 5}}, corruptions=(("blur", 1),),
                  train_fractions=(0.5,), budget="quick")
    return RunConfig(**{**values, **changes})


def toy_plan(config):
    settings = planning.settle(config)
    return planning.make_plan(settings, planning.load(settings, lambda line: None))


def by_label(plan):
    return {(i.method, i.seed, i.job.label): i for i in plan.items}


# Key format 2 (ferbench/run/keys.py), computed for these inputs when it was introduced:
# a key that changes here recomputes every stored run, so change them only with KEY_FORMAT.
PINNED = [
    ("knn", 0, "toy-a", "c3fd2564de03", "1057cdd516cd",
     ["knn__within__toy-a__s0__741045211b0b", "knn__cross__toy-b__s0__0180be87507f",
      "knn__robust__toy-a__blur1__s0__99ffe6a795f2"]),
    ("knn", 1, "toy-b", "c8864e3c821a", "1057cdd516cd",
     ["knn__cross__toy-a__s1__262a6c84d139"]),
    ("nearest-mean", 0, "toy-a (0.5 of train)", "4a32201f1115", "2b1b504fa37d",
     ["nearest-mean__curve__toy-a__s0__d6b0b3ca2ad9"]),
    ("sleepy", 1, "toy-b fold 2", "8417b302eabb", "ab9f3211160c",
     ["sleepy__within__toy-b__s1__62a7e587efb3", "sleepy__robust__toy-b__blur1__s1__0fff2778bbfe"]),
]
PINNED_ENSEMBLE = ["knn+nearest-mean__within__toy-b__s1__24f4176ad706",
                   "knn+nearest-mean__robust__toy-b__blur1__s1__e0b4788c6160"]


def test_cell_keys_are_pinned(tmp_path, toy_plugins):
    plan = toy_plan(toy_config(tmp_path, ensembles=(("knn", "nearest-mean"),)))
    items = by_label(plan)
    assert len(plan.items) == 3 * 2 * 9  # methods × seeds × jobs
    for method, seed, job, job_key, params_key, cells in PINNED:
        item = items[(method, seed, job)]
        assert (item.job_key, item.params_key, list(item.cells)) == (job_key, params_key, cells)
    store = ResultStore(tmp_path / "r")
    summary = run_ensembles(plan, RunOutputs(store, lambda line: None))
    ensemble_cells = {r["cell"]: r for r in store.records()}
    assert set(PINNED_ENSEMBLE) <= set(ensemble_cells)
    # with no member stored, every ensemble cell fails on its own and nothing is raised
    assert summary.failed == len(ensemble_cells) == 2 * 14  # seeds × cells of a method
    assert "knn has no stored result" in ensemble_cells[PINNED_ENSEMBLE[0]]["error"]


def test_a_raised_revision_enters_the_keys(tmp_path, toy_plugins, monkeypatch):
    monkeypatch.setitem(METHODS._entries, "knn", dataclasses.replace(METHODS.get("knn"),
                                                                      revision=2))
    config = toy_config(tmp_path, methods=["knn"], datasets=["toy-a"], seeds=(0,),
                        corruptions=(), train_fractions=())
    [item] = toy_plan(config).items
    assert (item.job_key, item.params_key, list(item.cells), item.revision) == (
        "737d2ee18f35", "c01a6237ef1d", ["knn__within__toy-a__s0__b4b523bd443c"], 2)


def test_the_plan_cannot_be_changed(tmp_path, toy_plugins):
    config = toy_config(tmp_path)
    plan = toy_plan(config)
    item = plan.items[0]
    for frozen, field in [(config, "jobs"), (plan, "items"), (plan.settings, "budget"),
                          (item, "params"),
                          (item, "cells"), (plan.data, "splits")]:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(frozen, field, None)
    with pytest.raises(TypeError):
        item.params["k"] = 1
    with pytest.raises(TypeError):
        plan.settings.methods["knn"].params[0]["k"] = 1
    with pytest.raises(TypeError):
        plan.data.splits["toy-a"] = None
    assert isinstance(plan.items, tuple)
    assert config.params == {"knn": {"k": 5}}  # planning never writes into the request


def test_the_budget_is_resolved_once_for_every_item(tmp_path, toy_plugins, monkeypatch):
    calls = []
    resolve = planning.resolve_budget
    monkeypatch.setattr(planning, "resolve_budget",
                        lambda *args: calls.append(args) or resolve(*args))
    plan = toy_plan(toy_config(tmp_path, budget="auto"))
    assert len(calls) == 1 and plan.settings.budget == "standard"  # toy data is not embedded
    budgets = {(i.method, i.budget) for i in plan.items}
    assert budgets == {("knn", "standard"), ("sleepy", "standard"), ("nearest-mean", None)}
    assert {i.params["delay"] for i in plan.items if i.method == "sleepy"} == {0.02}
    assert {i.params["seed"] for i in plan.items if i.method == "knn"} == {0, 1}


@pytest.mark.parametrize("params, methods, error, message", [
    ({"svm": {"bogus": 1}}, ["svm"], ValueError, "unexpected keyword"),
    ({"svn": {"C": 3}}, ["svm"], UnknownNameError, "neither a method nor a dataset"),
    ({}, ["nearest-men"], UnknownNameError, "did you mean 'nearest-mean'"),
])
def test_a_bad_name_or_setting_fails_before_any_data_is_read(tmp_path, toy_plugins, monkeypatch,
                                                              params, methods, error, message):
    touched = []
    toy = DATASETS.get("toy-a").factory
    monkeypatch.setattr(toy, "locate", lambda self, ctx: touched.append("locate"))
    monkeypatch.setattr(toy, "load", lambda self, ctx: touched.append("load"))
    config = toy_config(tmp_path, methods=methods, datasets=["toy-a"], params=params)
    with pytest.raises(error, match=message):
        run(config, progress=touched.append)
    assert touched == [] and not (tmp_path / "r").exists()
