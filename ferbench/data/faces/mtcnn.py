"""MTCNN (Zhang et al., IEEE SPL 2016): a three-stage cascade face detector, run in numpy.

`ferbench predict` tries it after dlib's detectors: trained on faces in the wild, it finds
tight, tilted, half-profile and blurred faces that dlib's frontal HOG and CNN detectors
miss. Its weights ship inside the ``mtcnn`` wheel on the package index (ipazc/mtcnn, MIT),
which runs them in TensorFlow; ferbench reads only the weight files from that wheel and runs
the three small networks here, so neither TensorFlow nor torch is needed.

The pipeline is the paper's: an image pyramid scanned by the proposal network (P-Net), the
proposals re-scored and regressed by the refinement network (R-Net, 24 px) and the output
network (O-Net, 48 px), with non-maximum suppression after each stage.
"""

from __future__ import annotations

import functools
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import joblib
import numpy as np
from PIL import Image

WEIGHTS_PACKAGE = "mtcnn"
INSTALL_HINT = "pip install 'mtcnn>=1.0' (its wheel carries the weights; TensorFlow is not needed)"
MIN_FACE = 20
"""The smallest face searched for, in pixels."""
PYRAMID_FACTOR = 0.709
THRESHOLDS = (0.6, 0.7, 0.7)
"""Least face probability kept by P-Net, R-Net and O-Net."""


class MTCNNWeightsNotFound(FileNotFoundError):
    """The ``mtcnn`` package, whose wheel carries the weights, is missing or incomplete."""


def weights_path(stage: str) -> Path:
    """The file of ``stage``'s weights (pnet, rnet or onet) inside the installed wheel."""
    try:
        path = Path(str(distribution(WEIGHTS_PACKAGE).locate_file(
            f"mtcnn/assets/weights/{stage}.lz4")))
    except PackageNotFoundError:
        raise MTCNNWeightsNotFound(
            f"the MTCNN face detector needs the {WEIGHTS_PACKAGE} package for its weights, "
            f"which is not installed: {INSTALL_HINT}") from None
    if not path.is_file():
        raise MTCNNWeightsNotFound(f"the MTCNN weights file {path} is missing; reinstall: "
                                   f"{INSTALL_HINT}")
    return path


@functools.cache
def _weights(stage: str) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(w, dtype=np.float32) for w in joblib.load(weights_path(stage)))


