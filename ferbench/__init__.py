"""ferbench: benchmark facial-expression-recognition methods side by side.

The public API a plugin author needs is importable from here.
"""

import os

# OpenMP threads that wait for work sleep instead of spinning (unless the user chose
# otherwise). Set before torch loads its OpenMP runtime; it changes no number. With another
# job on a two-core machine, spinning threads made a cnn epoch 8x slower (docs/decisions.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from ferbench.core.dataset import (
    DataContext,
    Dataset,
    DatasetFormatError,
    DatasetNotFound,
    Splits,
)
from ferbench.core.faceset import FaceSet
from ferbench.core.labels import EMOTIONS, LabelMap, emotion_index
from ferbench.core.method import FeatureSpec, InputSpec, Method
from ferbench.core.registry import (
    PluginError,
    create_method,
    list_datasets,
    list_methods,
    register_dataset,
    register_method,
)
from ferbench.data.described import create_dataset
from ferbench.predict.export import export_model
from ferbench.predict.prediction import predict
from ferbench.predict.pretrained import load_pretrained
from ferbench.predict.saved import ModelFileError, SavedModel, load_model
from ferbench.report.write import load_results

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
    "export_model",
    "list_datasets",
    "list_methods",
    "load_model",
    "load_pretrained",
    "load_results",
    "predict",
    "register_dataset",
    "register_method",
]
