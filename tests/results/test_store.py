"""The results store never loses what it holds: unreadable files stop it, writes are atomic."""

from __future__ import annotations

import errno
import os

import pytest

from ferbench.cli import main
from ferbench.results.store import ResultStore, RunLockedError, StoreError
from tests.conftest import TEST_PLUGINS


def record(cell: str, method: str = "m", accuracy: float = 0.5) -> dict:
    return {"cell": cell, "method": method, "protocol": "within", "train": "a", "test": "a",
            "fold": None, "seed": 0, "status": "ok", "metrics": {"accuracy": accuracy}}


def test_a_record_round_trips_and_another_slot_answer_supersedes_it(tmp_path):
    store = ResultStore(tmp_path)
    store.put(record("c1"))
    assert store.get("c1")["metrics"] == {"accuracy": 0.5} and store.is_done("c1")
    ResultStore(tmp_path).put(record("c2", accuracy=0.7))
    assert [r["cell"] for r in ResultStore(tmp_path).records()] == ["c2"]
    assert (tmp_path / "results" / "superseded" / "c1.json").exists()
    assert ResultStore(tmp_path).restore("c1")
    assert [r["cell"] for r in ResultStore(tmp_path).records()] == ["c1"]


def test_a_corrupt_run_json_stops_the_store_and_is_never_overwritten(tmp_path):
    store = ResultStore(tmp_path)
    (tmp_path / "run.json").write_text('[{"command": "ferbench run"}, {"trunc')
    with pytest.raises(StoreError, match="run.json is this run's provenance") as error:
        store.record_invocation({"command": "again"})
    assert "move it out of the run directory" in str(error.value)
    assert (tmp_path / "run.json").read_text() == '[{"command": "ferbench run"}, {"trunc'


def test_a_run_json_of_the_wrong_shape_is_refused(tmp_path):
    (tmp_path / "run.json").write_text('{"command": "x"}')
    with pytest.raises(StoreError, match="not a list of invocations"):
        ResultStore(tmp_path).invocations()


def test_a_corrupt_record_is_named_not_skipped_or_treated_as_missing(tmp_path):
    store = ResultStore(tmp_path)
    store.put(record("good"))
    bad = tmp_path / "results" / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(StoreError, match=f"{bad} is a stored result but cannot be read"):
        store.records()
    with pytest.raises(StoreError, match="bad.json"):
        store.is_done("bad")
    assert bad.read_text() == "{not json"
    bad.write_text("[1, 2]")
    with pytest.raises(StoreError, match="not a result record"):
        ResultStore(tmp_path).records()


def test_a_full_disk_fails_the_write_and_keeps_what_was_stored(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    store.put(record("c1"))
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StoreError, match=r"c2.json \(the disk is full\)"):
        store.put(record("c2", method="other"))
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert [r["cell"] for r in ResultStore(tmp_path).records()] == ["c1"]
    assert not [p for p in (tmp_path / "results").iterdir() if p.name.endswith(".tmp")]


def test_a_second_run_on_a_locked_directory_is_refused_with_the_holder(tmp_path):
    holder = ResultStore(tmp_path)
    with holder.locked(), pytest.raises(RunLockedError, match=f"pid {os.getpid()}"), \
            ResultStore(tmp_path).locked():
        pass


def test_the_cli_names_a_corrupt_run_json_and_leaves_it(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text("garbage")
    code = main(["run", "--plugins", str(TEST_PLUGINS), "--datasets", "toy-a",
                 "--methods", "nearest-mean", "--protocol", "within", "--out", str(out),
                 "--reports", str(tmp_path / "reports")])
    assert code == 2
    assert f"{out / 'run.json'} is this run's provenance" in capsys.readouterr().err
    assert (out / "run.json").read_text() == "garbage"
    assert not list(out.glob("results/*.json"))


def test_a_full_disk_mid_run_stops_it_naming_the_file_and_a_rerun_computes_only_the_rest(
        tmp_path, capsys, monkeypatch, run_args, stored):
    real_put, calls = ResultStore.put, []

    def put(self, record):
        calls.append(record["cell"])
        if len(calls) == 2:
            raise StoreError(f"could not write {record['cell']}.json (the disk is full)")
        real_put(self, record)

    monkeypatch.setattr(ResultStore, "put", put)
    args = run_args(tmp_path, "--methods", "nearest-mean", "--protocol", "within")
    assert main(args) == 2
    assert "(the disk is full)" in capsys.readouterr().err
    assert [r["cell"] for r in stored(tmp_path)] == calls[:1]
    monkeypatch.setattr(ResultStore, "put", real_put)
    assert main(args) == 0
    assert "already stored" in capsys.readouterr().err
    assert calls[0] in {r["cell"] for r in stored(tmp_path)} and len(stored(tmp_path)) > 1
