"""`fpn_decoder`: the FPN of `edgenas.models.fpn` as the converter's ops, written from the spec alone.

Paper: Lin et al., "Feature Pyramid Networks for Object Detection", CVPR 2017,
https://arxiv.org/abs/1612.03144.

Layer for layer as the TFLite converter lays out `edgenas.models.fpn.fpn_decoder`:

- a convolution with bias (the laterals, the 3x3 convolutions of every level)
  is a CONV_2D, or with `use_separable_conv` a DEPTHWISE_CONV_2D with the zero
  bias the converter adds and a 1x1 "valid" CONV_2D (the 1x1 laterals too);
  its Keras bias is zero until a BatchNorm is folded into it;
- the top-down path up-samples by 2 (CONCATENATION and RESHAPE,
  `edgenas.graphs.layers.upsample_nearest`) and ADDs the lateral;
- a level's BatchNorm is folded into its convolution where nothing else reads
  that convolution's output (levels 3, 4 and 7). Levels 6 and 7 are made from
  the outputs of levels 5 and 6 before their BatchNorm, so those two
  BatchNorms stay a MUL and an ADD with per-channel constants, and the
  activation between levels 6 and 7 is an op of its own, a ReLU too.

Ops are named as the converter's TensorFlow graph names them
(`edgenas.graphs.layers.scope`), so that `edgenas.graphs.order.converter_order`
puts the branches in the converter's order.

No TensorFlow: numpy only.
"""

from __future__ import annotations

from edgenas.graphs.graph import GraphBuilder, Padding
from edgenas.graphs.layers import batch_norm, scope, unfused_activation, upsample_nearest
from edgenas.specs import Activation
from edgenas.specs.chain_levels import BACKBONE_LEVELS, DECODER_LEVELS
from edgenas.specs.fpn import FpnSpec

__all__ = ["fpn_decoder"]


def _conv(g: GraphBuilder, x: int, spec: FpnSpec, *, kernel_size: int, strides: int, folded_bn: bool,
          layer: str) -> int:  # fmt: skip
    """One FPN convolution; `folded_bn`: its level's BatchNorm is folded into its bias (else the bias is Keras'
    zero)."""
    name = scope(layer)
    if spec.use_separable_conv:
        x = g.depthwise_conv2d(x, kernel_size=kernel_size, strides=strides, zero_bias=True,
                               name=f"{name}/separable_conv2d/depthwise")  # fmt: skip
        return g.conv2d(x, filters=spec.num_filters, kernel_size=1, padding=Padding.VALID, zero_bias=not folded_bn,
                        name=f"{name}/separable_conv2d")  # fmt: skip
    return g.conv2d(x, filters=spec.num_filters, kernel_size=kernel_size, strides=strides, zero_bias=not folded_bn,
                    name=f"{name}/convolution")  # fmt: skip


def fpn_decoder(g: GraphBuilder, features: dict[int, int], *, spec: FpnSpec, activation: Activation) -> dict[int, int]:
    """The FPN's output feature maps, levels 3-7, each with `spec.num_filters` channels.

    Args:
        g: The graph being built.
        features: The backbone's feature maps of levels 3, 4 and 5 (sides halving level to level).
        spec: The decoder.
        activation: The activation between levels 6 and 7 (the backbone's).

    Returns:
        Level -> its output tensor (after its BatchNorm), 3 to 7.

    Raises:
        ValueError: If `features` does not hold exactly levels 3, 4 and 5.
    """
    if sorted(features) != list(BACKBONE_LEVELS):
        raise ValueError(f"fpn_decoder needs the backbone's levels {list(BACKBONE_LEVELS)}, got {sorted(features)}")
    top = BACKBONE_LEVELS[-1]
    laterals = {
        level: _conv(g, x, spec, kernel_size=1, strides=1, folded_bn=False, layer=f"fpn_lateral{level}")
        for level, x in features.items()
    }
    merged = {top: laterals[top]}
    for level in reversed(BACKBONE_LEVELS[:-1]):
        above = upsample_nearest(g, merged[level + 1], levels=1, name=f"fpn_topdown{level}")
        merged[level] = g.add(above, laterals[level], name=f"{scope(f'fpn_merge{level}')}/Add")

    def feeds_the_next_level(level: int) -> bool:
        return level >= top and level + 1 in DECODER_LEVELS

    convs = {
        level: _conv(g, merged[level], spec, kernel_size=3, strides=1, folded_bn=not feeds_the_next_level(level),
                     layer=f"fpn_conv{level}")
        for level in BACKBONE_LEVELS
    }  # fmt: skip
    for level in DECODER_LEVELS[len(BACKBONE_LEVELS) :]:
        x = convs[level - 1]
        if level > top + 1:
            x = unfused_activation(g, x, activation, layer=f"fpn_act{level - 1}")
        convs[level] = _conv(g, x, spec, kernel_size=3, strides=2, folded_bn=not feeds_the_next_level(level),
                             layer=f"fpn_conv{level}")  # fmt: skip
    return {
        level: batch_norm(g, convs[level], layer=f"fpn_bn{level}") if feeds_the_next_level(level) else convs[level]
        for level in DECODER_LEVELS
    }
