"""Batch augmentation: one random affine warp per image, applied to a whole batch at once.

Flip, rotation, shift and crop-scale are folded into a single 2×3 matrix per image and
applied with one ``affine_grid`` + ``grid_sample`` call on whatever device holds the
batch, so augmentation costs one bilinear resample per batch instead of a Python loop of
PIL transforms per image. Optionally some faces then lose resolution: brought down to a
random smaller side and back up, as a face from a dataset of smaller images reaches a model
trained on larger ones; optionally each face's contrast and brightness change, as lighting
and cameras differ between datasets; and optionally a random rectangle of some faces is
painted over, as hands, hair and glasses hide parts of faces in photos. The random
parameters are drawn on the CPU from the trainer's generator, which keeps augmentation
identical for a seed on every device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Augment:
    """Ranges of the random affine warp.

    flip:       probability of a horizontal flip.
    rotate_deg: rotation uniform in ±rotate_deg degrees.
    shift:      translation uniform in ±shift of the image size, per axis.
    min_crop:   the warp samples a square crop of side uniform in [min_crop, 1] of the
                image and stretches it back to full size (1 disables cropping).
    low_res:    probability that a face is resampled to a side uniform in
                [min_res, 1] of its own (antialiased) and back up (bilinear).
    min_res:    the smallest such side, as a fraction of the image side.
    contrast:   each face's deviation from its own mean grey scaled by a factor uniform in
                [1 - contrast, 1 + contrast] (0 disables it).
    brightness: then shifted by uniform ±brightness of the pixel range, clipped to 0–255.
    erase:      probability that a rectangle of a face is filled with the face's mean grey
                (random erasing, Zhong et al. 2020): 2–33 % of the image, aspect 0.3–3.3.
    """

    flip: float = 0.5
    rotate_deg: float = 10.0
    shift: float = 0.1
    min_crop: float = 0.9
    low_res: float = 0.0
    min_res: float = 0.4
    contrast: float = 0.0
    brightness: float = 0.0
    erase: float = 0.0

    def __post_init__(self) -> None:
        checks = {
            "flip": 0 <= self.flip <= 1,
            "rotate_deg": 0 <= self.rotate_deg <= 180,
            "shift": 0 <= self.shift < 1,
            "min_crop": 0 < self.min_crop <= 1,
            "low_res": 0 <= self.low_res <= 1,
            "min_res": 0 < self.min_res <= 1,
            "contrast": 0 <= self.contrast < 1,
            "brightness": 0 <= self.brightness < 1,
            "erase": 0 <= self.erase <= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"Augment.{name}={getattr(self, name)!r} is out of range")

    def matrices(self, count: int, generator: torch.Generator) -> torch.Tensor:
        """(count, 2, 3) affine matrices mapping output to input coordinates in [-1, 1]."""

        def uniform(low: float, high: float) -> torch.Tensor:
            return low + (high - low) * torch.rand(count, generator=generator)

        flip = torch.where(torch.rand(count, generator=generator) < self.flip, -1.0, 1.0)
        angle = uniform(-self.rotate_deg, self.rotate_deg) * (math.pi / 180)
        crop = uniform(self.min_crop, 1.0)
        cos, sin = torch.cos(angle) * crop, torch.sin(angle) * crop
        shift_x = uniform(-2 * self.shift, 2 * self.shift)
        shift_y = uniform(-2 * self.shift, 2 * self.shift)
        return torch.stack(
            [
                torch.stack([cos * flip, -sin, shift_x], dim=1),
                torch.stack([sin * flip, cos, shift_y], dim=1),
            ],
            dim=1,
        )

    @property
    def flips_only(self) -> bool:
        return self.rotate_deg == 0 and self.shift == 0 and self.min_crop == 1

    def __call__(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Randomly warp a float 0–255 batch (N, C, H, W), then lower some faces' resolution,
        change their contrast and brightness and paint over part of some; a flip-only
        augmentation mirrors exactly instead of resampling."""
        if self.flips_only:
            flip = torch.rand(len(images), generator=generator) < self.flip
            warped = torch.where(flip.to(images.device).view(-1, 1, 1, 1), hflip(images), images)
        else:
            warped = warp(images, self.matrices(len(images), generator))
        if self.low_res > 0:
            chosen = torch.rand(len(images), generator=generator) < self.low_res
            sides = self.min_res + (1 - self.min_res) * torch.rand(len(images),
                                                                   generator=generator)
            warped = lower_resolution(warped, chosen, sides)
        if self.contrast > 0 or self.brightness > 0:
            gains = 1 + self.contrast * (2 * torch.rand(len(images), generator=generator) - 1)
            shifts = 255 * self.brightness * (2 * torch.rand(len(images),
                                                             generator=generator) - 1)
            warped = relight(warped, gains, shifts)
        if self.erase > 0:
            warped = erase(warped, self.rectangles(len(images), generator))
        return warped

    def rectangles(self, count: int, generator: torch.Generator) -> torch.Tensor:
        """(count, 4) rectangles to erase as fractions of the image, (top, left, height,
        width); an image drawn not to be erased gets an empty one."""
        draws = torch.rand(count, 5, generator=generator)
        area = 0.02 + 0.31 * draws[:, 0]
        aspect = torch.exp(math.log(0.3) + (math.log(3.3) - math.log(0.3)) * draws[:, 1])
        height = torch.sqrt(area * aspect).clamp(max=1.0)
        width = torch.sqrt(area / aspect).clamp(max=1.0)
        chosen = draws[:, 4] < self.erase
        top, left = draws[:, 2] * (1 - height), draws[:, 3] * (1 - width)
        return torch.stack([top, left, height * chosen, width * chosen], dim=1)


