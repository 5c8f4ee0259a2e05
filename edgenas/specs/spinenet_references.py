"""The published SpineNet backbones as specs: block tables and scaling tables.

Facts from the papers and from TF Model Garden
(`official/vision/modeling/backbones/spinenet.py`, `spinenet_mobile.py` and the
RetinaNet experiment configs); the tables below are written in our own block
notation.

- SpineNet (https://arxiv.org/abs/1912.05027): one topology, SpineNet-49, scaled
  to 49S/49/96/143/190 by endpoint filters, `filter_size_scale`, `resample_alpha`
  and `block_repeats`. Model Garden's newer table appends a level-2 output
  block (for min_level 2); with outputs 3..7 it feeds nothing the backbone
  returns, so it is left out here and the backbone is the same network.
- SpineNet-Mobile (https://arxiv.org/abs/2010.11426; also SpineNet Appendix A):
  one mbconv topology, scaled to 49XS/49S/49. Its mbconv blocks expand 6x, use
  3x3 depthwise kernels and SE 0.2.
- Activation: the published detectors were trained with swish (Model Garden's
  RetinaNet configs set `activation: swish`); it changes no parameter count.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping

from edgenas.errors import UnknownNameError
from edgenas.specs.enums import Activation
from edgenas.specs.spinenet_arch import SpineNetSpec
from edgenas.specs.spinenet_block import SpineNetBlockSpec
from edgenas.specs.spinenet_mbconv import SpineNetMBConv

__all__ = [
    "SCALINGS",
    "SPINENET49_BLOCKS",
    "SPINENET_MOBILE49_BLOCKS",
    "SpineNetScaling",
    "spinenet_reference",
    "spinenet_reference_names",
]


def _table(*tokens: str) -> tuple[SpineNetBlockSpec, ...]:
    return tuple(SpineNetBlockSpec.parse(token) for token in tokens)


SPINENET49_BLOCKS = _table(
    # 10 intermediate blocks (levels 2, 4, 3, 4, 6, 4, 5, 7, 5, 5) ...
    "bottleneck_l2_in0+1",
    "residual_l4_in0+1",
    "bottleneck_l3_in2+3",
    "bottleneck_l4_in2+4",
    "residual_l6_in3+5",
    "bottleneck_l4_in3+5",
    "residual_l5_in6+7",
    "residual_l7_in6+8",
    "bottleneck_l5_in8+9",
    "bottleneck_l5_in8+10",
    # ... then the 5 output blocks, levels 4, 3, 5, 7, 6.
    "bottleneck_l4_in5+10_out",
    "bottleneck_l3_in4+10_out",
    "bottleneck_l5_in7+12_out",
    "bottleneck_l7_in5+14_out",
    "bottleneck_l6_in12+14_out",
)
"""SpineNet-49's scale-permuted blocks (index 2 onward; 0 and 1 are the level-2 stem blocks)."""

