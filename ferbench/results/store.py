"""The results store: one JSON record per cell inside a run directory.

Every record is written to a temporary file and renamed into place, so a kill at any
moment leaves either the old state or the new one, never half a file. A run holds an
exclusive lock on its directory for its whole life, so two runs cannot interleave writes.
Re-running a command reads the store and skips the cells already finished. A file the store
cannot read stops it with an error naming that file: it is never skipped, and never
overwritten, since it may be the only copy of a run's provenance or of a finished cell.

A directory holds one current record per slot (method, protocol, train, test, fold, seed,
condition): a record computed under other parameters, the user's or a changed default,
moves the one it replaces to ``results/superseded/``, where the report no longer pools it
and from where rerunning the earlier command restores it without computing.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
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


class StoreError(RuntimeError):
    """A file of the run directory cannot be read or written; the message names it."""


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` via a temporary file and an atomic rename.

    A failed write (a full disk, say) leaves ``path`` as it was and no temporary file behind,
    and raises :class:`StoreError` naming ``path``.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        full = " (the disk is full)" if error.errno == errno.ENOSPC else ""
        raise StoreError(f"could not write {path}{full}: {error.strerror or error}; "
                         f"everything stored before it is kept") from error


def read_json(path: Path, what: str) -> Any:
    """The JSON in ``path``; a file that exists but cannot be read or parsed is a
    :class:`StoreError` saying what the file is and what to do, never treated as absent."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as error:
        raise StoreError(
            f"{path} is {what} but cannot be read ({type(error).__name__}: {error}); "
            f"ferbench leaves it untouched: restore it from a backup, or move it out of the "
            f"run directory to go on without it"
        ) from None


def _read_record(path: Path) -> dict[str, Any]:
    record = read_json(path, "a stored result")
    if not isinstance(record, dict) or not isinstance(record.get("cell"), str):
        raise StoreError(f"{path} is not a result record (no 'cell' field); move it out of "
                         f"{path.parent} to go on without it")
    return record


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
            record = _read_record(path)
        except FileNotFoundError:
            return False
        if record.get("status") != "ok":
            return False
        os.replace(path, self._path(cell_id))
        self._supersede_others(record)
        return True

    def get(self, cell_id: str) -> dict[str, Any] | None:
        """The stored record, or None when absent (an unreadable one is a StoreError)."""
        try:
            return _read_record(self._path(cell_id))
        except FileNotFoundError:
            return None

    def is_done(self, cell_id: str) -> bool:
        record = self.get(cell_id)
        return record is not None and record.get("status") == "ok"

    def records(self) -> list[dict[str, Any]]:
        """Every current record, sorted by cell id; an unreadable one is a StoreError."""
        return [_read_record(path) for path in sorted(self.results_dir.glob("*.json"))]

    def record_invocation(self, info: dict[str, Any]) -> None:
        """Append one command's provenance (command, versions, data) to ``run.json``."""
        write_json_atomic(self.run_dir / "run.json", [*self.invocations(), info])

    def invocations(self) -> list[dict[str, Any]]:
        """Provenance of every command that wrote this run directory, oldest first; none
        before the first run, and a StoreError for a ``run.json`` that cannot be read."""
        path = self.run_dir / "run.json"
        try:
            history = read_json(path, "this run's provenance")
        except FileNotFoundError:
            return []
        if not isinstance(history, list) or not all(isinstance(i, dict) for i in history):
            raise StoreError(f"{path} is this run's provenance but is not a list of "
                             f"invocations; ferbench leaves it untouched: restore it, or move "
                             f"it out of the run directory to go on without it")
        return history
