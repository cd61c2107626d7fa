"""Procedurally drawn faces whose expression geometry follows the emotion.

The embedded datasets ``synth-fer`` and ``synth-raf`` (``datasets/synthetic.py``) come from
here, so that a fresh machine benchmarks something real without a download. Each face is a
vector drawing: an identity (face shape, feature sizes, skin, hair) wears an expression (a
point in a small parameter space near its emotion's prototype, jittered so classes overlap)
under nuisance variation (pose, rotation, scale, lighting, blur, noise, occlusion, clutter).
A :class:`DomainStyle` fixes how one domain looks; two styles make a real domain gap.

Every random draw comes from a numpy generator seeded by (seed, domain, split), so the same
arguments give bit-identical arrays. :func:`load_splits` caches generated splits as ``.npz``.

Modules, in the order a split is made: :mod:`.style` (how a domain looks),
:mod:`.expression` (emotions, identities, expressions), :mod:`.shapes` and :mod:`.drawing`
(the picture as layers), :mod:`.pixels` (rasterising and photometric nuisances),
:mod:`.generator` (one split) and :mod:`.cache` (splits on disk).
"""

from ferbench.data.synthetic.cache import cache_file_name, load_splits
from ferbench.data.synthetic.expression import (
    BASIC_EMOTIONS,
    BASIC_LABELS,
    EXPRESSION_PARAMS,
    JITTER,
    LABEL_NOISE_RATE,
    NEUTRAL,
    PROTOTYPES,
    Traits,
)
from ferbench.data.synthetic.generator import (
    GENERATOR_VERSION,
    SPLITS,
    SyntheticSplit,
    check_count,
    check_seed,
    generate,
)
from ferbench.data.synthetic.style import STYLES, DomainStyle, domain_style

__all__ = [
    "BASIC_EMOTIONS",
    "BASIC_LABELS",
    "EXPRESSION_PARAMS",
    "GENERATOR_VERSION",
    "JITTER",
    "LABEL_NOISE_RATE",
    "NEUTRAL",
    "PROTOTYPES",
    "SPLITS",
    "STYLES",
    "DomainStyle",
    "SyntheticSplit",
    "Traits",
    "cache_file_name",
    "check_count",
    "check_seed",
    "domain_style",
    "generate",
    "load_splits",
]