def warp(images: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Resample a float batch through (N, 2, 3) affine matrices, replicating edge pixels."""
    theta = theta.to(images.device, images.dtype)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)


def lower_resolution(images: torch.Tensor, chosen: torch.Tensor, sides: torch.Tensor
                     ) -> torch.Tensor:
    """The ``chosen`` images of a batch (N, C, H, W) brought down to ``sides`` (fractions of
    their size, at least 2 px) and back up; the others unchanged."""
    height, width = images.shape[-2:]
    out = images.clone()
    for index in torch.nonzero(chosen).flatten().tolist():
        side = float(sides[index])
        small = (max(2, round(height * side)), max(2, round(width * side)))
        down = F.interpolate(images[index:index + 1], size=small, mode="bilinear",
                             antialias=True, align_corners=False)
        out[index] = F.interpolate(down, size=(height, width), mode="bilinear",
                                   align_corners=False)[0]
    return out


def relight(images: torch.Tensor, gains: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """Each image of a float 0–255 batch (N, C, H, W) with its deviation from its own mean
    scaled by ``gains`` and then shifted by ``shifts``, clipped to 0–255."""
    gains = gains.to(images.device, images.dtype).view(-1, 1, 1, 1)
    shifts = shifts.to(images.device, images.dtype).view(-1, 1, 1, 1)
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return ((images - mean) * gains + mean + shifts).clamp(0, 255)


def erase(images: torch.Tensor, rectangles: torch.Tensor) -> torch.Tensor:
    """A float batch (N, C, H, W) with each image's rectangle (top, left, height, width as
    fractions of its side) filled with that image's mean grey."""
    height, width = images.shape[-2:]
    rectangles = rectangles.to(images.device, images.dtype)
    rows = (torch.arange(height, device=images.device, dtype=images.dtype) + 0.5) / height
    cols = (torch.arange(width, device=images.device, dtype=images.dtype) + 0.5) / width
    top, left, tall, wide = (rectangles[:, i].view(-1, 1, 1) for i in range(4))
    inside = ((rows.view(1, -1, 1) >= top) & (rows.view(1, -1, 1) < top + tall)
              & (cols.view(1, 1, -1) >= left) & (cols.view(1, 1, -1) < left + wide))
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return torch.where(inside.unsqueeze(1), mean, images)


def hflip(images: torch.Tensor) -> torch.Tensor:
    """Mirror a batch left to right (test-time augmentation)."""
    return images.flip(-1)
