"""`layer_graph`: the converter's graph of one chain layer as a model of its own (`LayerSpec`), no TensorFlow.

The same model `edgenas.collect.layer_models.build_layer_model` builds with
Keras (stem, conv, mbconv, fused mbconv, or head with pooling and classifier),
written from the layer alone with the chain writer's pieces, for per-layer
timing tables.
"""

from __future__ import annotations

from edgenas.graphs.chain import chain_block, classifier_head, stem
from edgenas.graphs.graph import Graph, GraphBuilder
from edgenas.specs import BlockFn
from latency_models.layers import LayerKind, LayerSpec

__all__ = ["layer_graph"]

_BLOCKS = {LayerKind.CONV: BlockFn.CONV, LayerKind.MBCONV: BlockFn.MBCONV, LayerKind.FUSED_MBCONV: BlockFn.FUSED_MBCONV}


def layer_graph(layer: LayerSpec, *, input_name: str = "image", seed: int = 0) -> Graph:
    """The graph of `layer` alone, batch 1, with seeded random weights."""
    g = GraphBuilder(seed=seed)
    x = g.input(input_name, (1, layer.in_height, layer.in_width, layer.in_channels))
    if layer.kind is LayerKind.STEM:
        x = stem(g, x, filters=layer.out_channels, activation=layer.activation, kernel_size=layer.kernel_size,
                 strides=layer.strides)  # fmt: skip
    elif layer.kind is LayerKind.HEAD:
        x = classifier_head(g, x, filters=layer.out_channels, activation=layer.activation,
                            num_classes=layer.num_classes)  # fmt: skip
    else:
        x = chain_block(
            g, x, block_fn=_BLOCKS[layer.kind], filters=layer.out_channels, kernel_size=layer.kernel_size,
            strides=layer.strides, expand_ratio=layer.expand_ratio, se_ratio=layer.se_ratio,
            activation=layer.activation, name="layer",
        )  # fmt: skip
    return g.finish([x])
