"""Parameter, multiply-accumulate and activation counts of a NAS-FPN decoder, from its spec alone.

The counts follow `edgenas.models.nasfpn` layer for layer, in Keras's
convention (BatchNorm contributes 4 values per channel, its moving statistics
included; every convolution has a bias; a separable one is a depthwise kernel,
a pointwise kernel and a bias). Tests check them against
`keras.Model.count_params()` of the built decoder and against the counts of
TF Model Garden's decoder. MACs count convolutions and the multiply of an
attention gate (one per value); BatchNorm, activations, additions, pooling,
the global max and nearest up-sampling count 0. The largest activation is the
largest map the decoder reads or writes, the backbone features included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from edgenas.errors import SpecError
from edgenas.specs.costs import NetworkCost
from edgenas.specs.image_shape import image_shape
from edgenas.specs.nasfpn import LEVELS, NasFpnCombine, NasFpnSpec

__all__ = ["INPUT_SIZE_MULTIPLE", "nasfpn_cost"]

INPUT_SIZE_MULTIPLE = 2 ** LEVELS[-1]
"""The input's height and width must be multiples of this (128), so that every level 3-7 divides it exactly."""

_BN = 4


class _Tally:
    def __init__(self, *, separable: bool) -> None:
        self.separable = separable
        self.params = 0
        self.macs = 0
        self.largest = 0

    def seen(self, values: int) -> None:
        """A map of `values` values that no convolution writes (a backbone feature, a pooled or up-sampled map)."""
        self.largest = max(self.largest, values)

    def conv_bn(self, *, cin: int, cout: int, kernel: int, pixels: int) -> None:
        """A `same` convolution with bias writing `pixels` pixels, then BatchNorm."""
        area = kernel * kernel
        if self.separable:
            self.params += area * cin + cin * cout
            self.macs += pixels * (area * cin + cin * cout)
        else:
            self.params += area * cin * cout
            self.macs += pixels * area * cin * cout
        self.params += cout + _BN * cout
        self.seen(pixels * cout)


def _check_input_shape(input_shape: Sequence[int]) -> tuple[int, int]:
    height, width, _ = image_shape(input_shape)
    bad = [side for side in dict.fromkeys((height, width)) if side % INPUT_SIZE_MULTIPLE]
    if bad:
        hints = []
        for side in bad:
            below = side // INPUT_SIZE_MULTIPLE * INPUT_SIZE_MULTIPLE
            above = below + INPUT_SIZE_MULTIPLE
            hints.append(f"{side} -> {below} or {above}" if below else f"{side} -> {above}")
        raise SpecError(
            f"input {height}x{width}: a NAS-FPN needs a height and width that are multiples of "
            f"{INPUT_SIZE_MULTIPLE} (levels 3-7 divide the input exactly); nearest legal sizes: {', '.join(hints)}"
        )
    return height, width


def _check_input_filters(input_filters: Mapping[int, int]) -> list[int]:
    if not isinstance(input_filters, Mapping) or not input_filters:
        raise SpecError(f"input_filters must map the backbone's levels 3..k to channels, got {input_filters!r}")
    levels = sorted(input_filters)
    if levels != list(range(LEVELS[0], levels[-1] + 1)) or levels[-1] > LEVELS[-1]:
        raise SpecError(
            f"input_filters must be the backbone's levels 3..k for some k in 3..7 (e.g. {{3: 32, 4: 96, 5: 320}}); "
            f"got levels {levels}"
        )
    for level in levels:
        value = input_filters[level]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SpecError(f"input_filters[{level}] must be an int >= 1, got {value!r}")
    return levels


def nasfpn_cost(
    spec: NasFpnSpec, *, input_filters: Mapping[int, int], input_shape: Sequence[int]
) -> NetworkCost:
    """Counts parameters and MACs of the decoder `edgenas.models.nasfpn.nasfpn_decoder` builds.

    Args:
        spec: The decoder.
        input_filters: Level -> channels of the backbone features it reads:
            levels 3..k, k at most 7 (a chain backbone: 3, 4, 5).
        input_shape: Height, width and channels of the detector's input image;
            height and width must be multiples of 128.

    Returns:
        The decoder's cost (its outputs: levels 3-7, `spec.num_filters` wide).

    Raises:
        SpecError: If `spec` is not a `NasFpnSpec`, `input_filters` is not levels
            3..k of positive channel counts, or the input size is not a multiple
            of 128 (the message names the nearest legal sizes).
    """
    if not isinstance(spec, NasFpnSpec):
        raise SpecError(f"nasfpn_cost needs a NasFpnSpec, got {type(spec).__name__}")
    height, width = _check_input_shape(input_shape)
    given = _check_input_filters(input_filters)

    def pixels(level: int) -> int:
        return (height >> level) * (width >> level)

    filters, merge = spec.num_filters, spec.merge_filters
    t = _Tally(separable=spec.use_separable_conv)
    for level in LEVELS:
        if level in given:
            t.seen(pixels(level) * input_filters[level])
            if input_filters[level] != filters:
                t.conv_bn(cin=input_filters[level], cout=filters, kernel=1, pixels=pixels(level))
        else:
            t.seen(pixels(level) * filters)  # max-pooled from the level below
    levels = spec.node_levels
    extras = spec.unconsumed_inputs()
    for _ in range(spec.num_repeats):
        for index, cell in enumerate(spec.cells):
            for node in (*cell.inputs, *extras[index]):
                if filters != merge:
                    t.conv_bn(cin=filters, cout=merge, kernel=1, pixels=pixels(levels[node]))
                t.seen(pixels(cell.level) * merge)
            if cell.combine is NasFpnCombine.ATTENTION:
                t.macs += pixels(cell.level) * merge
            t.conv_bn(cin=merge, cout=filters, kernel=3, pixels=pixels(cell.level))
    return NetworkCost(params=t.params, macs=t.macs, largest_activation=t.largest)
