"""`chain_detector_graph`: the converter's graph of a RetinaNet detector with an FPN on a chain backbone.

It mirrors `edgenas.models.chain_detector.build_chain_detector` for a
`ChainDetectorSpec`: the chain's stem and stages (`edgenas.graphs.chain`,
the classifier writer's blocks; the chain's 1x1 head is not built), their level
3-5 features (`feature_taps`), the FPN (`edgenas.graphs.fpn`) and the RetinaNet
head (`edgenas.graphs.retinanet_head`) on levels 3-7, whose two outputs are
listed class first. The decoder and the head use the backbone's activation.

The ops are put in the converter's order (`edgenas.graphs.order.converter_order`);
a feature that both the next stage and a lateral read is a branch, and the
chain's block names (`stage<i>_block<r>_...`) sort after the FPN's (`fpn_...`),
as the converter's TensorFlow names do. `tests/edgenas/export/direct` compares
this graph with the converter's file op for op.

Papers: RetinaNet, https://arxiv.org/abs/1708.02002; FPN, https://arxiv.org/abs/1612.03144.

No TensorFlow: numpy only.
"""

from __future__ import annotations

from edgenas.graphs.chain import chain_stages
from edgenas.graphs.fpn import fpn_decoder
from edgenas.graphs.graph import Graph, GraphBuilder
from edgenas.graphs.order import converter_order
from edgenas.graphs.retinanet_head import retinanet_head
from edgenas.specs.chain_detector import ChainDetectorSpec
from edgenas.specs.chain_levels import feature_taps

__all__ = ["chain_detector_graph"]


def chain_detector_graph(
    spec: ChainDetectorSpec,
    *,
    input_shape: tuple[int, int, int],
    num_classes: int,
    input_name: str = "image",
    seed: int = 0,
) -> Graph:
    """The converter's graph of the detector `spec`, batch 1, with seeded random weights.

    Args:
        spec: The detector (chain backbone, FPN, head).
        input_shape: Height, width, channels (checked by the caller: `Family.check_input`).
        num_classes: Detector classes (> 0).
        input_name: Name of the input tensor.
        seed: Seed of the weights.

    Returns:
        The graph; its outputs are the class logits `(1, anchors, num_classes)` and box deltas `(1, anchors, 4)`.
    """
    g = GraphBuilder(seed=seed)
    stages = chain_stages(g, g.input(input_name, (1, *input_shape)), spec.backbone)
    taps = {tap.level: stages[tap.stage_index] for tap in feature_taps(spec.backbone)}
    activation = spec.backbone.activation
    levels = fpn_decoder(g, taps, spec=spec.decoder, activation=activation)
    classes, boxes = retinanet_head(g, levels, head=spec.head, num_classes=num_classes, activation_fn=activation)
    return converter_order(g.finish([classes, boxes]))
