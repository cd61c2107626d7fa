"""Should a trained network's class scores be divided by its training set's class frequencies?

FER2013's disgust and fear are rare, and a network trained on it seldom predicts them. Dividing
each class score by the class's training frequency raised to ``tau`` (post-hoc logit
adjustment, Menon et al., ICLR 2021: tau = 1 is the balanced-error choice, 0 changes nothing)
is the cheapest remedy: no retraining. This scores saved models at several values of ``tau``
on validation faces only, within the source's val split and across to the targets' val
faces as a cross cell sees them, each model alone and the mean of their softmaxes (the
``cnn+seresnet`` blend when given those two, a seed ensemble when given one method's seeds),
by accuracy, macro-F1, mean recall and mean recall over the six basic emotions' faces alone
with every prediction counted, neutral too (what class-balanced photos of six emotions, #24's,
measure):

    python benchmarks/training_choice.py --data-root DATA_ROOT --datasets fer2013 \\
        --targets rafdb,ferplus --save-views views.npz
    python benchmarks/prior_choice.py --views views.npz --source fer2013 --targets rafdb,ferplus \\
        --models RUN/models/cnn__fer2013__split__s0__KEY,RUN/models/seresnet__fer2013__split__s0__K
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
from tabulate import tabulate

from ferbench import FaceSet
from ferbench.core.labels import emotion_index
from ferbench.eval.metrics import score
from ferbench.predict.saved import load_model
from ferbench.run.job import restrict_scores


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=Path, required=True,
                        help="a views file from training_choice.py --save-views")
    parser.add_argument("--source", required=True, help="the dataset the models trained on")
    parser.add_argument("--targets", default="", help="datasets scored across, comma-separated")
    parser.add_argument("--models", required=True,
                        help="saved model directories (a run's models/...), comma-separated")
    parser.add_argument("--taus", default="0,0.25,0.5,0.75,1")
    return parser.parse_args()


SIX = [emotion_index(name)
       for name in ("anger", "disgust", "fear", "happiness", "sadness", "surprise")]


def six_emotion_recall(labels: np.ndarray, predicted: np.ndarray) -> float:
    """Mean over the six basic emotions of the share of their faces predicted right; a face
    of another class is left out, a prediction of another class counts wrong."""
    return float(np.mean([(predicted[labels == c] == c).mean() for c in SIX
                          if (labels == c).any()]))


def model_name(directory: Path) -> str:
    """``cnn`` for a saved cnn of seed 0 (a run's or ``training_choice.py``'s), ``cnn.s1`` for
    seed 1."""
    method, *parts = directory.name.split("__")
    seed = next((part for part in parts if re.fullmatch(r"s\d+", part)), "s0")
    return method if seed == "s0" else f"{method}.{seed}"


def adjusted(probabilities: np.ndarray, prior: np.ndarray, tau: float) -> np.ndarray:
    """Class scores divided by ``prior ** tau``, renormalised to sum to one per face."""
    scores = probabilities / prior ** tau
    return scores / scores.sum(axis=1, keepdims=True)


def main() -> None:
    args = parse_args()
    with np.load(args.views) as stored:
        views = {key: stored[key] for key in stored.files}
    targets = [t for t in args.targets.split(",") if t]
    keys = {args.source: f"{args.source}/val", **{t: f"{args.source}>{t}" for t in targets}}
    if missing := [key for key in [*keys.values(), f"{args.source}/train"] if key not in views]:
        raise SystemExit(f"prior_choice: {args.views} lacks {', '.join(missing)}")
    training_labels = views[f"{args.source}/train/labels"]
    models = [load_model(path) for path in args.models.split(",")]
    trained = np.asarray(models[0].method.classes_)
    if any(not np.array_equal(m.method.classes_, trained) for m in models):
        raise SystemExit("prior_choice: the models were trained on different classes")
    prior = np.array([(training_labels == c).mean() for c in trained])
    if not prior.all():
        raise SystemExit(f"prior_choice: a class of the models has no face in "
                         f"{args.source}/train of {args.views}")
    names = [model_name(m.directory) for m in models]
    rows = []
    for dataset, key in keys.items():
        classes = np.intersect1d(trained, views[f"{dataset}/classes"])
        faces = FaceSet(views[key], views[f"{key}/labels"], dataset=key)
        faces = faces.subset(np.isin(faces.labels, classes))
        probabilities = [np.asarray(m.method.predict_proba(faces)) for m in models]
        for tau in (float(t) for t in args.taus.split(",")):
            each = [adjusted(p, prior, tau) for p in probabilities]
            arms = list(zip(names, each))
            if len(each) > 1:
                arms.append(("+".join(names), np.mean(each, axis=0)))
            for name, scores in arms:
                predicted, _ = restrict_scores(scores, trained, classes)
                result = score(faces.labels, predicted, classes)
                every, _ = restrict_scores(scores, trained, trained)
                six = six_emotion_recall(faces.labels, every)
                rows.append([dataset, name, tau, f"{result['accuracy']:.4f}",
                             f"{result['macro_f1']:.4f}", f"{result['balanced_accuracy']:.4f}",
                             f"{six:.4f}"])
                print(tabulate(rows[-1:], tablefmt="plain"), flush=True)
    print()
    print(tabulate(rows, ["scored on (val)", "model", "tau", "val accuracy", "val macro-F1",
                          "val mean recall", "mean recall, six emotions"],
                   tablefmt="github"))


if __name__ == "__main__":
    main()
