"""A pretrained model described in a TOML file: the keys, their checks, and their defaults.

Users benchmark a published FER model without code by describing its ONNX file: the input
it takes (size, colour, layout, scaling) and the classes its outputs are (docs/pretrained.md).
:func:`read_model_description` checks every key before the model or any data is opened, so a
typo fails at once with the file, the key and what it allows.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ferbench.classical import FEATURE_CHOICES
from ferbench.core.labels import EMOTIONS, SYNONYMS, emotion_index
from ferbench.data.description import read_toml

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""A model's name names its cells and report rows: letters, digits and ``._-`` (``+`` joins
the members of an ensemble)."""
COLORS = ("gray", "rgb", "bgr")
LAYOUTS = ("nchw", "nhwc")
OUTPUTS = ("logits", "probabilities")
PIXEL_KEYS = ("layout", "scale", "mean", "std")
"""Keys that say how pixels are fed: meaningless for a model fed ferbench's features."""


class ModelDescriptionError(ValueError):
    """A pretrained-model description, or the ONNX file it names, that cannot be used."""


@dataclass(frozen=True)
class ModelDescription:
    """The checked content of one model TOML file; paths are absolute.

    ``classes`` are canonical indices in the order of the model's outputs; ``mean`` and
    ``std`` hold one value per input channel. ``values`` is the table as written, which
    enters every cell key with the ONNX file's content hash.
    """

    file: Path
    name: str
    onnx: Path
    size: int
    color: str
    classes: tuple[int, ...]
    outputs: str
    values: dict[str, Any]
    layout: str = "nchw"
    scale: float = 255.0
    mean: tuple[float, ...] = (0.0,)
    std: tuple[float, ...] = (1.0,)
    output: str | None = None
    features: str | None = None

    @property
    def channels(self) -> int:
        return 1 if self.color == "gray" else 3

    @property
    def pixels(self) -> str:
        """What the model is fed, in words."""
        if self.features:
            return (f"the {self.features} feature matrix ferbench computes from "
                    f"{self.size}x{self.size} gray faces")
        faces = f"{self.size}x{self.size} {self.color} faces, {self.layout.upper()}"
        if self.scale == 1 and set(self.mean) == {0} and set(self.std) == {1}:
            return f"{faces}, 0-255 pixel values as floats"
        numbers = ", ".join(f"{m:g}" for m in self.mean), ", ".join(f"{s:g}" for s in self.std)
        return f"{faces}, pixels / {self.scale:g}, then (x - [{numbers[0]}]) / [{numbers[1]}]"


def _name(value: object) -> str | None:
    ok = isinstance(value, str) and NAME_PATTERN.fullmatch(value)
    return value if ok and not value.lower().endswith(".toml") else None


