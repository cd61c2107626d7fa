"""ferbench: benchmark facial-expression-recognition methods side by side.

The public API a plugin author needs is importable from here.
"""

from ferbench.dataset import (
    DataContext,
    Dataset,
    DatasetFormatError,
    DatasetNotFound,
    Splits,
)
from ferbench.faceset import FaceSet
from ferbench.labels import EMOTIONS, LabelMap, emotion_index
from ferbench.method import FeatureSpec, InputSpec, Method
from ferbench.prediction import predict
from ferbench.registry import (
    PluginError,
    create_dataset,
    create_method,
    list_datasets,
    list_methods,
    register_dataset,
    register_method,
)
from ferbench.report import load_results
from ferbench.saved import ModelFileError, SavedModel, load_model

__version__ = "0.1.0"

__all__ = [
    "EMOTIONS",
    "DataContext",
    "Dataset",
    "DatasetFormatError",
    "DatasetNotFound",
    "FaceSet",
    "FeatureSpec",
    "InputSpec",
    "LabelMap",
    "Method",
    "ModelFileError",
    "PluginError",
    "SavedModel",
    "Splits",
    "create_dataset",
    "create_method",
    "emotion_index",
    "list_datasets",
    "list_methods",
    "load_model",
    "load_results",
    "predict",
    "register_dataset",
    "register_method",
]
