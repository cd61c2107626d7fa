"""Executors share one interface and give the same records; stored cells are skipped."""

from ferbench import DataContext
from ferbench.results.store import ResultStore
from ferbench.run import RunConfig
from ferbench.run import plan as planning
from ferbench.run.executors import ProcessExecutor, SerialExecutor
from ferbench.run.outputs import RunOutputs

TIMINGS = {"fit_seconds", "predict_seconds", "finished", "traceback"}


def toy_plan(run_dir, cache):
    config = RunConfig(methods=["nearest-mean", "explode"], datasets=["toy-a", "toy-b"],
                       run_dir=run_dir, data=DataContext(cache / "data", cache),
                       corruptions=(("blur", 1),))
    settings = planning.settle(config)
    return planning.make_plan(settings, planning.load(settings, lambda line: None))


def execute(executor, run_dir, cache):
    plan = toy_plan(run_dir, cache)
    lines = []
    summary = executor.run(plan, plan.items, RunOutputs(ResultStore(run_dir), lines.append))
    return summary, lines


def stored(run_dir):
    return {r["cell"]: {k: v for k, v in r.items() if k not in TIMINGS}
            for r in ResultStore(run_dir).records()}


def test_serial_and_process_pool_store_the_same_records(tmp_path, toy_plugins):
    serial, _ = execute(SerialExecutor(), tmp_path / "serial", tmp_path / "cache")
    pooled, _ = execute(ProcessExecutor(2), tmp_path / "pool", tmp_path / "cache")
    assert (serial.computed, serial.failed) == (pooled.computed, pooled.failed) == (10, 10)
    assert sorted(serial.failures) == sorted(pooled.failures)
    assert stored(tmp_path / "serial") == stored(tmp_path / "pool")
    assert {r["status"] for r in stored(tmp_path / "pool").values()} == {"ok", "failed"}


def test_a_second_pass_skips_every_finished_cell(tmp_path, toy_plugins):
    first, _ = execute(ProcessExecutor(2), tmp_path / "r", tmp_path / "cache")
    before = stored(tmp_path / "r")
    again, lines = execute(SerialExecutor(), tmp_path / "r", tmp_path / "cache")
    assert (again.computed, again.skipped, again.failed) == (0, first.computed, first.failed)
    assert stored(tmp_path / "r").keys() == before.keys()
    assert sum("already stored, skipped" in line for line in lines) == 5
