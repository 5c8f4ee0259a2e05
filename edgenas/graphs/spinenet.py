"""`spinenet_graph`: the converter's graph of a SpineNet RetinaNet detector, written from the spec alone.

It mirrors `edgenas.models.spinenet.build_spinenet` (with `spinenet_layers` and
`spinenet_head`) layer for layer, as the TFLite converter lays the model out:

- every convolution's BatchNorm is folded into its bias; ReLU and ReLU6 are
  fused into the op before them (an ADD's too), swish is a LOGISTIC and a MUL;
- the ResNet-style stem is a 7x7 stride-2 convolution and a MAX_POOL_2D, the
  mobile one a 3x3 stride-2 convolution; residual and bottleneck blocks sum
  their last convolution with the (projected) input in an ADD; mbconv blocks are
  the chain writer's (`edgenas.graphs.chain.chain_block`);
- a node's inputs are resampled (1x1 reduction, stride-2 convolution and
  MAX_POOL_2Ds, or stride-2 depthwise convolutions; up-sampling as
  CONCATENATION and RESHAPE, `edgenas.graphs.layers.upsample_nearest`) and
  summed, two at a time, with the extra blocks an output block merges;
- only the blocks the outputs depend on are in the graph (Keras leaves a dead
  block out of the model);
- the endpoints' 1x1 convolutions feed the RetinaNet head
  (`edgenas.graphs.retinanet_head`), whose two outputs are listed class first.

Ops are named as the converter's TensorFlow graph names them, and put in the
converter's order (`edgenas.graphs.order.converter_order`), which is not the
order of the Keras layers. `tests/edgenas/export/direct` compares this graph
with the converter's file op for op.

No TensorFlow: numpy only.
"""

from __future__ import annotations

from edgenas.graphs.chain import chain_block
from edgenas.graphs.graph import Graph, GraphBuilder
from edgenas.graphs.layers import activation as activation_ops
from edgenas.graphs.layers import add_all, conv_bn_act, fused, max_pool, scope, upsample_nearest
from edgenas.graphs.order import converter_order
from edgenas.graphs.retinanet_head import retinanet_head
from edgenas.specs import Activation, BlockFn, SpineNetBlockFn, SpineNetFamily, SpineNetSpec
from edgenas.specs.detection_head import DetectionHeadSpec
from edgenas.specs.spinenet_arch import NUM_STEM_BLOCKS
from edgenas.specs.spinenet_family import RESNET_STEM_CONV_FILTERS

__all__ = ["spinenet_graph"]


def _residual(g: GraphBuilder, x: int, *, block_fn: SpineNetBlockFn, filters: int, strides: int,
              activation: Activation, name: str) -> int:  # fmt: skip
    """`residual_block` or `bottleneck_block`: the convolutions, the (projected) shortcut, ADD, activation."""
    channels = filters * block_fn.channel_multiplier
    shortcut = x
    if g.shape(x)[-1] != channels or strides != 1:
        shortcut = conv_bn_act(g, x, filters=channels, kernel_size=1, strides=strides, activation_fn=None,
                               name=f"{name}_proj")  # fmt: skip
    if block_fn is SpineNetBlockFn.BOTTLENECK:
        y = conv_bn_act(g, x, filters=filters, kernel_size=1, strides=1, activation_fn=activation, name=f"{name}_conv1")
        y = conv_bn_act(g, y, filters=filters, kernel_size=3, strides=strides, activation_fn=activation,
                        name=f"{name}_conv2")  # fmt: skip
        y = conv_bn_act(g, y, filters=channels, kernel_size=1, strides=1, activation_fn=None, name=f"{name}_conv3")
    else:
        y = conv_bn_act(g, x, filters=filters, kernel_size=3, strides=strides, activation_fn=activation,
                        name=f"{name}_conv1")  # fmt: skip
        y = conv_bn_act(g, y, filters=filters, kernel_size=3, strides=1, activation_fn=None, name=f"{name}_conv2")
    return add_all(g, [y, shortcut], activation_fn=activation, layer=f"{name}_add", activation_layer=f"{name}_out_act")


def _block_group(g: GraphBuilder, x: int, spec: SpineNetSpec, *, block_fn: SpineNetBlockFn, filters: int,
                 strides: int, name: str) -> int:  # fmt: skip
    """`block_group`: `block_repeats` blocks; only the first strides or changes the channel count."""
    for repeat in range(spec.block_repeats):
        stride = strides if repeat == 0 else 1
        block_name = f"{name}_r{repeat}"
        if block_fn is SpineNetBlockFn.MBCONV:
            assert spec.mbconv is not None  # a mobile spec has its settings (checked by the spec)
            x = chain_block(g, x, block_fn=BlockFn.MBCONV, filters=filters, kernel_size=spec.mbconv.kernel_size,
                            strides=stride, expand_ratio=spec.mbconv.expand_ratio, se_ratio=spec.mbconv.se_ratio,
                            activation=spec.activation, name=block_name)  # fmt: skip
        else:
            x = _residual(g, x, block_fn=block_fn, filters=filters, strides=stride, activation=spec.activation,
                          name=block_name)  # fmt: skip
    return x


