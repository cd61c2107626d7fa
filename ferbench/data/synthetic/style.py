"""How one synthetic domain looks: image format, crop, drawing style and nuisance ranges."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DomainStyle:
    """How one domain looks: image format, crop, drawing style and nuisance ranges.

    Lengths in "face units" are relative to the face's half-height; ranges are (low, high)
    of a uniform draw; "std" values are standard deviations of a normal draw.
    """

    size: int  # output side in pixels
    rgb: bool
    supersample: int  # drawn at size * supersample, then box-downsampled
    salt: int  # keeps this domain's random streams apart from every other domain's
    n_subjects: int
    class_weights: tuple[float, ...]  # prior of each of BASIC_EMOTIONS
    compound: float  # largest share of a second emotion blended into an expression
    face_scale: float  # face half-height / image side: small = loose crop
    face_centre_y: float  # face centre height / image side
    scale_std: float  # std of the log face scale
    shift_std: float  # std of the face centre offset, fraction of the side
    rotation_std: float  # degrees
    yaw_std: float  # pose: sideways shift of the features, face units
    line_width: float  # multiplier of every stroke width
    skin_tones: tuple[float, float]  # darkness range, 0 light .. 1 dark
    background_saturation: tuple[float, float]
    clutter: float  # probability of each of four background shapes
    occlusion: float  # probability of an occluding bar or patch
    light_gradient: float  # maximum strength of the illumination gradient
    colour_cast_std: float  # per-channel white-balance error (colour domains)
    contrast: tuple[float, float]
    brightness_std: float  # grey levels
    blur: tuple[float, float]  # weight range of a 3x3 binomial blur, output pixels
    noise: tuple[float, float]  # gaussian noise std range, grey levels


STYLES: dict[str, DomainStyle] = {
    "fer": DomainStyle(
        size=48,
        rgb=False,
        supersample=4,
        salt=4817,
        n_subjects=150,
        class_weights=(3.0, 1.0, 3.0, 6.0, 3.5, 2.5, 4.0),
        compound=0.0,
        face_scale=0.39,
        face_centre_y=0.52,
        scale_std=0.06,
        shift_std=0.025,
        rotation_std=5.0,
        yaw_std=0.3,
        line_width=1.25,
        skin_tones=(0.0, 0.9),
        background_saturation=(0.0, 0.3),
        clutter=0.4,
        occlusion=0.08,
        light_gradient=0.3,
        colour_cast_std=0.0,
        contrast=(0.65, 1.0),
        brightness_std=15.0,
        blur=(0.0, 0.8),
        noise=(2.0, 5.0),
    ),
    "raf": DomainStyle(
        size=100,
        rgb=True,
        supersample=2,
        salt=7236,
        n_subjects=240,
        class_weights=(2.0, 1.2, 1.4, 7.2, 3.0, 2.2, 4.2),
        compound=0.4,
        face_scale=0.56,
        face_centre_y=0.42,
        scale_std=0.04,
        shift_std=0.02,
        rotation_std=4.0,
        yaw_std=0.25,
        line_width=0.7,
        skin_tones=(0.0, 0.85),
        background_saturation=(0.2, 0.8),
        clutter=0.35,
        occlusion=0.10,
        light_gradient=0.3,
        colour_cast_std=0.06,
        contrast=(0.8, 1.2),
        brightness_std=10.0,
        blur=(0.0, 0.6),
        noise=(1.0, 5.0),
    ),
}
"""Drawing styles by domain: ``fer`` is FER2013-like, ``raf`` RAF-DB-like."""


def domain_style(domain: str) -> DomainStyle:
    """The style of ``domain``; an unknown name lists the known ones."""
    try:
        return STYLES[domain]
    except KeyError:
        raise ValueError(
            f"unknown synthetic domain {domain!r}; known domains: {', '.join(STYLES)}"
        ) from None
