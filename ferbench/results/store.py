"""The results store: one JSON record per cell inside a run directory.

Every record is written to a temporary file and renamed into place, so a kill at any
moment leaves either the old state or the new one, never half a file. A run holds an
exclusive lock on its directory for its whole life, so two runs cannot interleave writes.
Re-running a command reads the store and skips the cells already finished.

A directory holds one current record per slot (method, protocol, train, test, fold, seed,
condition): a record computed under other parameters, the user's or a changed default,
moves the one it replaces to ``results/superseded/``, where the report no longer pools it
and from where rerunning the earlier command restores it without computing.
"""

from __future__ import annotations

import fcntl
import json
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SLOT_FIELDS = ("method", "protocol", "train", "test", "fold", "seed", "corruption", "severity",
               "train_fraction")
"""What a record answers for: two records that agree on these are two answers to one cell."""


def slot(record: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(record.get(name) for name in SLOT_FIELDS)


class RunLockedError(RuntimeError):
    """Another process is writing the same run directory."""


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` via a temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class ResultStore:
    """Cell records of one run directory (``RUN_DIR/results/<cell-id>.json``)."""

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.results_dir = self.run_dir / "results"
        self.superseded_dir = self.results_dir / "superseded"
        self._slots: dict[str, tuple[Any, ...]] | None = None

    def _path(self, cell_id: str) -> Path:
        return self.results_dir / f"{cell_id}.json"

    def _slot_index(self) -> dict[str, tuple[Any, ...]]:
        """Cell id → slot of every current record, read once per process."""
        if self._slots is None:
            self._slots = {r["cell"]: slot(r) for r in self.records() if "cell" in r}
        return self._slots

    def _supersede_others(self, record: dict[str, Any]) -> None:
        """Move every other current record of ``record``'s slot to ``superseded/``."""
        index = self._slot_index()
        key = slot(record)
        for other in [cid for cid, other_key in index.items()
                      if other_key == key and cid != record["cell"]]:
            self.superseded_dir.mkdir(parents=True, exist_ok=True)
            os.replace(self._path(other), self.superseded_dir / f"{other}.json")
            del index[other]
        index[record["cell"]] = key

    @contextmanager
    def locked(self) -> Iterator[ResultStore]:
        """Hold the run directory's lock; a second run on the same directory is refused."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with open(self.run_dir / ".lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                raise RunLockedError(
                    f"run directory {self.run_dir} is in use by another ferbench run "
                    f"(pid {holder}); wait for it to finish or choose another --out"
                ) from None
            try:
                handle.seek(0)
                handle.truncate()
                handle.write(str(os.getpid()))
                handle.flush()
                yield self
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def put(self, record: dict[str, Any]) -> None:
        """Store ``record`` as its slot's current answer, superseding any other."""
        write_json_atomic(self._path(record["cell"]), record)
        self._supersede_others(record)

    def restore(self, cell_id: str) -> bool:
        """Bring a finished superseded record back as its slot's current answer."""
        path = self.superseded_dir / f"{cell_id}.json"
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if record.get("status") != "ok":
            return False
        os.replace(path, self._path(cell_id))
        self._supersede_others(record)
        return True

    def get(self, cell_id: str) -> dict[str, Any] | None:
        """The stored record, or None when absent or unreadable."""
        try:
            return json.loads(self._path(cell_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def is_done(self, cell_id: str) -> bool:
        record = self.get(cell_id)
        return record is not None and record.get("status") == "ok"

    def records(self) -> list[dict[str, Any]]:
        """Every readable record, sorted by cell id; unreadable files are reported, not fatal."""
        records = []
        for path in sorted(self.results_dir.glob("*.json")):
            try:
                records.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as error:
                warnings.warn(f"skipping unreadable result {path}: {error}", stacklevel=2)
        return records

    def record_invocation(self, info: dict[str, Any]) -> None:
        """Append one command's provenance (command, versions, data) to ``run.json``."""
        write_json_atomic(self.run_dir / "run.json", [*self.invocations(), info])

    def invocations(self) -> list[dict[str, Any]]:
        """Provenance of every command that wrote this run directory, oldest first."""
        try:
            return json.loads((self.run_dir / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
