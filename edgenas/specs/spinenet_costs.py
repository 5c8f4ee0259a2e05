"""Parameter, multiply-accumulate and activation counts of a SpineNet backbone, from its spec alone.

The counts follow `edgenas.models.spinenet` layer for layer, in Keras's
convention (BatchNorm contributes 4 values per channel, its moving statistics
included), and count only the blocks the outputs depend on (a built Keras
model drops the others). Tests check them against `keras.Model.count_params()`.
MACs count convolutions (and the SE rescale); BatchNorm, activations, additions,
pooling and nearest up-sampling count 0. The largest activation is the largest
map a convolution writes or reads (an up-sampled map), or the image.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from edgenas.specs.costs import NetworkCost, se_reduced_filters
from edgenas.specs.spinenet_arch import NUM_STEM_BLOCKS, SpineNetSpec
from edgenas.specs.spinenet_block import SpineNetBlockFn
from edgenas.specs.spinenet_family import RESNET_STEM_CONV_FILTERS, SpineNetFamily

__all__ = ["estimate_spinenet_cost"]

_BN = 4


class _Tally:
    def __init__(self, *, image_values: int) -> None:
        self.params = 0
        self.macs = 0
        self.largest = image_values

    def conv(self, *, cin: int, cout: int, kernel: int, out_pixels: int, bn: bool = True) -> None:
        self.params += kernel * kernel * cin * cout + (_BN * cout if bn else 0)
        self.macs += out_pixels * kernel * kernel * cin * cout
        self.largest = max(self.largest, out_pixels * cout)

    def depthwise(self, *, channels: int, kernel: int, out_pixels: int) -> None:
        self.params += kernel * kernel * channels + _BN * channels
        self.macs += out_pixels * kernel * kernel * channels
        self.largest = max(self.largest, out_pixels * channels)

    def resampled(self, *, channels: int, pixels: int) -> None:
        """A map that no convolution writes: the input of a resampling's last 1x1 (up-sampled, or as it was)."""
        self.largest = max(self.largest, pixels * channels)


def _bottleneck(t: _Tally, *, cin: int, filters: int, pixels: int) -> None:
    if cin != 4 * filters:
        t.conv(cin=cin, cout=4 * filters, kernel=1, out_pixels=pixels)
    t.conv(cin=cin, cout=filters, kernel=1, out_pixels=pixels)
    t.conv(cin=filters, cout=filters, kernel=3, out_pixels=pixels)
    t.conv(cin=filters, cout=4 * filters, kernel=1, out_pixels=pixels)


def _residual(t: _Tally, *, cin: int, filters: int, pixels: int) -> None:
    if cin != filters:
        t.conv(cin=cin, cout=filters, kernel=1, out_pixels=pixels)
    t.conv(cin=cin, cout=filters, kernel=3, out_pixels=pixels)
    t.conv(cin=filters, cout=filters, kernel=3, out_pixels=pixels)


def _mbconv(t: _Tally, spec: SpineNetSpec, *, cin: int, cout: int, in_pixels: int, out_pixels: int) -> None:
    settings = spec.mbconv
    assert settings is not None
    expanded = cin * settings.expand_ratio
    if settings.expand_ratio != 1:
        t.conv(cin=cin, cout=expanded, kernel=1, out_pixels=in_pixels)
    t.depthwise(channels=expanded, kernel=settings.kernel_size, out_pixels=out_pixels)
    if settings.se_ratio > 0:
        reduced = se_reduced_filters(cin, settings.se_ratio)
        t.params += expanded * reduced + reduced + reduced * expanded + expanded
        t.macs += 2 * expanded * reduced + out_pixels * expanded
    t.conv(cin=expanded, cout=cout, kernel=1, out_pixels=out_pixels)