SPINENET_MOBILE49_BLOCKS = _table(
    # 11 intermediate blocks (levels 2, 2, 4, 3, 4, 6, 4, 5, 7, 5, 5) ...
    "mbconv_l2_in0+1",
    "mbconv_l2_in1+2",
    "mbconv_l4_in1+2",
    "mbconv_l3_in3+4",
    "mbconv_l4_in3+5",
    "mbconv_l6_in4+6",
    "mbconv_l4_in4+6",
    "mbconv_l5_in7+8",
    "mbconv_l7_in7+9",
    "mbconv_l5_in9+10",
    "mbconv_l5_in9+11",
    # ... then the 5 output blocks, levels 4, 3, 5, 7, 6.
    "mbconv_l4_in6+11_out",
    "mbconv_l3_in5+11_out",
    "mbconv_l5_in8+13_out",
    "mbconv_l7_in6+15_out",
    "mbconv_l6_in13+15_out",
)
"""SpineNet-Mobile-49's blocks (index 2 onward; 0 is the level-1 and 1 the level-2 stem block)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpineNetScaling:
    """Everything of a SpineNet spec but its blocks: how a topology is sized.

    Attributes:
        endpoints_num_filters: Filters of each output level's 1x1 convolution.
        filter_size_scale: Multiplier of the base filters per level.
        block_repeats: Blocks stacked per node.
        resample_alpha: ResNet-style only: width of the resampling 1x1 convolution.
        mbconv: Mobile only: the mbconv block settings.
        activation: The backbone's non-linearity.
    """

    endpoints_num_filters: int
    filter_size_scale: float
    block_repeats: int = 1
    resample_alpha: float | None = None
    mbconv: SpineNetMBConv | None = None
    activation: Activation = Activation.SWISH

    def spec(self, blocks: tuple[SpineNetBlockSpec, ...], *, min_level: int = 3, max_level: int = 7) -> SpineNetSpec:
        """The spec of `blocks` at this scaling.

        Args:
            blocks: The scale-permuted blocks.
            min_level: Lowest output level.
            max_level: Highest output level.

        Raises:
            SpecError: If the blocks and the scaling do not make a valid spec.
        """
        return SpineNetSpec(
            min_level=min_level,
            max_level=max_level,
            blocks=blocks,
            endpoints_num_filters=self.endpoints_num_filters,
            filter_size_scale=self.filter_size_scale,
            resample_alpha=self.resample_alpha,
            block_repeats=self.block_repeats,
            mbconv=self.mbconv,
            activation=self.activation,
        )

    @classmethod
    def of(cls, spec: SpineNetSpec) -> SpineNetScaling:
        """The scaling of an existing spec."""
        return cls(
            endpoints_num_filters=spec.endpoints_num_filters,
            filter_size_scale=spec.filter_size_scale,
            block_repeats=spec.block_repeats,
            resample_alpha=spec.resample_alpha,
            mbconv=spec.mbconv,
            activation=spec.activation,
        )


_MOBILE_MBCONV = SpineNetMBConv(expand_ratio=6, kernel_size=3, se_ratio=0.2)

SCALINGS: Mapping[str, SpineNetScaling] = types.MappingProxyType(
    {
        "spinenet49s": SpineNetScaling(endpoints_num_filters=128, filter_size_scale=0.65, resample_alpha=0.5),
        "spinenet49": SpineNetScaling(endpoints_num_filters=256, filter_size_scale=1.0, resample_alpha=0.5),
        "spinenet96": SpineNetScaling(
            endpoints_num_filters=256, filter_size_scale=1.0, resample_alpha=0.5, block_repeats=2
        ),
        "spinenet143": SpineNetScaling(
            endpoints_num_filters=256, filter_size_scale=1.0, resample_alpha=1.0, block_repeats=3
        ),
        "spinenet190": SpineNetScaling(
            endpoints_num_filters=512, filter_size_scale=1.3, resample_alpha=1.0, block_repeats=4
        ),
        "spinenet_mobile49xs": SpineNetScaling(
            endpoints_num_filters=24, filter_size_scale=0.6, mbconv=_MOBILE_MBCONV
        ),
        "spinenet_mobile49s": SpineNetScaling(
            endpoints_num_filters=40, filter_size_scale=0.65, mbconv=_MOBILE_MBCONV
        ),
        "spinenet_mobile49": SpineNetScaling(
            endpoints_num_filters=48, filter_size_scale=1.0, mbconv=_MOBILE_MBCONV
        ),
    }
)
"""Published scalings by reference name (Model Garden's SCALING_MAP tables)."""

_REFERENCES: Mapping[str, SpineNetSpec] = types.MappingProxyType(
    {
        name: scaling.spec(SPINENET_MOBILE49_BLOCKS if scaling.mbconv else SPINENET49_BLOCKS)
        for name, scaling in SCALINGS.items()
    }
)


def spinenet_reference_names() -> tuple[str, ...]:
    """Names of the published SpineNet backbones, smallest first within each family."""
    return tuple(_REFERENCES)


def spinenet_reference(name: str) -> SpineNetSpec:
    """The published SpineNet backbone `name` as a spec (usable with `build_keras`).

    Args:
        name: One of `spinenet_reference_names()`, e.g. `spinenet49` or `spinenet_mobile49s`.

    Raises:
        UnknownNameError: On an unknown name; the message lists the known ones.
    """
    try:
        return _REFERENCES[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown SpineNet reference {name!r}; known: {', '.join(_REFERENCES)}"
        ) from None
