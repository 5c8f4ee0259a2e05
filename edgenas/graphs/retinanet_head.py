"""`retinanet_head`: the RetinaNet head of `edgenas.models.spinenet_head` as the converter's ops, no TensorFlow.

Per subnet (class, then box) and level: the tower's convolutions, whose weights
Keras shares across levels but whose BatchNorm is the level's own, so that each
level's convolution is an op of its own with the level's BatchNorm folded into
its bias; then the output convolution (a class subnet's bias Keras' 0.01 prior,
a box subnet's zero, which the converter keeps), a RESHAPE to (1, anchors x
locations, outputs) and one CONCATENATION over the levels (axis 1). A separable
convolution is a DEPTHWISE_CONV_2D with the zero bias the converter adds, then
a 1x1 "valid" CONV_2D. Ops are named as the converter's TensorFlow graph names
them (`edgenas.graphs.layers`): a shared layer's name scope counts its calls in
the order Keras runs them, which is the coarsest level first.

No TensorFlow: numpy only.
"""

from __future__ import annotations

import math

from edgenas.graphs.graph import GraphBuilder, Padding
from edgenas.graphs.layers import activation, fused, scope
from edgenas.specs import Activation
from edgenas.specs.detection_head import DetectionHeadSpec

__all__ = ["BOX_OUTPUTS", "CLASS_OUTPUTS", "retinanet_head"]

CLASS_OUTPUTS = "class_outputs"  # edgenas.families.retinanet's names (not imported: that package imports this one)
BOX_OUTPUTS = "box_outputs"
_PRIOR = 0.01


def _head_conv(g: GraphBuilder, x: int, *, head: DetectionHeadSpec, filters: int, layer: str, call: int,
               activation_fn: Activation | None, bias_value: float | None, act_layer: str | None) -> int:  # fmt: skip
    """One 3x3 convolution of the head (separable or not); a tower's (`act_layer` given) has its level's
    BatchNorm folded in and is followed by the activation layer `act_layer`."""
    name = scope(layer, call=call)
    act = fused(activation_fn) if act_layer else fused(None)
    if head.use_separable_conv:
        x = g.depthwise_conv2d(x, kernel_size=3, zero_bias=True, name=f"{name}/separable_conv2d/depthwise")
        x = g.conv2d(x, filters=filters, kernel_size=1, padding=Padding.VALID, activation=act, bias_value=bias_value,
                     name=f"{name}/separable_conv2d")  # fmt: skip
    else:
        x = g.conv2d(x, filters=filters, kernel_size=3, activation=act, bias_value=bias_value,
                     name=f"{name}/convolution")  # fmt: skip
    return activation(g, x, activation_fn, layer=act_layer) if act_layer else x


def _subnet(g: GraphBuilder, features: dict[int, int], *, head: DetectionHeadSpec, outputs_per_anchor: int,
            activation_fn: Activation, name: str, bias_value: float) -> int:  # fmt: skip
    coarsest = max(features)
    flat = []
    for level, x in sorted(features.items()):
        call = coarsest - level  # Keras runs the shared layers from the coarsest level down
        for i in range(head.head_num_convs):
            x = _head_conv(g, x, head=head, filters=head.head_num_filters, layer=f"{name}_conv{i}", call=call,
                           activation_fn=activation_fn, bias_value=None,
                           act_layer=f"{name}_act{i}_level{level}")  # fmt: skip
        x = _head_conv(g, x, head=head, filters=head.num_anchors * outputs_per_anchor, layer=f"{name}_out",
                       call=call, activation_fn=None, bias_value=bias_value, act_layer=None)  # fmt: skip
        batch, height, width, channels = g.shape(x)
        flat.append(g.reshape(x, shape=(batch, height * width * channels // outputs_per_anchor, outputs_per_anchor),
                              name=f"{scope(f'{name}_flat_level{level}')}/Reshape"))  # fmt: skip
    return g.concatenation(flat, axis=1, name=name)  # the converter names the output after the model's output key


def retinanet_head(g: GraphBuilder, features: dict[int, int], *, head: DetectionHeadSpec, num_classes: int,
                   activation_fn: Activation) -> tuple[int, int]:  # fmt: skip
    """The class logits `(1, anchors, num_classes)` and box deltas `(1, anchors, 4)` of the head on `features`.

    Args:
        g: The graph being built.
        features: Level -> the endpoint feature map of that level.
        head: The head's settings.
        num_classes: Detector classes.
        activation_fn: The tower's activation (the backbone's).

    Returns:
        The class and box output tensors.
    """
    classes = _subnet(g, features, head=head, outputs_per_anchor=num_classes, activation_fn=activation_fn,
                      name=CLASS_OUTPUTS, bias_value=-math.log((1 - _PRIOR) / _PRIOR))  # fmt: skip
    boxes = _subnet(g, features, head=head, outputs_per_anchor=4, activation_fn=activation_fn, name=BOX_OUTPUTS,
                    bias_value=0.0)  # fmt: skip
    return classes, boxes
