"""rf and xgboost: tree ensembles on raw HOG and dlib-landmark features (``ferbench.classical``).

rf adds dlib's landmarks to the HOG by default: they beat HOG alone on both validation sets.
They helped xgboost too; it stays on HOG until its real-data cells and baseline are
recomputed with them. Every default's validation figures: docs/decisions.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ferbench import register_method
from ferbench.classical import FeatureClassifier

BOOSTER_FILE = "booster.json"


@register_method("rf", details={"default features": "hog+landmarks"},
                 budgets={"quick": {"n_estimators": 60, "features": "hog"}, "standard": {},
                          "full": {}})
class RandomForest(FeatureClassifier):
    """Random forest on raw features (trees need no scaling); all cores.

    HOG + landmarks beat HOG alone by far on both validation sets (docs/decisions.md). The
    ``quick`` budget (the embedded demo) grows 60 trees instead of 300, on HOG alone."""

    score_kind = "mean of the trees' leaf class frequencies"

    def __init__(self, n_estimators: int = 300, max_features: str | float = "sqrt",
                 features: str = "hog+landmarks", mirror: bool | str = "auto",
                 image_size: int = 48, seed: int = 0):
        if not isinstance(n_estimators, int) or n_estimators < 1:
            raise ValueError(f"rf: n_estimators must be a positive int, got {n_estimators!r}")
        super().__init__(features, image_size, seed, mirror, n_estimators=n_estimators,
                         max_features=max_features)
        self.n_estimators, self.max_features = n_estimators, max_features

    def _estimator(self, n_samples: int, n_features: int) -> Any:
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(
            n_estimators=self.n_estimators, max_features=self.max_features,
            n_jobs=-1, random_state=self.seed,
        )


@register_method("xgboost", requires=("xgboost",),
                 details={"default features": "hog+landmarks"},
                 budgets={"quick": {"n_estimators": 20, "max_depth": 3, "features": "hog"},
                          "standard": {},
                          "full": {}})
class XGBoost(FeatureClassifier):
    """Gradient-boosted trees (xgboost, histogram method) on raw features.

    Depth 6, 150 rounds at learning rate 0.2, 30 % of the features per tree: chosen on full
    FER2013's PublicTest (validation) among settings that fit in about 10 minutes on one core,
    trading a little accuracy for a much shorter fit; the earlier depth-3 default fell short
    of plain ``XGBClassifier()`` on the same HOG (docs/decisions.md).
    These defaults are the ``standard`` and ``full`` budgets; ``quick`` (the embedded demo)
    boosts 20 rounds of depth 3, since a fit's cost grows with its trees whatever the number
    of faces, and keeps HOG alone like the other classical methods.
    Features default to HOG + dlib's landmarks, which beat HOG alone on both validation sets.
    ``n_jobs`` defaults to 1: xgboost's OpenMP threads degrade badly when cores are shared.
    Raise it on a dedicated machine.
    """

    score_kind = "softmax of boosted margins trained with log-loss"

    def __init__(self, n_estimators: int = 150, max_depth: int = 6, learning_rate: float = 0.2,
                 max_bin: int = 32, n_jobs: int = 1, features: str = "hog+landmarks",
                 mirror: bool | str = "auto", image_size: int = 48, seed: int = 0):
        if not isinstance(n_estimators, int) or n_estimators < 1:
            raise ValueError(f"xgboost: n_estimators must be a positive int, got {n_estimators!r}")
        super().__init__(features, image_size, seed, mirror, n_estimators=n_estimators,
                         max_depth=max_depth, learning_rate=learning_rate, max_bin=max_bin,
                         n_jobs=n_jobs)
        self.boosting = dict(n_estimators=n_estimators, max_depth=max_depth,
                             learning_rate=learning_rate, max_bin=max_bin, n_jobs=n_jobs)

    def _estimator(self, n_samples: int, n_features: int) -> Any:
        from xgboost import XGBClassifier

        return XGBClassifier(tree_method="hist", subsample=0.8, colsample_bytree=0.3,
                             random_state=self.seed, **self.boosting)

    def export_onnx(self, path: Path) -> dict[str, Any]:
        """Through onnxmltools' xgboost converter, where it is installed (no ferbench extra
        installs it); without it the export is refused, naming it."""
        try:
            from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
            from skl2onnx import update_registered_converter
            from skl2onnx.common.shape_calculator import (
                calculate_linear_classifier_output_shapes,
            )
        except ImportError as error:
            raise ValueError(f"xgboost: its boosted trees convert to ONNX only with onnxmltools "
                             f"and skl2onnx ({error}); pip install onnxmltools "
                             f"'ferbench[onnx]' to export it") from None
        from xgboost import XGBClassifier

        update_registered_converter(
            XGBClassifier, "XGBoostXGBClassifier", calculate_linear_classifier_output_shapes,
            convert_xgboost, options={"nocl": [True, False], "zipmap": [True, False, "columns"]})
        return super().export_onnx(path)

    def _dump_estimator(self, estimator: Any, directory: Path) -> None:
        estimator.save_model(directory / BOOSTER_FILE)

    def _load_estimator(self, directory: Path) -> Any:
        """xgboost's own JSON model format: trees and parameters, no code."""
        from xgboost import XGBClassifier

        model = XGBClassifier(n_jobs=self.boosting["n_jobs"])
        model.load_model(directory / BOOSTER_FILE)
        return model
