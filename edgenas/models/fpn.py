"""`fpn_decoder`: a feature pyramid network from a backbone's levels 3-5 to levels 3-7. Imports Keras.

Paper: Lin et al., "Feature Pyramid Networks for Object Detection", CVPR 2017,
https://arxiv.org/abs/1612.03144. Its layout is that of TF Model Garden's FPN
decoder, so that a spec's parameter count is the published one:

- levels 3-5: a 1x1 lateral conv (with bias) to `num_filters`;
- top-down from level 5: each of levels 4 and 3 adds the level above, up-sampled
  2x (nearest), to its lateral;
- a 3x3 conv (with bias) on each of levels 3-5;
- level 6: a 3x3 stride-2 conv on level 5's 3x3 conv output; level 7: a 3x3
  stride-2 conv on level 6's, after the activation;
- one BatchNorm per level 3-7 on the outputs, no activation after it.

With `use_separable_conv` every conv, the 1x1 laterals too, is depthwise-separable.
"""

from __future__ import annotations

import keras

from edgenas.models.layers import BatchNormConfig, activation_layer
from edgenas.models.upsample import upsample_nearest
from edgenas.specs import Activation
from edgenas.specs.chain_levels import BACKBONE_LEVELS, DECODER_LEVELS
from edgenas.specs.fpn import FpnSpec

__all__ = ["fpn_decoder"]


def _conv(spec: FpnSpec, *, kernel_size: int, strides: int, name: str) -> keras.layers.Layer:
    """One FPN convolution with bias, 'same' padding, `num_filters` outputs."""
    conv = keras.layers.SeparableConv2D if spec.use_separable_conv else keras.layers.Conv2D
    return conv(spec.num_filters, kernel_size, strides=strides, padding="same", use_bias=True, name=name)


def fpn_decoder(
    features: dict[int, keras.KerasTensor],
    *,
    spec: FpnSpec,
    activation: Activation,
    bn: BatchNormConfig,
) -> dict[int, keras.KerasTensor]:
    """The FPN's output feature maps, levels 3-7, each with `spec.num_filters` channels.

    Layers are named `fpn_lateral{level}`, `fpn_topdown{level}_*`, `fpn_merge{level}`,
    `fpn_conv{level}`, `fpn_act6` and `fpn_bn{level}`.

    Args:
        features: The backbone's feature maps of levels 3, 4 and 5; each level's
            sides must be twice the next one's (inputs that are multiples of 32).
        spec: The decoder.
        activation: Applied to level 6 before the conv that makes level 7.
        bn: BatchNorm settings.

    Returns:
        The feature maps by level, 3 to 7.

    Raises:
        ValueError: If `features` does not hold exactly levels 3, 4 and 5.
    """
    if sorted(features) != list(BACKBONE_LEVELS):
        raise ValueError(f"fpn_decoder needs the backbone's levels {list(BACKBONE_LEVELS)}, got {sorted(features)}")
    top = BACKBONE_LEVELS[-1]
    laterals = {
        level: _conv(spec, kernel_size=1, strides=1, name=f"fpn_lateral{level}")(x) for level, x in features.items()
    }
    merged = {top: laterals[top]}
    for level in reversed(BACKBONE_LEVELS[:-1]):
        above = upsample_nearest(merged[level + 1], levels=1, name=f"fpn_topdown{level}")
        merged[level] = keras.layers.Add(name=f"fpn_merge{level}")([above, laterals[level]])
    outputs = {
        level: _conv(spec, kernel_size=3, strides=1, name=f"fpn_conv{level}")(merged[level])
        for level in BACKBONE_LEVELS
    }
    for level in DECODER_LEVELS[len(BACKBONE_LEVELS) :]:
        x = outputs[level - 1]
        if level > top + 1:
            x = activation_layer(activation, f"fpn_act{level - 1}")(x)
        outputs[level] = _conv(spec, kernel_size=3, strides=2, name=f"fpn_conv{level}")(x)
    return {level: bn.layer(f"fpn_bn{level}")(outputs[level]) for level in DECODER_LEVELS}
