"""`SpineNetFamily`: ResNet-style SpineNet or SpineNet-Mobile, and each family's fixed tables.

The family follows from the blocks of a spec (all mbconv: mobile; residual and
bottleneck: ResNet-style) and fixes what the search never changes: the stem,
the base filters per level and the way inputs are resampled.

Papers: SpineNet, https://arxiv.org/abs/1912.05027 (filters per level of the
ResNet-style family); SpineNet-Mobile, https://arxiv.org/abs/2010.11426 and
Appendix A of the SpineNet paper (filters per level of the MBConv family,
after EfficientNet-B0).
"""

from __future__ import annotations

import enum
import types
from collections.abc import Mapping

__all__ = ["RESNET_STEM_CONV_FILTERS", "SpineNetFamily"]


class SpineNetFamily(enum.StrEnum):
    """The two SpineNet families: how the stem and the resampling are built."""

    RESNET = "resnet"
    """SpineNet: 7x7 stride-2 conv (64 filters) and 3x3 max-pool, two level-2
    bottleneck stem blocks; resampling: 1x1 conv to `resample_alpha` x the
    source's filters, 3x3 stride-2 conv then max-pools down or nearest
    up-sampling, 1x1 conv to the target's channels."""
    MOBILE = "mobile"
    """SpineNet-Mobile: 3x3 stride-2 conv (8 base filters), an mbconv stem block at
    level 1 and one at level 2 (stride 2); resampling: 3x3 stride-2 depthwise convs
    down or nearest up-sampling, then a 1x1 conv to the target's filters."""

    @property
    def base_filters(self) -> Mapping[int, int]:
        """Filters of a block at each level before `filter_size_scale` (level 0: the stem conv)."""
        return _BASE_FILTERS[self]

    @property
    def stem_levels(self) -> tuple[int, int]:
        """Levels of the two stem blocks (block indices 0 and 1)."""
        return _STEM_LEVELS[self]


_BASE_FILTERS: dict[SpineNetFamily, Mapping[int, int]] = {
    SpineNetFamily.RESNET: types.MappingProxyType({1: 32, 2: 64, 3: 128, 4: 256, 5: 256, 6: 256, 7: 256}),
    SpineNetFamily.MOBILE: types.MappingProxyType({0: 8, 1: 16, 2: 24, 3: 40, 4: 80, 5: 112, 6: 112, 7: 112}),
}
_STEM_LEVELS: dict[SpineNetFamily, tuple[int, int]] = {
    SpineNetFamily.RESNET: (2, 2),
    SpineNetFamily.MOBILE: (1, 2),
}

RESNET_STEM_CONV_FILTERS = 64
"""The ResNet-style stem convolution has 64 filters whatever `filter_size_scale` is."""
