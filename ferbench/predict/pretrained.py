"""A pretrained ONNX model used the way ``ferbench predict`` uses a run's saved model."""

from __future__ import annotations

from pathlib import Path

from ferbench.core.labels import EMOTIONS
from ferbench.core.registry import METHODS
from ferbench.predict.saved import SavedModel
from ferbench.pretrained import PretrainedMethod, register_pretrained


class PretrainedModel(SavedModel):
    """A :class:`PretrainedMethod` with every class it defines, each face crop brought
    straight to its input size and colour (it has no training faces to match)."""

    def __init__(self, method: PretrainedMethod):
        manifest = {"method": method.name, "training": {},
                    "classes": [EMOTIONS[c] for c in method.classes_]}
        super().__init__(method, manifest, method.description.file)

    @property
    def face_shape(self) -> None:  # type: ignore[override]
        return None


def load_pretrained(path: str | Path, device: str = "auto") -> PretrainedModel:
    """The model the TOML file at ``path`` describes, checked and ready to predict."""
    name = register_pretrained(path)
    return PretrainedModel(METHODS.create(name, device=device))
