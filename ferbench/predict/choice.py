"""Which of a run's saved models ``ferbench predict`` uses, and soft-vote ensembles of them.

By default the model (or the run's ``--ensembles`` blend) with the best mean cross-dataset
accuracy: a user's photos are another dataset, so accuracy on datasets a model was not
trained on predicts accuracy on them better than accuracy on its own test split. A run
without cross-dataset results falls back to the largest training set and the best
within-dataset accuracy on it. A method the run trained with several seeds soft-votes the
model of every seed, unless one seed is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ferbench.eval.ensembles import SEPARATOR
from ferbench.predict.saved import SavedModel, load_model
from ferbench.predict.views import scores_frame
from ferbench.results.store import ResultStore


class ModelChoiceError(ValueError):
    """No saved model in the run matches what was asked for."""


@dataclass(frozen=True)
class ModelChoice:
    """The chosen method (``a+b`` for an ensemble), its training set, the saved models of
    each member (one per seed) with their seeds, and why it was chosen."""

    method: str
    train: str
    paths: tuple[tuple[Path, ...], ...]
    seeds: tuple[tuple[int, ...], ...]
    reason: str

    @property
    def path(self) -> Path:
        """The saved model of the first (for a single method, the only) member's lowest
        seed."""
        return self.paths[0][0]

    @property
    def voted(self) -> str:
        """What the choice soft-votes, in words ("" for one model): "cnn seeds 0, 1, 2 and
        svm seed 0"."""
        if len(self.paths) == 1 and len(self.paths[0]) == 1:
            return ""
        return " and ".join(f"{member} seed{'s' if len(seeds) > 1 else ''} "
                            f"{', '.join(map(str, seeds))}"
                            for member, seeds in zip(self.method.split(SEPARATOR), self.seeds))


def choose_model(run_dir: Path, method: str | None = None, train: str | None = None,
                 seed: int | None = None) -> ModelChoice:
    """The saved models to use: ``method`` (``a+b`` soft-votes a and b) trained on
    ``train``, each defaulting to the best by mean cross-dataset accuracy (see the module
    docstring), of every seed the run saved (``seed``: that one only).

    Of several folds, the model trained on the whole training set (else the first fold) is
    used.
    """
    run_dir = Path(run_dir)
    records = [r for r in ResultStore(run_dir).records()
               if r.get("status") == "ok" and r.get("corruption") is None
               and r.get("train_fraction") is None]
    if seed is not None:
        seeds = sorted({r["seed"] for r in records if r.get("model")})
        records = [r for r in records if r["seed"] == seed]
        if not any(r.get("model") for r in records) and seeds:
            raise ModelChoiceError(f"{run_dir} has no saved model of seed {seed}; its seeds: "
                                   f"{', '.join(map(str, seeds))}")
    saved = [r for r in records if r.get("model")]
    if not saved:
        raise ModelChoiceError(f"{run_dir} holds no saved models: run `ferbench run` there "
                               f"without --no-save-models first")
    available = sorted({(r["method"], r["train"]) for r in saved})
    names = {r["method"] for r in records} | ({method} if method else set())
    pool = sorted((name, data) for name in names for data in {t for _, t in available}
                  if (method is None or name == method) and (train is None or data == train)
                  and all((m, data) in available for m in name.split(SEPARATOR)))
    if not pool:
        options = ", ".join(f"{m} trained on {t}" for m, t in available)
        raise ModelChoiceError(f"{run_dir} has no saved model for method={method or 'any'}, "
                               f"train={train or 'any'}; it has: {options}")
    cross = _mean_accuracy(records, "cross", pool)
    if cross:
        name, data = max(sorted(cross), key=cross.__getitem__)
        tests = sorted({r["test"] for r in records if r["protocol"] == "cross"
                        and (r["method"], r["train"]) == (name, data)})
        reason = (f"best mean cross-dataset accuracy, {cross[name, data]:.3f} on "
                  f"{', '.join(tests)} (photos are another dataset)")
        if method and train:
            reason = "as asked"
    else:
        name, data, reason = _within_choice(records, pool, method, train)
    members = [_member_records(saved, member, data) for member in name.split(SEPARATOR)]
    return ModelChoice(method=name, train=data,
                       paths=tuple(tuple(model_path(run_dir, r) for r in m) for m in members),
                       seeds=tuple(tuple(r["seed"] for r in m) for m in members),
                       reason=reason)


def _within_choice(records: list[dict[str, Any]], pool: list[tuple[str, str]],
                   method: str | None, train: str | None) -> tuple[str, str, str]:
    """Without cross-dataset results: the largest training set, the best within it."""
    reasons = ["the run has no cross-dataset results"]
    if train is None:
        size: dict[str, int] = {}
        for record in records:
            size[record["train"]] = max(size.get(record["train"], 0), record["n_train"])
        train = max({data for _, data in pool}, key=lambda data: (size[data], data))
        reasons.append(f"largest training set: {train}")
    pool = [(name, data) for name, data in pool if data == train]
    if method is None:
        within = _mean_accuracy(records, "within", pool)
        method = max(sorted(within), key=within.__getitem__)[0] if within else pool[0][0]
        reasons.append(f"best within-{train} accuracy: {method}")
    return method, train, "; ".join(reasons) if len(reasons) > 1 else "as asked"