def _path(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() and "\x00" not in value else None


def _size(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _positive(value: object) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
    return float(value) if ok else None


def _numbers(value: object) -> tuple[float, ...] | None:
    values = value if isinstance(value, list) else [value]
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return tuple(float(v) for v in values)
    return None


def _choice(options: tuple[str, ...]) -> Callable[[object], str | None]:
    return lambda value: value if value in options else None


def _strings(value: object) -> list[str] | None:
    ok = isinstance(value, list) and value and all(isinstance(v, str) for v in value)
    return value if ok else None


def _one_of(options: tuple[str, ...]) -> str:
    return f"one of {', '.join(repr(o) for o in options)}"


KEYS: dict[str, tuple[Callable[[object], Any], str]] = {
    "name": (_name, "a name of letters, digits and . _ - (it names the model in reports)"),
    "onnx": (_path, "the ONNX file's path, relative to the TOML file's folder"),
    "size": (_size, "the input's height and width in pixels, an int > 0"),
    "color": (_choice(COLORS), _one_of(COLORS)),
    "layout": (_choice(LAYOUTS), _one_of(LAYOUTS)),
    "scale": (_positive, "a number > 0 that pixels (0-255) are divided by"),
    "mean": (_numbers, "a number or a list of one per channel"),
    "std": (_numbers, "a number or a list of one per channel, each > 0"),
    "outputs": (_choice(OUTPUTS), _one_of(OUTPUTS)),
    "output": (_path, "the name of the model output that holds the class scores"),
    "classes": (_strings, "a list of emotion names, in the order of the model's outputs"),
    "features": (_choice(FEATURE_CHOICES), f"{_one_of(FEATURE_CHOICES)} (a model exported "
                 f"from a ferbench classical method)"),
}
REQUIRED = ("name", "onnx", "size", "color", "outputs", "classes")


def read_model_description(path: str | Path) -> ModelDescription:
    """The checked description in ``path``; raises naming the file, the key and what fits."""
    file, table = read_toml(path, "model description", ModelDescriptionError)
    values = {key: _checked(file, key, value) for key, value in table.items()}
    for key in REQUIRED:
        if key not in values:
            raise ModelDescriptionError(f"{file}: missing key {key!r}, {KEYS[key][1]}")
    if "features" in values:
        _check_features(file, values)
    channels = 1 if values["color"] == "gray" else 3
    for key in ("mean", "std"):
        if key in values:
            values[key] = _per_channel(file, key, values[key], channels)
    if any(v <= 0 for v in values.get("std", ())):
        raise ModelDescriptionError(f"{file}: key 'std' must be > 0 for every channel, got "
                                    f"{list(values['std'])}")
    values["classes"] = _classes(file, values["classes"])
    values["onnx"] = (file.parent / Path(values["onnx"]).expanduser()).resolve()
    return ModelDescription(file=file, values=table, **values)


def _checked(file: Path, key: str, value: object) -> Any:
    if key not in KEYS:
        close = difflib.get_close_matches(key, list(KEYS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ModelDescriptionError(f"{file}: unknown key {key!r}{hint} Allowed keys: "
                                    f"{', '.join(KEYS)}")
    check, allowed = KEYS[key]
    checked = check(value)
    if checked is None:
        raise ModelDescriptionError(f"{file}: key {key!r} must be {allowed}, got {value!r}")
    return checked


def _check_features(file: Path, values: dict[str, Any]) -> None:
    """A model fed ferbench's features: no pixel keys, gray faces of at least 16 px."""
    for key in PIXEL_KEYS:
        if key in values:
            raise ModelDescriptionError(
                f"{file}: key {key!r} does not apply with features = {values['features']!r}: "
                f"the model is fed ferbench's feature matrix, not pixels")
    if values["color"] != "gray" or values["size"] < 16:
        raise ModelDescriptionError(f"{file}: features = {values['features']!r} are computed "
                                    f"on gray faces of at least 16 px: set color = \"gray\" "
                                    f"and size >= 16")


def _per_channel(file: Path, key: str, numbers: tuple[float, ...], channels: int
                 ) -> tuple[float, ...]:
    if len(numbers) == 1:
        return numbers * channels
    if len(numbers) != channels:
        raise ModelDescriptionError(f"{file}: key {key!r} has {len(numbers)} values for "
                                    f"{channels} input channel(s); give one or {channels}")
    return numbers


def _classes(file: Path, names: list[str]) -> tuple[int, ...]:
    """Canonical indices of the class names (synonyms allowed), each at most once."""
    indices: list[int] = []
    for position, name in enumerate(names):
        try:
            index = emotion_index(name)
        except ValueError:
            raise ModelDescriptionError(
                f"{file}: classes[{position}] = {name!r} is not an emotion; use one of "
                f"{', '.join(EMOTIONS)} or a synonym ({', '.join(sorted(SYNONYMS))})") from None
        if index in indices:
            first = names[indices.index(index)]
            raise ModelDescriptionError(f"{file}: classes[{position}] = {name!r} names "
                                        f"{EMOTIONS[index]} again (as {first!r} did)")
        indices.append(index)
    return tuple(indices)
