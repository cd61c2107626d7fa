"""What a prediction rests on, drawn: Grad-CAM heatmaps for networks (captum's LayerGradCam
on the last convolution), the 68 landmarks for landmark-based methods, and annotated photos
with every face's box and label."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from PIL import Image, ImageDraw

from ferbench.core.faceset import FaceSet
from ferbench.core.labels import EMOTIONS
from ferbench.core.method import Method
from ferbench.data.faces.photos import DetectedFace
from ferbench.predict.crops import face_set
from ferbench.predict.saved import SavedModel

PANEL = 192
"""Side in pixels of each panel of an explanation image."""


def explanation_kind(model: object) -> str | None:
    """"gradcam" for networks, "landmarks" for methods fed landmarks, else None (and for
    anything but one saved model, such as an ensemble)."""
    if not isinstance(model, SavedModel):
        return None
    if can_gradcam(model.method):
        return "gradcam"
    if any(f.name == "landmarks" for f in model.input_spec.features):
        return "landmarks"
    return None


def can_gradcam(method: Method) -> bool:
    """Whether ``method`` is a fitted network (a ``model`` with convolutions)."""
    return getattr(method, "model", None) is not None


def gradcam(method: Method, crops: Sequence[np.ndarray], targets: Sequence[int],
            face_shape: Sequence[int] | None = None) -> np.ndarray:
    """(N, H, W) heatmaps in [0, 1] at the network's input size: Grad-CAM of class index
    ``targets[i]`` (into ``method.classes_``) at the network's last convolution; crops are
    prepared as :func:`ferbench.predict.crops.face_set` prepares them for ``face_shape``."""
    import torch
    from captum.attr import LayerAttribution, LayerGradCam
    from torch import nn

    network = method.model
    convolutions = [m for m in network.modules() if isinstance(m, nn.Conv2d)]
    if not convolutions:
        raise ValueError(f"{method.name}: no convolution to explain with Grad-CAM")
    faces = face_set(crops, method.input_spec, face_shape)
    images = torch.from_numpy(faces.images.copy())
    images = images.unsqueeze(1) if images.ndim == 3 else images.permute(0, 3, 1, 2)
    device = next(network.parameters()).device
    network.eval()
    cam = LayerGradCam(network, convolutions[-1]).attribute(
        images.float().to(device), target=list(targets), relu_attributions=True)
    height, width = faces.image_shape
    maps = LayerAttribution.interpolate(cam, (height, width), interpolate_mode="bilinear")
    maps = maps.detach().cpu().numpy()[:, 0]
    peaks = maps.reshape(len(maps), -1).max(axis=1)
    return maps / np.where(peaks > 0, peaks, 1.0)[:, None, None]


def heatmap_panel(crop: np.ndarray, heatmap: np.ndarray, title: str, side: int = PANEL
                  ) -> Image.Image:
    """The face and its heatmap over it, side by side, titled with the prediction."""
    face = Image.fromarray(crop).convert("RGB").resize((side, side))
    heat = Image.fromarray(heatmap.astype(np.float32)).resize((side, side),
                                                              Image.Resampling.BILINEAR)
    colours = colormaps["jet"](np.clip(np.asarray(heat), 0, 1))[..., :3]
    overlay = (0.55 * np.asarray(face) + 0.45 * 255 * colours).astype(np.uint8)
    return _titled([face, Image.fromarray(overlay)], title)


def landmark_panel(photo: np.ndarray, face: DetectedFace, title: str) -> Image.Image:
    """The face's box region of the photo with dlib's 68 landmarks drawn (none for a whole
    image taken as the face)."""
    left, top, right, bottom = face.box
    margin = (right - left) // 5
    box = (max(0, left - margin), max(0, top - margin),
           min(photo.shape[1], right + margin), min(photo.shape[0], bottom + margin))
    region = Image.fromarray(photo).crop(box)
    scale = PANEL / max(region.size)
    region = region.resize((round(region.width * scale), round(region.height * scale)))
    draw = ImageDraw.Draw(region)
    points = np.empty((0, 2)) if face.landmarks is None else face.landmarks
    for x, y in (points - box[:2]) * scale:
        draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=(0, 255, 0))
    return _titled([region], title)


def _titled(panels: list[Image.Image], title: str) -> Image.Image:
    width = sum(p.width for p in panels)
    height = max(p.height for p in panels)
    canvas = Image.new("RGB", (width, height + 18), (255, 255, 255))
    x = 0
    for panel in panels:
        canvas.paste(panel, (x, 18))
        x += panel.width
    ImageDraw.Draw(canvas).text((4, 3), title, fill=(0, 0, 0))
    return canvas


GALLERY_FACES = 6
"""Faces per row of a gallery: that many correctly and that many wrongly classified."""


def gallery(method: Method, faces: FaceSet, predicted: np.ndarray, seed: int = 0
            ) -> Image.Image | None:
    """Two rows of test faces with their Grad-CAM heatmaps: correctly classified above,
    wrongly classified below, each titled "true → predicted"; None without faces."""
    rng = np.random.default_rng(seed)
    rows = []
    for chosen in (predicted == faces.labels, predicted != faces.labels):
        index = np.flatnonzero(chosen)
        index = np.sort(rng.choice(index, min(GALLERY_FACES, len(index)), replace=False))
        if not len(index):
            continue
        targets = np.searchsorted(method.classes_, predicted[index])
        heatmaps = gradcam(method, list(faces.images[index]), targets.tolist())
        rows.append([heatmap_panel(faces.images[i], heat, f"{EMOTIONS[faces.labels[i]]} → "
                                   f"{EMOTIONS[predicted[i]]}", side=96)
                     for i, heat in zip(index, heatmaps)])
    if not rows:
        return None
    width = max(sum(p.width for p in row) for row in rows)
    height = sum(row[0].height for row in rows)
    canvas = Image.new("RGB", (width, height), (255, 255, 255))
    top = 0
    for row in rows:
        left = 0
        for panel in row:
            canvas.paste(panel, (left, top))
            left += panel.width
        top += row[0].height
    return canvas


def annotated_photo(photo: np.ndarray, faces: Sequence[DetectedFace],
                    labels: Sequence[str]) -> Image.Image:
    """The photo with each face's box and predicted label drawn."""
    image = Image.fromarray(photo).convert("RGB")
    draw = ImageDraw.Draw(image)
    thickness = max(2, min(image.size) // 200)
    for face, label in zip(faces, labels):
        left, top, right, bottom = face.box
        draw.rectangle((left, top, right, bottom), outline=(255, 40, 40), width=thickness)
        text_top = max(0, top - 14)
        draw.rectangle((left, text_top, left + 7 * len(label) + 6, text_top + 13),
                       fill=(255, 40, 40))
        draw.text((left + 3, text_top + 1), label, fill=(255, 255, 255))
    return image


def save_image(image: Image.Image, path: Path) -> None:
    """Write ``image`` as PNG at ``path`` (its parent folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
