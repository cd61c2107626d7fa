"""knn: k-nearest neighbours on HOG and dlib-landmark features (``ferbench.classical``)."""

from __future__ import annotations

from typing import Any

from ferbench import register_method
from ferbench.classical import FeatureClassifier, pca_size


@register_method("knn", details={"default features": "hog+landmarks"},
                 budgets={"quick": {"features": "hog"}, "standard": {}, "full": {}})
class KNN(FeatureClassifier):
    """k-nearest neighbours (distance-weighted) on PCA-reduced, standardised features.

    PCA to 200 components and k=7 scored best on FER2013's PublicTest among the sizes and k
    tried, and HOG + landmarks beat HOG alone on both validation sets (docs/decisions.md).
    The ``quick`` budget (the embedded demo) uses HOG alone.
    """

    score_kind = "distance-weighted vote shares of the k nearest training faces"

    def __init__(self, k: int = 7, pca_components: int | float = 200,
                 features: str = "hog+landmarks",
                 mirror: bool | str = "auto", image_size: int = 48, seed: int = 0):
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"knn: k must be a positive int, got {k!r}")
        pca_size(pca_components, n_samples=1, n_features=1)
        super().__init__(features, image_size, seed, mirror, k=k, pca_components=pca_components)
        self.k, self.pca_components = k, pca_components

    def _estimator(self, n_samples: int, n_features: int) -> Any:
        from sklearn.decomposition import PCA
        from sklearn.neighbors import KNeighborsClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(
            StandardScaler(),
            PCA(n_components=pca_size(self.pca_components, n_samples, n_features),
                random_state=self.seed),
            KNeighborsClassifier(n_neighbors=min(self.k, n_samples), weights="distance"),
        )