def _mean_accuracy(records: list[dict[str, Any]], protocol: str,
                   pool: list[tuple[str, str]]) -> dict[tuple[str, str], float]:
    scores: dict[tuple[str, str], list[float]] = {}
    for record in records:
        key = (record["method"], record["train"])
        if record["protocol"] == protocol and key in pool:
            scores.setdefault(key, []).append(record["metrics"]["accuracy"])
    return {key: float(np.mean(values)) for key, values in scores.items()}


def _member_records(saved: list[dict[str, Any]], method: str, train: str
                    ) -> list[dict[str, Any]]:
    """The saved cells of ``method`` on ``train`` of its first fold (the whole training set
    first), one per seed, by seed."""
    def fold(record: dict[str, Any]) -> int:
        return -1 if record["fold"] is None else record["fold"]

    cells = [r for r in saved if (r["method"], r["train"]) == (method, train)]
    first = min(fold(r) for r in cells)
    by_seed = {r["seed"]: r for r in cells if fold(r) == first}
    return [by_seed[seed] for seed in sorted(by_seed)]


def model_path(run_dir: Path, record: dict[str, Any]) -> Path:
    """The folder a record's ``model`` names, which must lie inside ``RUN_DIR/models``: a
    record is a file anyone may have edited, and its path is never followed out of the run."""
    models = (run_dir / "models").resolve()
    named = record.get("model")
    path = (run_dir / named).resolve() if isinstance(named, str) else None
    if path is None or Path(named).is_absolute() or models not in path.parents:
        raise ModelChoiceError(f"{run_dir}: the record of cell {record.get('cell')!r} names "
                               f"model {named!r}, which is not a folder inside {models}")
    return path


class Ensemble:
    """Saved models (or ensembles) soft-voting: each member's probabilities over the classes
    all members share, renormalised to sum to 1, averaged. ``name``: the members' names
    joined by ``+`` unless given (one method's seeds vote under its own name)."""

    def __init__(self, members: Sequence[SavedModel | Ensemble], name: str | None = None):
        self.members = list(members)
        self._name = name
        shared = set.intersection(*(set(m.classes) for m in self.members))
        self.classes = [c for c in self.members[0].classes if c in shared]
        if not self.classes:
            raise ModelChoiceError(f"{self.name}: its members share no class")

    @property
    def name(self) -> str:
        return self._name or SEPARATOR.join(m.name for m in self.members)

    @property
    def aligned(self) -> bool:
        """Whether every member was trained on aligned faces (:attr:`SavedModel.aligned`)."""
        return all(m.aligned for m in self.members)

    def predict_faces(self, images: Sequence[np.ndarray] | np.ndarray) -> Any:
        """Like :meth:`SavedModel.predict_faces`: a ``label`` column and one averaged
        probability column per shared class."""
        return self._vote([member.predict_faces(images) for member in self.members])

    def predict_views(self, views: list[list[np.ndarray]]) -> Any:
        """Like :meth:`SavedModel.predict_views`, each member taking the views it uses."""
        return self._vote([member.predict_views(views) for member in self.members])

    def adapted(self, views: list[list[np.ndarray]]) -> Ensemble:
        """The ensemble of its members each adapted to ``views``
        (:meth:`SavedModel.adapted`)."""
        return Ensemble([member.adapted(views) for member in self.members], self._name)

    def _vote(self, scores: list[Any]) -> Any:
        """The members' ``scores`` over the shared classes, each renormalised, averaged."""
        votes = []
        for score in scores:
            proba = score[self.classes].to_numpy()
            votes.append(proba / np.maximum(proba.sum(axis=1, keepdims=True), 1e-12))
        return scores_frame(np.mean(votes, axis=0), self.classes)

    def __repr__(self) -> str:
        return f"Ensemble({self.name}, classes={self.classes})"


def load_choice(choice: ModelChoice, prior: str = "training") -> SavedModel | Ensemble:
    """The chosen saved model, or the soft vote of its members (each of them the soft vote
    of its seeds), every model under ``prior`` (:data:`~ferbench.predict.saved.PRIORS`)."""
    return load_vote(choice.paths, prior)


def load_vote(members: Sequence[Sequence[Path]], prior: str = "training"
              ) -> SavedModel | Ensemble:
    """The saved models at ``members`` (each member's folders: one per seed) soft-voting:
    every member the soft vote of its seeds, then the members voting with equal weight."""
    votes = []
    for paths in members:
        seeds = [load_model(path, prior=prior) for path in paths]
        votes.append(seeds[0] if len(seeds) == 1 else Ensemble(seeds, name=seeds[0].name))
    return votes[0] if len(votes) == 1 else Ensemble(votes)
