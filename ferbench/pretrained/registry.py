"""Pretrained models by path: a model TOML file is accepted wherever a method name is.

:func:`register_pretrained` reads the file and registers its model under the file's
``name``, which is what reports show; ``ferbench run --methods svm,model.toml`` and
``ferbench predict --model model.toml`` go through it (:func:`resolve_method`).
"""

from __future__ import annotations

from pathlib import Path

from ferbench.core.registry import METHODS, load_plugins
from ferbench.data.described import DESCRIBED_BY
from ferbench.pretrained.description import ModelDescriptionError, read_model_description
from ferbench.pretrained.method import PretrainedMethod
from ferbench.pretrained.runtime import onnxruntime


def register_pretrained(path: str | Path) -> str:
    """Register the model that ``path`` describes under its ``name``, and return the name.

    Registering the same file again replaces its entry (the file may have changed); a name
    that another method already has is an error naming both.
    """
    described = read_model_description(path)
    onnxruntime()
    name = described.name
    if name in METHODS:
        entry = METHODS.get(name)
        if entry.details.get(DESCRIBED_BY) != str(described.file):
            by = entry.details.get(DESCRIBED_BY, entry.source)
            raise ModelDescriptionError(f"{described.file}: name = {name!r} is already the "
                                        f"name of a method ({by}); choose another name")
        METHODS.unregister(name)

    def factory(*, device: str = "auto", batch_size: int = 64,
                threads: int = 2) -> PretrainedMethod:
        return PretrainedMethod(described, device=device, batch_size=batch_size,
                                threads=threads)

    details = {DESCRIBED_BY: str(described.file), "input": described.pixels}
    METHODS.register(name, summary=f"pretrained ONNX model described by {described.file}",
                     in_default_run=False, details=details)(factory)
    return name


def is_model_file(name: str) -> bool:
    """Whether a method name is a model description: a ``.toml`` path, or the path of an
    existing file that is no registered method's name."""
    return name.lower().endswith(".toml") or (name not in METHODS and Path(name).is_file())


def resolve_method(name: str) -> str:
    """``name`` itself, or for a model description the ``name`` of the model it describes,
    registered on the way (docs/pretrained.md)."""
    load_plugins()
    return register_pretrained(name) if is_model_file(name) else name


def described_by(name: str) -> str | None:
    """The TOML file a registered pretrained model was read from; None for other methods."""
    return METHODS.get(name).details.get(DESCRIBED_BY) if name in METHODS else None
