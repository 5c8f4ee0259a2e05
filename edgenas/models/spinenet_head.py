"""RetinaNet-style detection head on the SpineNet feature maps.

As in TF Model Garden's `RetinaNetHead`: a class subnet and a box subnet, each
`head_num_convs` 3x3 convs (with bias; depthwise-separable for SpineNet-Mobile)
whose weights are shared across levels, each followed by a BatchNorm of its own
per level and the activation, then a 3x3 output conv of `num_anchors *
num_classes` logits (bias initialised to the 0.01 prior) or `num_anchors * 4`
box deltas. Outputs are flattened per level and concatenated over levels:
`(batch, total_anchors, num_classes)` and `(batch, total_anchors, 4)`, in the
order of `edgenas.models.anchors.generate_anchors`.
"""

from __future__ import annotations

import math

import keras

from edgenas.families.retinanet import BOX_OUTPUTS, CLASS_OUTPUTS
from edgenas.models.layers import BatchNormConfig, activation_layer
from edgenas.specs import Activation
from edgenas.specs.detection_head import DetectionHeadSpec

__all__ = ["CLASS_OUTPUT", "BOX_OUTPUT", "retinanet_head"]

CLASS_OUTPUT = CLASS_OUTPUTS  # the family's export signature names the outputs; the head uses those names
BOX_OUTPUT = BOX_OUTPUTS
_PRIOR = 0.01


def _conv(head: DetectionHeadSpec, filters: int, name: str, bias_init: float = 0.0) -> keras.layers.Layer:
    kwargs = dict(padding="same", bias_initializer=keras.initializers.Constant(bias_init), name=name)
    init = keras.initializers.RandomNormal(stddev=0.01)
    if head.use_separable_conv:
        return keras.layers.SeparableConv2D(
            filters, 3, depthwise_initializer=init, pointwise_initializer=init, **kwargs
        )
    return keras.layers.Conv2D(filters, 3, kernel_initializer=init, **kwargs)


def _subnet(
    features: dict[int, keras.KerasTensor],
    *,
    head: DetectionHeadSpec,
    outputs_per_anchor: int,
    activation: Activation,
    bn: BatchNormConfig,
    name: str,
    bias_init: float,
) -> keras.KerasTensor:
    convs = [_conv(head, head.head_num_filters, f"{name}_conv{i}") for i in range(head.head_num_convs)]
    out_conv = _conv(head, head.num_anchors * outputs_per_anchor, f"{name}_out", bias_init)
    flat = []
    for level, x in sorted(features.items()):
        for i, conv in enumerate(convs):
            x = conv(x)
            x = bn.layer(f"{name}_bn{i}_level{level}")(x)
            x = activation_layer(activation, f"{name}_act{i}_level{level}")(x)
        x = out_conv(x)
        flat.append(keras.layers.Reshape((-1, outputs_per_anchor), name=f"{name}_flat_level{level}")(x))
    return keras.layers.Concatenate(axis=1, name=name)(flat)


def retinanet_head(
    features: dict[int, keras.KerasTensor],
    *,
    head: DetectionHeadSpec,
    num_classes: int,
    activation: Activation,
    bn: BatchNormConfig,
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """Class logits `(batch, total_anchors, num_classes)` and box deltas `(batch, total_anchors, 4)`."""
    classes = _subnet(
        features,
        head=head,
        outputs_per_anchor=num_classes,
        activation=activation,
        bn=bn,
        name=CLASS_OUTPUT,
        bias_init=-math.log((1 - _PRIOR) / _PRIOR),
    )
    boxes = _subnet(
        features, head=head, outputs_per_anchor=4, activation=activation, bn=bn, name=BOX_OUTPUT, bias_init=0.0
    )
    return classes, boxes