def _group(
    t: _Tally,
    spec: SpineNetSpec,
    block_fn: SpineNetBlockFn,
    *,
    cin: int,
    filters: int,
    in_pixels: int,
    out_pixels: int,
) -> None:
    """A node's `block_repeats` blocks; only the first may change channels or stride."""
    for repeat in range(spec.block_repeats):
        pixels_in = in_pixels if repeat == 0 else out_pixels
        if block_fn is SpineNetBlockFn.BOTTLENECK:
            _bottleneck(t, cin=cin, filters=filters, pixels=out_pixels)
        elif block_fn is SpineNetBlockFn.RESIDUAL:
            _residual(t, cin=cin, filters=filters, pixels=out_pixels)
        else:
            _mbconv(t, spec, cin=cin, cout=filters, in_pixels=pixels_in, out_pixels=out_pixels)
        cin = filters * block_fn.channel_multiplier


def estimate_spinenet_cost(
    spec: SpineNetSpec, *, input_shape: Sequence[int] = (640, 640, 3), output_levels: Collection[int] | None = None
) -> NetworkCost:
    """Counts parameters and MACs of the backbone `edgenas.build_keras` makes from `spec`.

    Args:
        spec: The backbone.
        input_shape: Height, width and channels of the input image.
        output_levels: The endpoints the network returns (default: every output level); a segmenter returns
            levels 3-5, and its model holds only the endpoints and blocks those depend on.

    Returns:
        The backbone's cost (outputs: the endpoint feature maps of levels
        min_level..max_level, or of `output_levels`; no detection head).

    Raises:
        SpecError: If the input shape does not suit the spec (see
            `SpineNetSpec.check_input_shape`).
    """
    height, width, channels = spec.check_input_shape(input_shape)

    def pixels(level: int) -> int:
        return (height >> level) * (width >> level)

    t = _Tally(image_values=height * width * channels)
    live = spec.live_block_indices(output_levels)
    levels = spec.levels
    mobile = spec.family is SpineNetFamily.MOBILE
    # Stem.
    if mobile:
        stem_filters = spec.level_filters(0)
        t.conv(cin=channels, cout=stem_filters, kernel=3, out_pixels=pixels(1))
        cin, in_level = stem_filters, 1
    else:
        t.conv(cin=channels, cout=RESNET_STEM_CONV_FILTERS, kernel=7, out_pixels=pixels(1))
        cin, in_level = RESNET_STEM_CONV_FILTERS, 2  # the max-pool halves again
    for index in range(NUM_STEM_BLOCKS):
        level = levels[index]
        if index in live:
            _group(
                t,
                spec,
                spec.stem_block_fn,
                cin=cin,
                filters=spec.level_filters(level),
                in_pixels=pixels(in_level),
                out_pixels=pixels(level),
            )
        cin, in_level = spec.channels_at(index), level
    # Scale-permuted blocks.
    for i, block in enumerate(spec.blocks):
        index = NUM_STEM_BLOCKS + i
        if index not in live:
            continue
        target_channels = spec.channels_at(index)
        for source in block.input_offsets:
            source_level, source_channels = levels[source], spec.channels_at(source)
            if mobile:
                for step in range(max(0, block.level - source_level)):
                    t.depthwise(channels=source_channels, kernel=3, out_pixels=pixels(source_level + step + 1))
                t.resampled(channels=source_channels, pixels=pixels(block.level))
                t.conv(cin=source_channels, cout=target_channels, kernel=1, out_pixels=pixels(block.level))
            else:
                assert spec.resample_alpha is not None
                reduced = int(spec.level_filters(source_level) * spec.resample_alpha)
                t.conv(cin=source_channels, cout=reduced, kernel=1, out_pixels=pixels(source_level))
                if block.level > source_level:
                    t.conv(cin=reduced, cout=reduced, kernel=3, out_pixels=pixels(source_level + 1))
                t.resampled(channels=reduced, pixels=pixels(block.level))
                t.conv(cin=reduced, cout=target_channels, kernel=1, out_pixels=pixels(block.level))
        _group(
            t,
            spec,
            block.block_fn,
            cin=target_channels,
            filters=spec.level_filters(block.level),
            in_pixels=pixels(block.level),
            out_pixels=pixels(block.level),
        )
    # Endpoints.
    for level, index in spec.output_block_indices().items():
        if output_levels is not None and level not in output_levels:
            continue
        t.conv(cin=spec.channels_at(index), cout=spec.endpoints_num_filters, kernel=1, out_pixels=pixels(level))
    return NetworkCost(params=t.params, macs=t.macs, largest_activation=t.largest)
