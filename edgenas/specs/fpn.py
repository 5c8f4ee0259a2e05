"""`FpnSpec`: settings of a feature pyramid network decoder (levels 3-7) on a chain backbone.

Paper: Lin et al., "Feature Pyramid Networks for Object Detection", CVPR 2017,
https://arxiv.org/abs/1612.03144. The decoder's layout (1x1 laterals, nearest
top-down sums, 3x3 convs per level, two stride-2 convs for levels 6 and 7, one
BatchNorm per output level) is that of TF Model Garden's FPN decoder; the
defaults are its mobile RetinaNet settings (128 filters, separable convs).

The token in a detector's spec string is `fpn_f<filters>`, plus `_sep` for
separable convs: `fpn_f128_sep`, `fpn_f256`.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from edgenas.specs._filters_token import FILTERS_TOKEN_FIELDS, FiltersTokenSpec

__all__ = ["FPN_EXAMPLE", "FPN_FIELDS", "FpnSpec"]

FPN_EXAMPLE = "fpn_f128_sep"
"""An FPN token as `str(FpnSpec())` writes it (for error messages)."""

FPN_FIELDS = FILTERS_TOKEN_FIELDS
"""The fields of an FPN, in the order of its JSON object."""


@dataclasses.dataclass(frozen=True)
class FpnSpec(FiltersTokenSpec):
    """A feature pyramid decoder: every output level has `num_filters` channels.

    Attributes:
        num_filters: Channels of every lateral, top-down and output convolution.
        use_separable_conv: Depthwise-separable convolutions instead of full ones
            (the 1x1 laterals too, as in Model Garden).

    Raises:
        SpecError: If `num_filters` is not an int >= 1 or `use_separable_conv` is not a bool.
    """

    num_filters: int = 128
    use_separable_conv: bool = True

    TOKEN_PREFIX: ClassVar[str] = "fpn"
    TOKEN_NAME: ClassVar[str] = "an FPN"
    TOKEN_OTHER_EXAMPLE: ClassVar[str] = "fpn_f256"
    TOKEN_SEP_MEANING: ClassVar[str] = "separable convs"
    JSON_WHAT: ClassVar[str] = "feature pyramid (FPN)"