def _resample(g: GraphBuilder, x: int, spec: SpineNetSpec, *, source: int, target_level: int, target_channels: int,
              name: str) -> int:  # fmt: skip
    """`resample_resnet` or `resample_mobile`: block `source`'s output at `target_level` with `target_channels`."""
    source_level = spec.levels[source]
    act = spec.activation
    if spec.family is SpineNetFamily.MOBILE:
        for step in range(target_level - source_level):
            layer = f"{name}_down{step}"
            x = g.depthwise_conv2d(x, kernel_size=3, strides=2, activation=fused(act),
                                   name=f"{scope(f'{layer}_dw')}/depthwise")  # fmt: skip
            x = activation_ops(g, x, act, layer=f"{layer}_act")
    else:
        assert spec.resample_alpha is not None  # a ResNet-style spec has it (checked by the spec)
        reduced = int(spec.level_filters(source_level) * spec.resample_alpha)
        x = conv_bn_act(g, x, filters=reduced, kernel_size=1, strides=1, activation_fn=act, name=f"{name}_reduce")
        if target_level > source_level:
            x = conv_bn_act(g, x, filters=reduced, kernel_size=3, strides=2, activation_fn=act, name=f"{name}_down")
            for step in range(target_level - source_level - 1):
                x = max_pool(g, x, name=f"{name}_pool{step}")
    if target_level < source_level:
        x = upsample_nearest(g, x, levels=source_level - target_level, name=name)
    return conv_bn_act(g, x, filters=target_channels, kernel_size=1, strides=1, activation_fn=None,
                       name=f"{name}_expand")  # fmt: skip


def _stem(g: GraphBuilder, x: int, spec: SpineNetSpec, live: frozenset[int]) -> dict[int, int]:
    """The stem convolution (and max-pool) and the stem blocks that are live."""
    if spec.family is SpineNetFamily.MOBILE:
        filters, kernel_size, in_level = spec.level_filters(0), 3, 1
    else:
        filters, kernel_size, in_level = RESNET_STEM_CONV_FILTERS, 7, 2
    x = conv_bn_act(g, x, filters=filters, kernel_size=kernel_size, strides=2, activation_fn=spec.activation,
                    name="stem")  # fmt: skip
    if spec.family is SpineNetFamily.RESNET:
        x = max_pool(g, x, name="stem_pool")
    features = {}
    for index, level in enumerate(spec.levels[:NUM_STEM_BLOCKS]):
        if index not in live:  # block 0 is live whenever block 1 is: block 1 reads it
            break
        x = _block_group(g, x, spec, block_fn=spec.stem_block_fn, filters=spec.level_filters(level),
                         strides=2 ** (level - in_level), name=f"stem_block{index}")  # fmt: skip
        features[index] = x
        in_level = level
    return features


def spinenet_graph(
    spec: SpineNetSpec,
    *,
    head: DetectionHeadSpec,
    input_shape: tuple[int, int, int],
    num_classes: int,
    input_name: str = "image",
    seed: int = 0,
) -> Graph:
    """The converter's graph of the RetinaNet detector on `spec` with `head`, batch 1, seeded random weights.

    Args:
        spec: The backbone.
        head: The detection head (a `SpineNetSpec`'s default head is `default_detection_head`'s).
        input_shape: Height, width, channels (checked by the caller: `Family.check_input`).
        num_classes: Detector classes (> 0).
        input_name: Name of the input tensor.
        seed: Seed of the weights.

    Returns:
        The graph; its outputs are the class logits `(1, anchors, num_classes)` and box deltas `(1, anchors, 4)`.
    """
    g = GraphBuilder(seed=seed)
    x = g.input(input_name, (1, *input_shape))
    live = spec.live_block_indices()
    features = _stem(g, x, spec, live)
    for i, extra in enumerate(spec.merged_inputs()):
        index = NUM_STEM_BLOCKS + i
        if index not in live:
            continue
        block = spec.blocks[i]
        target_channels = spec.channels_at(index)
        parents = [
            _resample(g, features[source], spec, source=source, target_level=block.level,
                      target_channels=target_channels, name=f"block{index}_in{k}")
            for k, source in enumerate(block.input_offsets)
        ]  # fmt: skip
        parents += [features[j] for j in extra]
        merged = add_all(g, parents, activation_fn=spec.activation, layer=f"block{index}_merge",
                         activation_layer=f"block{index}_merge_act")  # fmt: skip
        features[index] = _block_group(g, merged, spec, block_fn=block.block_fn,
                                       filters=spec.level_filters(block.level), strides=1, name=f"block{index}")
    endpoints = {
        level: conv_bn_act(g, features[index], filters=spec.endpoints_num_filters, kernel_size=1, strides=1,
                           activation_fn=spec.activation, name=f"endpoint{level}")
        for level, index in sorted(spec.output_block_indices().items())
    }  # fmt: skip
    classes, boxes = retinanet_head(g, endpoints, head=head, num_classes=num_classes, activation_fn=spec.activation)
    return converter_order(g.finish([classes, boxes]))
