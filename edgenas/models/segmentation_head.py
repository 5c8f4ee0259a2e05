"""`segmentation_head`: the light FPN-style decoder from levels 3-5 to per-pixel logits at stride 8. Imports Keras.

Layer for layer (`edgenas.specs.segmenter_costs` counts the same):

- levels 3-5: a 1x1 lateral conv (with bias) to `num_filters` channels;
- top-down from level 5: levels 4 and then 3 add the merged level above,
  up-sampled 2x by `upsample_nearest` (concatenations and reshapes that XNNPACK
  runs whole and int8 carries exactly: no resize op, whose modes differ between
  TFLite and ONNX);
- on level 3: a 3x3 conv without bias (depthwise 3x3 + pointwise 1x1 when
  separable), a BatchNorm and the backbone's activation;
- a 1x1 classifier (with bias) to `num_classes + 1` logits, background first.

Every op is a plain convolution, addition, concatenation, reshape or
activation, which TFLite (fp32 and int8) and ONNX convert without custom ops.
"""

from __future__ import annotations

import keras

from edgenas.models.layers import BatchNormConfig, activation_layer
from edgenas.models.upsample import upsample_nearest
from edgenas.specs import Activation
from edgenas.specs.segmentation_head import SEGMENTATION_LEVELS, SEGMENTATION_OUTPUT_LEVEL, SegmentationHeadSpec

__all__ = ["segmentation_head"]


def segmentation_head(
    features: dict[int, keras.KerasTensor],
    *,
    head: SegmentationHeadSpec,
    num_classes: int,
    activation: Activation,
    bn: BatchNormConfig,
    name: str,
) -> keras.KerasTensor:
    """The logits `(batch, height / 8, width / 8, num_classes + 1)` of the backbone's level 3-5 features.

    Layers are named `seg_lateral{level}`, `seg_topdown{level}_*`, `seg_merge{level}`, `seg_conv`, `seg_bn`,
    `seg_act`, and `name` (the classifier, whose output is the logits).

    Args:
        features: The backbone's feature maps of levels 3, 4 and 5; each level's sides must be twice the next
            one's.
        head: The decoder.
        num_classes: Object classes (the logits add the background).
        activation: After the fused conv's BatchNorm (the backbone's).
        bn: BatchNorm settings.
        name: Name of the classifier layer.

    Raises:
        ValueError: If `features` does not hold exactly levels 3, 4 and 5, or num_classes < 1.
    """
    if sorted(features) != list(SEGMENTATION_LEVELS):
        raise ValueError(
            f"segmentation_head needs the backbone's levels {list(SEGMENTATION_LEVELS)}, got {sorted(features)}"
        )
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"segmentation_head needs num_classes >= 1, got {num_classes!r}")
    filters = head.num_filters
    laterals = {
        level: keras.layers.Conv2D(filters, 1, use_bias=True, name=f"seg_lateral{level}")(x)
        for level, x in features.items()
    }
    top = SEGMENTATION_LEVELS[-1]
    merged = laterals[top]
    for level in reversed(SEGMENTATION_LEVELS[:-1]):
        above = upsample_nearest(merged, levels=1, name=f"seg_topdown{level}")
        merged = keras.layers.Add(name=f"seg_merge{level}")([above, laterals[level]])
    assert level == SEGMENTATION_OUTPUT_LEVEL
    if head.use_separable_conv:
        conv = keras.layers.SeparableConv2D(filters, 3, padding="same", use_bias=False, name="seg_conv")
    else:
        conv = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name="seg_conv")
    x = activation_layer(activation, "seg_act")(bn.layer("seg_bn")(conv(merged)))
    return keras.layers.Conv2D(num_classes + 1, 1, use_bias=True, name=name)(x)