def _conv(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Valid 2-D convolution of (N, H, W, C) by a Keras kernel (kh, kw, C, out)."""
    kh, kw = kernel.shape[:2]
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    return np.einsum("nhwcij,ijco->nhwo", windows, kernel, optimize=True) + bias


def _prelu(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, x * alpha.reshape(-1))


def _max_pool(x: np.ndarray, size: int, stride: int, same: bool) -> np.ndarray:
    """Max pooling of (N, H, W, C); ``same`` pads the bottom and right as Keras does when
    the padding needed is at most one pixel (every use here)."""
    if same:
        height, width = x.shape[1:3]
        pad_h = max(0, (-(-height // stride) - 1) * stride + size - height)
        pad_w = max(0, (-(-width // stride) - 1) * stride + size - width)
        x = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2),
                       (pad_w // 2, pad_w - pad_w // 2), (0, 0)), constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(1, 2))
    return windows[:, ::stride, ::stride].max(axis=(-2, -1))


def _softmax_face(logits: np.ndarray) -> np.ndarray:
    """The face probability of two-class logits (not face, face) on the last axis."""
    return 1 / (1 + np.exp(logits[..., 0] - logits[..., 1]))


def _flatten(x: np.ndarray) -> np.ndarray:
    """Flatten (N, H, W, C) in the order the networks were trained with (W, H, C)."""
    return x.transpose(0, 2, 1, 3).reshape(len(x), -1)


def _pnet(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = _weights("pnet")
    x = _max_pool(_prelu(_conv(x, w[0], w[1]), w[2]), 2, 2, same=True)
    x = _prelu(_conv(x, w[3], w[4]), w[5])
    x = _prelu(_conv(x, w[6], w[7]), w[8])
    return _conv(x, w[9], w[10]), _softmax_face(_conv(x, w[11], w[12]))


def _rnet(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = _weights("rnet")
    x = _max_pool(_prelu(_conv(x, w[0], w[1]), w[2]), 3, 2, same=True)
    x = _max_pool(_prelu(_conv(x, w[3], w[4]), w[5]), 3, 2, same=False)
    x = _flatten(_prelu(_conv(x, w[6], w[7]), w[8]))
    x = _prelu(x @ w[9] + w[10], w[11])
    return x @ w[12] + w[13], _softmax_face(x @ w[14] + w[15])


def _onet(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = _weights("onet")
    x = _max_pool(_prelu(_conv(x, w[0], w[1]), w[2]), 3, 2, same=True)
    x = _max_pool(_prelu(_conv(x, w[3], w[4]), w[5]), 3, 2, same=False)
    x = _max_pool(_prelu(_conv(x, w[6], w[7]), w[8]), 2, 2, same=True)
    x = _flatten(_prelu(_conv(x, w[9], w[10]), w[11]))
    x = _prelu(x @ w[12] + w[13], w[14])
    return x @ w[15] + w[16], _softmax_face(x @ w[19] + w[20])


def _normalized(image: np.ndarray) -> np.ndarray:
    return (image.astype(np.float32) - 127.5) / 128


def _nms(boxes: np.ndarray, threshold: float, by_min: bool = False) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression of rows (x1, y1, x2, y2, score)."""
    order = np.argsort(-boxes[:, 4])
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(best)
        width = np.clip(np.minimum(boxes[best, 2], boxes[rest, 2])
                        - np.maximum(boxes[best, 0], boxes[rest, 0]), 0, None)
        height = np.clip(np.minimum(boxes[best, 3], boxes[rest, 3])
                         - np.maximum(boxes[best, 1], boxes[rest, 1]), 0, None)
        inter = width * height
        other = np.minimum(area[best], area[rest]) if by_min else area[best] + area[rest] - inter
        order = rest[inter / np.maximum(other, 1e-9) <= threshold]
    return np.asarray(keep, dtype=np.int64)


def _square(boxes: np.ndarray) -> np.ndarray:
    boxes = boxes.copy()
    width, height = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(width, height)
    boxes[:, 0] += (width - side) / 2
    boxes[:, 1] += (height - side) / 2
    boxes[:, 2:4] = boxes[:, :2] + side[:, None]
    return boxes


def _regressed(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    boxes = boxes.copy()
    sizes = np.stack([boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1] * 2, axis=1)
    boxes[:, :4] += offsets * sizes
    return boxes


def _patches(image: np.ndarray, boxes: np.ndarray, side: int) -> np.ndarray:
    """Each box's region of ``image`` (zero outside it) resized to side × side."""
    height, width = image.shape[:2]
    out = np.zeros((len(boxes), side, side, 3), dtype=np.float32)
    for i, (x1, y1, x2, y2) in enumerate(np.round(boxes[:, :4]).astype(int)):
        x2, y2 = max(x2, x1 + 1), max(y2, y1 + 1)
        canvas = np.zeros((y2 - y1, x2 - x1, 3), dtype=np.uint8)
        top, left = max(0, y1), max(0, x1)
        bottom, right = min(height, y2), min(width, x2)
        if bottom > top and right > left:
            canvas[top - y1:bottom - y1, left - x1:right - x1] = image[top:bottom, left:right]
        resized = Image.fromarray(canvas).resize((side, side), Image.Resampling.BILINEAR)
        out[i] = _normalized(np.asarray(resized))
    return out


def _proposals(image: np.ndarray, threshold: float) -> np.ndarray:
    height, width = image.shape[:2]
    scale = 12 / MIN_FACE
    found = []
    while min(height, width) * scale >= 12:
        size = (int(np.ceil(width * scale)), int(np.ceil(height * scale)))
        scaled = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))
        offsets, probability = _pnet(_normalized(scaled)[None])
        rows, cols = np.nonzero(probability[0] >= threshold)
        if rows.size:
            boxes = np.stack([cols * 2, rows * 2, cols * 2 + 12, rows * 2 + 12], axis=1)
            boxes = np.column_stack([boxes / scale, probability[0, rows, cols]])
            boxes[:, :4] += offsets[0, rows, cols] * (12 / scale)
            found.append(boxes[_nms(boxes, 0.5)])
        scale *= PYRAMID_FACTOR
    if not found:
        return np.empty((0, 5))
    boxes = np.concatenate(found)
    return _square(boxes[_nms(boxes, 0.7)])


def detect(image: np.ndarray, thresholds: tuple[float, float, float] = THRESHOLDS
           ) -> np.ndarray:
    """Faces in a uint8 RGB (H, W, 3) image: rows (x1, y1, x2, y2, probability) in the
    image's pixels, most probable first; an empty (0, 5) array when none is found."""
    boxes = _proposals(image, thresholds[0])
    for network, side, threshold in ((_rnet, 24, thresholds[1]), (_onet, 48, thresholds[2])):
        if not len(boxes):
            return np.empty((0, 5))
        offsets, probability = network(_patches(image, boxes, side))
        kept = probability >= threshold
        boxes = np.column_stack([boxes[kept, :4], probability[kept]])
        boxes = _regressed(boxes, offsets[kept])
        if network is _rnet:
            boxes = _square(boxes[_nms(boxes, 0.7)])
        else:
            boxes = boxes[_nms(boxes, 0.7, by_min=True)]
    return boxes[np.argsort(-boxes[:, 4])]
